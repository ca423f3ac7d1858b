using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;

namespace Orchestrator.Pages;

/// <summary>
/// Writing a page: escaping, and the figure cells. Every number a page shows comes from the report's JSON and is
/// marked with where it sits there (<c>data-json</c>, a JSON pointer) and its exact value (<c>data-value</c>), so the
/// browser tests can check each shown figure against the JSON the same URL serves, and an analyst can too.
/// </summary>
internal static class Html
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A count, with thousands separators.</summary>
    public static string Count(string pointer, int value) => Cell(pointer, value.ToString(Invariant), value.ToString("N0", Invariant));

    /// <summary>A share of 1 shown as a percentage with one decimal.</summary>
    public static string Rate(string pointer, double value) => Cell(pointer, value.ToString("R", Invariant), Percent(value));

    /// <summary>A mean or score with two decimals.</summary>
    public static string Number(string pointer, double value) => Cell(pointer, value.ToString("R", Invariant), value.ToString("0.00", Invariant));

    /// <summary>A p-value: three decimals, or "&lt; 0.001".</summary>
    public static string PValue(string pointer, double value) =>
        Cell(pointer, value.ToString("R", Invariant), value < 0.001 ? "< 0.001" : value.ToString("0.000", Invariant));

    /// <summary>An ISO 8601 duration (PT26H) shown the way the journey files write durations (26h, 1d 2h).</summary>
    public static string Span(string pointer, string? iso) => iso is null ? "<td>–</td>" : Cell(pointer, iso, Readable(iso));

    /// <summary>A difference of two shares, in percentage points with its sign.</summary>
    public static string Points(string pointer, double value) => Cell(pointer, value.ToString("R", Invariant), SignedPoints(value));

    /// <summary>An interval of shares (or of differences, <paramref name="signed"/>): both ends are figures.</summary>
    public static string Interval(string pointer, double[] bounds, bool signed = false)
    {
        string End(int i) => $"<span class=\"figure\" data-json=\"{E(pointer)}/{i}\" data-value=\"{E(bounds[i].ToString("R", Invariant))}\">{E(signed ? SignedPoints(bounds[i]) : Percent(bounds[i]))}</span>";
        return $"<td>[{End(0)}, {End(1)}]</td>";
    }

    public static string SignedPoints(double value) => (value >= 0 ? "+" : "−") + Math.Abs(100 * value).ToString("0.0", Invariant) + " pts";

    /// <summary>A text figure (a verdict, a variant) that the JSON also holds.</summary>
    public static string Text(string pointer, string? value) => value is null ? "<td>–</td>" : Cell(pointer, value, value);

    public static string Percent(double value) => (100 * value).ToString("0.0", Invariant) + "%";

    public static string Readable(string iso)
    {
        var span = XmlConvert.ToTimeSpan(iso);
        if (span < TimeSpan.FromMinutes(1))
            return $"{span.TotalSeconds.ToString("0", Invariant)}s";
        var parts = new List<string>(3);
        if (span.Days > 0) parts.Add($"{span.Days}d");
        if (span.Hours > 0) parts.Add($"{span.Hours}h");
        if (span.Minutes > 0 && span.Days == 0) parts.Add($"{span.Minutes}m");
        return string.Join(' ', parts);
    }

    /// <summary>JSON pointer segment (RFC 6901): <c>~</c> and <c>/</c> escaped.</summary>
    public static string Segment(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Cell(string pointer, string value, string shown) =>
        $"<td class=\"figure\" data-json=\"{E(pointer)}\" data-value=\"{E(value)}\">{E(shown)}</td>";

    /// <summary>A table: a caption, head cells (escaped) and rows of ready cells.</summary>
    public static void Table(StringBuilder html, string caption, IReadOnlyList<string> head, IEnumerable<IEnumerable<string>> rows, string? cssClass = null)
    {
        html.Append(CultureInfo.InvariantCulture, $"<table{(cssClass is null ? "" : $" class=\"{cssClass}\"")}><caption>{E(caption)}</caption><thead><tr>");
        foreach (var h in head)
            html.Append("<th>").Append(E(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append(cell);
            html.Append("</tr>");
        }
        if (!any)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td colspan=\"{head.Count}\" class=\"empty\">nothing yet</td></tr>");
        html.Append("</tbody></table>");
    }

    /// <summary>A plain (not figure) cell.</summary>
    public static string Td(string? text) => $"<td>{E(text)}</td>";

    public static string TdRaw(string html) => $"<td>{html}</td>";
}
