using System.Text.Encodings.Web;
using Fluid;

namespace Orchestrator.Core.Liquid;

/// <summary>
/// A parsed message template: front matter (<c>subject</c>, <c>from</c>, <c>preheader</c>), the HTML body and
/// the optional plain-text part, each a Liquid template.
/// </summary>
public sealed class EmailTemplate
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
        {
            // The preview line mail clients show after the subject; hidden in the body itself.
            html = $"<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">{HtmlEncoder.Default.Encode(preheader)}</div>\n{html}";
        }
        var text = Text?.Render(context, NullEncoder.Default);
        var missing = context.AmbientValues.TryGetValue(LiquidSandbox.MissingKey, out var list) && list is List<string> names
            ? names.Distinct(StringComparer.Ordinal).ToArray()
            : [];
        return new RenderedEmail(subject, string.IsNullOrWhiteSpace(from) ? null : from, preheader, html, text, missing);
    }

    private static string OneLine(string value) => value.ReplaceLineEndings(" ").Trim();
}

/// <summary>The parts of one rendered email; <see cref="MissingRequired"/> lists names the <c>required</c> filter found empty.</summary>
public sealed record RenderedEmail(string Subject, string? From, string? Preheader, string Html, string? Text, IReadOnlyList<string> MissingRequired);
