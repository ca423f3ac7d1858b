using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>What the rendered email looks like: where the preheader goes and what <c>required</c> counts as missing.</summary>
public sealed class EmailRenderingTests
{
    private const string OneMail = """
        id: news
        name: News
        entry:
          event: news.start
        steps:
          - id: mail
            email: { template: mail }
        """;

    private static EmailToSend SendOne(string template, string customer = EngineHarness.DefaultCustomer, string? properties = null)
    {
        using var h = new EngineHarness().WithJourney(OneMail).WithTemplateFile("mail.liquid", template).Load();
        h.Event("news.start", "2026-03-02T08:00:00Z", properties, customer);
        return Assert.Single(h.Sends);
    }

    [Fact]
    public void The_preheader_is_the_first_thing_inside_the_body_and_the_doctype_stays_first()
    {
        var email = SendOne("""
            ---
            subject: Hello
            preheader: "Still thinking it over, {{ customer.firstName }}?"
            ---
            <!doctype html>
            <html>
            <head><title>News</title></head>
            <body style="margin:0">
              <p>Hello</p>
            </body>
            </html>
            """);

        Assert.StartsWith("<!doctype html>", email.Html, StringComparison.Ordinal);
        const string body = "<body style=\"margin:0\">";
        var afterBody = email.Html[(email.Html.IndexOf(body, StringComparison.Ordinal) + body.Length)..].TrimStart();
        Assert.StartsWith("<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">Still thinking it over, Ann?</div>", afterBody, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(email.Html, "Still thinking it over"));
    }

    [Fact]
    public void Without_a_body_tag_the_preheader_follows_the_doctype()
    {
        var email = SendOne("""
            ---
            subject: Hello
            preheader: Preview
            ---
            <!DOCTYPE html>
            <p>Hello</p>
            """);

        Assert.StartsWith("<!DOCTYPE html>\n<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">Preview</div>", email.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fragment_without_doctype_or_body_starts_with_the_preheader()
    {
        var email = SendOne("""
            ---
            subject: Hello
            preheader: Preview
            ---
            <p>Hello</p>
            """);

        Assert.StartsWith("<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">Preview</div>", email.Html, StringComparison.Ordinal);
    }

    private static Outcome SkippedOne(string template, string customer = EngineHarness.DefaultCustomer, string? properties = null)
    {
        using var h = new EngineHarness().WithJourney(OneMail).WithTemplateFile("mail.liquid", template).Load();
        h.Event("news.start", "2026-03-02T08:00:00Z", properties, customer);
        Assert.Empty(h.Sends);
        return h.Single(OutcomeKind.Skipped);
    }

    [Theory]
    [InlineData("\"  \"")]
    [InlineData("\"\\t\\n \"")]
    [InlineData("\"\"")]
    public void A_required_value_that_is_blank_is_missing(string firstName)
    {
        var skipped = SkippedOne("""
            ---
            subject: Hello
            ---
            <p>Dear {{ customer.firstName | required }},</p>
            """, customer: $$"""{"email":"ann@example.com","firstName":{{firstName}}}""");

        Assert.Equal("missing-data:customer.firstName", EngineHarness.Detail(skipped, "reason"));
    }

    [Fact]
    public void A_required_value_behind_an_index_is_named_by_its_full_path()
    {
        var skipped = SkippedOne("""
            ---
            subject: Hello
            ---
            <p>You left {{ entry.properties.items[0].name | required }} and {{ entry.properties.items[1].name | required }}.</p>
            """, properties: """{"items":[{"name":"Lamp"},{"price":3}]}""");

        Assert.Equal("missing-data:entry.properties.items[1].name", EngineHarness.Detail(skipped, "reason"));
    }

    [Fact]
    public void A_required_value_read_with_a_quoted_key_is_named_as_written()
    {
        var skipped = SkippedOne("""
            ---
            subject: Hello
            ---
            <p>{{ entry.properties["gift-note"] | required }}</p>
            """, properties: """{"items":[]}""");

        Assert.Equal("missing-data:entry.properties[\"gift-note\"]", EngineHarness.Detail(skipped, "reason"));
    }

    [Fact]
    public void A_required_value_with_text_in_it_is_sent()
    {
        var email = SendOne("""
            ---
            subject: Hello
            ---
            <p>Dear {{ customer.firstName | required }}, {{ entry.properties.items[0].name | required }}</p>
            """, customer: """{"email":"ann@example.com","firstName":" Ann "}""", properties: """{"items":[{"name":"Lamp"}]}""");

        Assert.Contains("Dear  Ann , Lamp", email.Html, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
