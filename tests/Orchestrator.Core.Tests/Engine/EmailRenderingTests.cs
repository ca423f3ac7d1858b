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

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
