using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid;

namespace Orchestrator.Core.Liquid;

/// <summary>
/// A parsed message template: front matter (<c>subject</c>, <c>from</c>, <c>preheader</c>), the HTML body and
/// the optional plain-text part, each a Liquid template.
/// </summary>
public sealed partial class EmailTemplate
{
    public required string Name { get; init; }
    public required IFluidTemplate Subject { get; init; }
    public IFluidTemplate? From { get; init; }
    public IFluidTemplate? Preheader { get; init; }
    public required IFluidTemplate Html { get; init; }
    public IFluidTemplate? Text { get; init; }

    /// <summary>
    /// Renders every part with one context, so that <c>required</c> failures anywhere are collected together.
    /// <paramref name="subjectOverride"/> is the email step's own <c>subject</c>, when it has one.
    /// </summary>
    public RenderedEmail Render(Scope scope, IFluidTemplate? subjectOverride = null)
    {
        var context = scope.CreateContext();
        var subject = OneLine((subjectOverride ?? Subject).Render(context, NullEncoder.Default));
        var from = From is null ? null : OneLine(From.Render(context, NullEncoder.Default));
        var preheader = Preheader is null ? null : OneLine(Preheader.Render(context, NullEncoder.Default));
        var html = Html.Render(context, HtmlEncoder.Default);
        if (!string.IsNullOrEmpty(preheader))
            html = WithPreheader(html, preheader);
        var text = Text?.Render(context, NullEncoder.Default);
        var missing = context.AmbientValues.TryGetValue(LiquidSandbox.MissingKey, out var list) && list is List<string> names
            ? names.Distinct(StringComparer.Ordinal).ToArray()
            : [];
        return new RenderedEmail(subject, string.IsNullOrWhiteSpace(from) ? null : from, preheader, html, text, missing);
    }

    /// <summary>
    /// Puts the preheader (the preview line mail clients show after the subject, hidden in the body itself) first
    /// inside <c>&lt;body&gt;</c>. Anything before <c>&lt;!doctype html&gt;</c> puts every mail client in quirks
    /// mode, so without a body tag it goes right after the doctype, and only a bare fragment starts with it.
    /// </summary>
    internal static string WithPreheader(string html, string preheader)
    {
        var block = $"<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">{HtmlEncoder.Default.Encode(preheader)}</div>";
        var at = BodyTag().Match(html) is { Success: true } body ? body.Index + body.Length
            : Doctype().Match(html) is { Success: true } doctype ? doctype.Index + doctype.Length
            : -1;
        return at < 0 ? $"{block}\n{html}" : $"{html[..at]}\n{block}{html[at..]}";
    }

    [GeneratedRegex(@"<body\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BodyTag();

    [GeneratedRegex(@"^\s*<!doctype\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Doctype();

    private static string OneLine(string value) => value.ReplaceLineEndings(" ").Trim();
}

/// <summary>The parts of one rendered email; <see cref="MissingRequired"/> lists names the <c>required</c> filter found empty.</summary>
public sealed record RenderedEmail(string Subject, string? From, string? Preheader, string Html, string? Text, IReadOnlyList<string> MissingRequired);
