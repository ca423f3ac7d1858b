using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>
/// A version's stored text parses back to the same version, whatever the files say by then (docs/journey-format.md,
/// Versions); a stored text that no longer gives that version is refused rather than run under its name.
/// </summary>
public sealed class StoredVersionsTests
{
    private static StoredJourneyVersion Stored(JourneyDefinition journey, DateTimeOffset lastInForce) =>
        new(journey.Id, journey.Version, journey.Source!, lastInForce);

    [Fact]
    public void Every_sample_journey_parses_back_from_its_stored_text_to_the_same_version_and_the_same_mail()
    {
        var loaded = JourneyLoader.LoadFolder(RepositoryFolders.Journeys).Journeys;
        Assert.NotEmpty(loaded);
        using var elsewhere = new JourneyFolder(); // an empty folder: nothing comes from disk
        var stored = StoredVersions.Parse(loaded.Select(j => Stored(j, DateTimeOffset.UnixEpoch)), elsewhere.Root);

        Assert.Empty(stored.Problems);
        Assert.Equal(loaded.Select(j => $"{j.Id}@{j.Version}"), stored.All.Select(j => $"{j.Id}@{j.Version}"));
        foreach (var (original, again) in loaded.Zip(stored.All))
        {
            Assert.Equal(original.Templates.Keys.Order(), again.Templates.Keys.Order());
            Assert.Equal(original.Steps.Select(s => $"{s.Id}:{s.Kind}"), again.Steps.Select(s => $"{s.Id}:{s.Kind}"));
            foreach (var step in original.Steps.OfType<EmailStep>())
            {
                var profile = new CustomerProfile { Id = "c-1", Email = "ann@example.com", FirstName = "Ann" };
                var entry = new Contracts.CustomerEvent { EventId = "e-1", CustomerId = "c-1", Type = original.Entry.Event, OccurredAt = DateTimeOffset.UnixEpoch };
                var expected = TryPreview(original, step, profile, entry);
                var actual = TryPreview(again, (EmailStep)again.FindStep(step.Id)!, profile, entry);
                Assert.Equal(expected, actual);
            }
        }
    }

    private static string TryPreview(JourneyDefinition journey, EmailStep step, CustomerProfile profile, Contracts.CustomerEvent entry)
    {
        try
        {
            var mail = JourneyEngine.Preview(journey, step, profile, entry);
            return $"{mail.Subject}\n{mail.Html}\n{mail.Text}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return "render error: " + ex.GetType().Name; // the same data fails the same way both times
        }
    }

    [Fact]
    public void A_stored_version_does_not_read_the_files_that_replaced_it()
    {
        using var folder = new JourneyFolder();
        folder.Journey("promo.yaml", """
            id: promo
            name: Promo
            entry:
              event: signed.up
            steps:
              - id: mail
                email: { template: promo }
            """);
        folder.Template("promo", "---\nsubject: \"Old subject\"\n---\n<p>Old</p>");
        var old = Assert.Single(folder.Load().Journeys);
        folder.Template("promo", "---\nsubject: \"New subject\"\n---\n<p>New</p>");
        File.Delete(Path.Combine(folder.Root, "promo.yaml"));

        var again = Assert.Single(StoredVersions.Parse([Stored(old, DateTimeOffset.UnixEpoch)], folder.Root).All);
        Assert.Equal(old.Version, again.Version);
        Assert.Equal(Path.Combine(folder.Root, "promo.yaml"), again.SourceFile);
        var mail = JourneyEngine.Preview(again, (EmailStep)again.Steps[0], new CustomerProfile { Id = "c-1" },
            new Contracts.CustomerEvent { EventId = "e", CustomerId = "c-1", Type = "signed.up", OccurredAt = DateTimeOffset.UnixEpoch });
        Assert.Equal("Old subject", mail.Subject);
    }

    [Fact]
    public void An_altered_or_no_longer_valid_text_is_named_and_left_out_and_the_last_in_force_version_of_a_file_is_known()
    {
        using var folder = new JourneyFolder();
        folder.Journey("promo.yaml", "id: promo\nname: Promo\nentry:\n  event: signed.up\nsteps:\n  - id: pause\n    wait: 1d\n");
        var v1 = Assert.Single(folder.Load().Journeys);
        folder.Journey("promo.yaml", "id: promo\nname: Promo\nentry:\n  event: signed.up\nsteps:\n  - id: pause\n    wait: 2d\n");
        var v2 = Assert.Single(folder.Load().Journeys);
        var altered = new StoredJourneyVersion("promo", "0123456789ab", v1.Source!, DateTimeOffset.UnixEpoch);
        var invalid = new StoredJourneyVersion("promo", "ffffffffffff", v1.Source! with { Yaml = v1.Source!.Yaml.Replace("1d", "1 day", StringComparison.Ordinal) }, DateTimeOffset.UnixEpoch);

        var stored = StoredVersions.Parse(
            [Stored(v2, DateTimeOffset.UnixEpoch.AddDays(2)), Stored(v1, DateTimeOffset.UnixEpoch.AddDays(3)), altered, invalid], folder.Root);

        Assert.Equal([v2.Version, v1.Version], stored.All.Select(j => j.Version));
        Assert.Equal(v1.Version, stored.LastInForce("promo.yaml")!.Version);
        Assert.Null(stored.LastInForce("other.yaml"));
        Assert.Collection(stored.Problems,
            p => Assert.Equal($"stored version 0123456789ab of journey 'promo' parses as promo@{v1.Version}: its stored text was altered", p.Message),
            p => Assert.StartsWith("stored version ffffffffffff of journey 'promo' (promo.yaml) no longer loads: wait '1 day' is not a duration", p.Message, StringComparison.Ordinal));
    }
}
