using Orchestrator.Core.Journeys;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>Journey versions with their text (IJourneyVersionStore): what a restarted worker reads back.</summary>
public abstract partial class JourneyStoreContract
{
    private static JourneyDefinition Version(string id, string version, string? yaml, IReadOnlyDictionary<string, string>? templates = null) => new()
    {
        Id = id,
        Name = id,
        Version = version,
        SourceFile = "/anywhere/" + id + ".yaml",
        Entry = new EntryDefinition("x.happened", null, null, Reentry.Never),
        Steps = [],
        Templates = new Dictionary<string, Core.Liquid.EmailTemplate>(),
        Source = yaml is null ? null : new JourneySource(id + ".yaml", yaml, templates ?? new Dictionary<string, string>()),
    };

    [SkippableFact]
    public async Task Versions_put_in_force_load_back_with_their_text_and_the_time_they_were_last_in_force()
    {
        var templates = new Dictionary<string, string>
        {
            ["promo.liquid"] = "---\nsubject: \"Zürich 🌷\"\n---\n<p>{{ customer.firstName }}</p>\r\n",
            ["promo.txt.liquid"] = "Hallo",
        };
        var v1 = Version("promo", "aaa111", "id: promo\nname: 'ü'\n", templates);
        var other = Version("welcome", "bbb222", "id: welcome\n");
        var builtInCode = Version("coded", "ccc333", yaml: null); // no text to store: not stored
        await Storage.Versions.MarkInForceAsync([v1, other, builtInCode], T0, default);
        await Storage.Versions.MarkInForceAsync([Version("promo", "ddd444", "id: promo\n")], T0.AddHours(1), default);
        // In force again later (a file reverted to its old text): the same row, a later time.
        await Storage.Versions.MarkInForceAsync([v1], T0.AddHours(2), default);

        var stored = await Storage.Versions.LoadAllAsync(default);
        Assert.Equal(["promo@ddd444", "promo@aaa111", "welcome@bbb222"], stored.Select(s => $"{s.JourneyId}@{s.Version}"));
        var promo = stored.Single(s => s.Version == "aaa111");
        Assert.Equal(T0.AddHours(2), promo.LastInForceAt);
        Assert.Equal("promo.yaml", promo.Source.FileName);
        Assert.Equal(v1.Source!.Yaml, promo.Source.Yaml);
        Assert.Equal(templates.OrderBy(t => t.Key), promo.Source.TemplateFiles.OrderBy(t => t.Key));
        Assert.Equal(T0.AddHours(1), stored.Single(s => s.Version == "ddd444").LastInForceAt);
    }

    [SkippableFact]
    public async Task Active_versions_count_the_active_instances_of_each_version()
    {
        var ann = RichState("c-1"); // welcome@3 active, cart-recovery@1 completed
        var bob = RichState("c-2");
        bob.Instances.RemoveAt(1);
        await SaveAsync(Decision(ann));
        await SaveAsync(Decision(bob));

        var active = await Storage.Versions.ActiveVersionsAsync(default);
        Assert.Equal(["welcome@3:2"], active.Select(a => $"{a.JourneyId}@{a.Version}:{a.Active}"));
    }
}
