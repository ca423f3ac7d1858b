using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Email;

/// <summary>
/// A plain-text rendering of a template's HTML for emails whose template has no text part: readable, with link
/// targets kept. It is a fallback, not a layout engine; templates that care write their own <c>.txt</c> part.
/// </summary>
internal static partial class HtmlToText
{
    public static string Convert(string html)
    {
        var text = Invisible().Replace(html, "");
        // Line breaks in HTML source are just spaces; only the tags below decide where text lines break.
        text = SourceWhitespace().Replace(text, " ");
        text = Link().Replace(text, m =>
        {
            var label = Tag().Replace(m.Groups["label"].Value, "").Trim();
            var href = m.Groups["href"].Value.Trim();
            if (label.Length == 0)
                return href;
            // In-page anchors mean nothing in text, and a label that is the address needs no repeating.
            if (href.Length == 0 || href.StartsWith('#') || WebUtility.HtmlDecode(label) == WebUtility.HtmlDecode(href))
                return label;
            return $"{label} ({href})";
        });
        text = ListItem().Replace(text, "\n- ");
        text = BlockBreak().Replace(text, "\n");
        text = Tag().Replace(text, "");
        text = WebUtility.HtmlDecode(text);

        var result = new StringBuilder(text.Length);
        var blankLines = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = Spaces().Replace(rawLine, " ").Trim();
            if (line.Length == 0)
            {
                // Collapse runs of empty lines (block tags in a row) into one paragraph break.
                if (result.Length > 0 && blankLines++ == 0)
                    result.Append('\n');
                continue;
            }
            blankLines = 0;
            result.Append(line).Append('\n');
        }
        return result.ToString().Trim();
    }

    // Head, styles and scripts have no readable text; hidden elements are the preheader and tracking snippets.
    [GeneratedRegex("""<(head|style|script|title)\b.*?</\1\s*>|<!--.*?-->|<(div|span|p)\b[^>]*display\s*:\s*none[^>]*>.*?</\2\s*>""", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Invisible();

    [GeneratedRegex("""<a\b[^>]*?\bhref\s*=\s*["'](?<href>[^"']*)["'][^>]*>(?<label>.*?)</a\s*>""", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Link();

    [GeneratedRegex("""<li\b[^>]*>""", RegexOptions.IgnoreCase)]
    private static partial Regex ListItem();

    [GeneratedRegex("""<br\s*/?>|</?(p|div|tr|table|h[1-6]|ul|ol|blockquote|section|article|header|footer|hr)\b[^>]*>""", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBreak();

    [GeneratedRegex("""<[^>]+>""")]
    private static partial Regex Tag();

    [GeneratedRegex("""\s+""")]
    private static partial Regex SourceWhitespace();

    [GeneratedRegex("""[ \t\r\f\v\u00A0]+""")]
    private static partial Regex Spaces();
}
