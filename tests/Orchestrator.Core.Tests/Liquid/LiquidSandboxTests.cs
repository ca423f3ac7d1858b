using System.Text.Json;
using Fluid;
using Fluid.Values;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Liquid;
using Orchestrator.Core.Tests.Engine;
using Scope = Orchestrator.Core.Liquid.Scope;

namespace Orchestrator.Core.Tests.Liquid;

/// <summary>
/// Expressions and templates read the journey's values and nothing else (docs/journey-format.md, "Expressions" and
/// "Templates"): no files, no CLR members, missing names are nil and never throw.
/// </summary>
public sealed class LiquidSandboxTests
{
    private static Scope CustomerScope(string attributes = "{}") => new Scope()
        .Set("customer", Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal)
        {
            ["id"] = new StringValue("c-1"),
            ["firstName"] = new StringValue("Ann"),
            ["attributes"] = Scope.FromJson(JsonDocument.Parse(attributes).RootElement.Clone()),
        }))
        .Set("event", Scope.FromJson(JsonDocument.Parse("""{"type":"order.placed","properties":{"total":42.5,"tags":["a","b"]}}""").RootElement.Clone()));

    private static string Render(string source, Scope? scope = null)
    {
        Assert.True(LiquidSandbox.TryParseTemplate(source, out var template, out var error), error);
        return template!.Render((scope ?? CustomerScope()).CreateContext());
    }

    private static bool IsTrue(string condition, string attributes = "{}") =>
        LiquidExpression.Parse(condition).IsTrue(CustomerScope(attributes));

    [Theory]
    [InlineData("{{ customer.lastName }}")]
    [InlineData("{{ customer.attributes.nothing.deeper.still }}")]
    [InlineData("{{ entry.properties.cartId }}")]
    [InlineData("{{ nothing }}")]
    [InlineData("{{ nothing.at.all | upcase | truncate: 3 }}")]
    [InlineData("{{ event.properties.tags[7] }}")]
    [InlineData("{% for x in nothing.here %}x{% endfor %}")]
    [InlineData("{% if nothing.here %}x{% endif %}")]
    public void A_missing_name_renders_empty(string source)
    {
        Assert.Equal("", Render(source));
    }

    [Theory]
    [InlineData("{{ customer.GetType }}")]
    [InlineData("{{ customer.firstName.GetType }}")]
    [InlineData("{{ customer.firstName.Length }}")]
    [InlineData("{{ event.properties.total.GetType.Assembly }}")]
    public void Clr_members_cannot_be_read(string source)
    {
        Assert.Equal("", Render(source));
    }

    [Theory]
    [InlineData("{% include 'sandbox-probe' %}")]
    [InlineData("{% render 'sandbox-probe' %}")]
    [InlineData("{% include 'sandbox-probe.liquid' %}")]
    [InlineData("{% include '/etc/passwd' %}")]
    public void Include_and_render_find_no_files(string source)
    {
        // Files the tag would find if the sandbox had any file provider rooted at the working directory.
        string[] probes = [Path.Combine(Environment.CurrentDirectory, "sandbox-probe.liquid"), Path.Combine(Environment.CurrentDirectory, "sandbox-probe.liquid.liquid")];
        foreach (var probe in probes)
            File.WriteAllText(probe, "TOP SECRET");
        Assert.True(LiquidSandbox.TryParseTemplate(source, out var template, out _));

        string? output = null;
        try
        {
            output = template!.Render(CustomerScope().CreateContext());
        }
        catch (FileNotFoundException)
        {
            // Not finding the file at all is fine too; the engine turns it into a skipped send (see the engine tests).
        }
        finally
        {
            foreach (var probe in probes)
                File.Delete(probe);
        }
        Assert.DoesNotContain("TOP SECRET", output ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("root:", output ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customer.attributes.vip == true")]
    [InlineData("customer.attributes.vip")]
    [InlineData("customer.attributes.vip.level > 2")]
    [InlineData("entry.properties.total >= 20")]
    [InlineData("journey.variant == 'control'")]
    [InlineData("customer.attributes.tags contains 'x'")]
    [InlineData("nothing and customer.firstName == 'Ann'")]
    public void A_missing_name_in_a_condition_is_false(string condition)
    {
        Assert.False(IsTrue(condition));
    }

    [Theory]
    [InlineData("customer.attributes.vip == nil")]
    [InlineData("customer.attributes.vip != true")]
    [InlineData("nothing or customer.firstName == 'Ann'")]
    public void A_missing_name_is_nil_in_a_condition(string condition)
    {
        Assert.True(IsTrue(condition));
    }

    [Theory]
    [InlineData("customer.attributes.vip == true", """{"vip":true}""", true)]
    [InlineData("customer.attributes.spend > 100", """{"spend":100.5}""", true)]
    [InlineData("event.properties.total >= 42.5 and event.properties.tags contains 'b'", "{}", true)]
    [InlineData("customer.attributes.tags contains 'gold'", """{"tags":["silver","gold"]}""", true)]
    [InlineData("event.type == 'order.placed'", "{}", true)]
    public void Conditions_read_json_values(string condition, string attributes, bool expected)
    {
        Assert.Equal(expected, IsTrue(condition, attributes));
    }

    [Fact]
    public void The_required_filter_names_what_is_missing()
    {
        Assert.True(LiquidSandbox.TryParseTemplate("{{ customer.lastName | upcase | required }} {{ customer.firstName | required }}", out var template, out _));
        var email = new EmailTemplate { Name = "t", Subject = template!, Html = template! }.Render(CustomerScope());

        Assert.Equal(["customer.lastName"], email.MissingRequired);
        Assert.Equal("Ann", email.Subject);
    }

    [Fact]
    public void Values_are_html_encoded_in_the_html_part_only()
    {
        var scope = new Scope().Set("entry", Scope.FromJson(JsonDocument.Parse("""{"properties":{"name":"<b>Tom & Jerry</b>"}}""").RootElement.Clone()));
        Assert.True(LiquidSandbox.TryParseTemplate("{{ entry.properties.name }}", out var part, out _));
        var email = new EmailTemplate { Name = "t", Subject = part!, Html = part!, Text = part! }.Render(scope);

        Assert.Equal("<b>Tom & Jerry</b>", email.Subject);
        Assert.Equal("<b>Tom & Jerry</b>", email.Text);
        Assert.Equal("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;", email.Html);
    }

    private static EngineHarness OneTemplate(string html) => new EngineHarness()
        .WithJourney("""
            id: news
            name: News
            entry:
              event: news.start
            steps:
              - id: mail
                email: { template: mail }
              - id: after
                email: { template: after }
            """)
        .WithTemplate("mail", "Hello {{ customer.nickname }}{{ entry.properties.missing }}", html)
        .WithTemplate("after", "After")
        .WithTemplateFile("secret.liquid", "---\nsubject: secret\n---\nTOP SECRET\n")
        .Load();

    [Theory]
    [InlineData("<p>{% include 'secret' %}</p>")]
    [InlineData("<p>{% render 'secret' %}</p>")]
    [InlineData("<p>{% include 'templates/secret.liquid' %}</p>")]
    public void A_template_cannot_read_other_files_and_never_stops_the_instance(string html)
    {
        using var h = OneTemplate(html);

        h.Event("news.start", "2026-03-02T08:00:00Z");

        Assert.DoesNotContain(h.Sends, s => s.Html.Contains("TOP SECRET", StringComparison.Ordinal));
        Assert.Contains(h.Sends, s => s.Subject == "After");
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Fact]
    public void A_template_with_missing_names_is_sent_with_them_empty()
    {
        using var h = OneTemplate("<p>Hi {{ customer.attributes.nickname }}, {{ entry.properties.a.b.c }}!</p>");

        h.Event("news.start", "2026-03-02T08:00:00Z");

        var send = h.Sends[0];
        Assert.Equal("Hello", send.Subject);
        Assert.Contains("<p>Hi , !</p>", send.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% for i in (1..1000) %}{% for j in (1..1000) %}x{% endfor %}{% endfor %}")]
    [InlineData("{{ 10 | divided_by: 0 }}")]
    public void A_template_that_fails_to_render_is_skipped_and_the_instance_goes_on(string html)
    {
        using var h = OneTemplate(html);

        h.Event("news.start", "2026-03-02T08:00:00Z");

        var skipped = h.Single(OutcomeKind.Skipped);
        Assert.Equal("render-error", EngineHarness.Detail(skipped, "reason"));
        Assert.Equal(["After"], h.Sends.Select(s => s.Subject));
    }

    [Fact]
    public void A_missing_name_as_a_filter_argument_never_throws_out_of_the_engine()
    {
        using var h = OneTemplate("<p>{{ entry.properties.count | divided_by: customer.attributes.zero }}{{ customer.attributes.list | join: customer.attributes.nothing }}</p>");

        h.Event("news.start", "2026-03-02T08:00:00Z", properties: """{"count":4}""");

        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
        Assert.Contains(h.Sends, s => s.Subject == "After");
    }
}
