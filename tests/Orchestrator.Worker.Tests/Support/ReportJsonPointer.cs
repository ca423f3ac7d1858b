using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// Checks a page's figures against the JSON the same URL serves: every element with <c>data-json</c> (a JSON pointer,
/// RFC 6901) and <c>data-value</c> must name a value that exists in the JSON and equals it, and a count must show it.
/// </summary>
internal static class ReportJsonPointer
{
    public sealed record Figure(string Pointer, string Value, string Text);

    /// <summary>The figures of the page, read in the browser.</summary>
    public static async Task<IReadOnlyList<Figure>> ReadAsync(BrowserPage page)
    {
        var figures = await page.Page.EvaluateAsync<JsonElement>(
            "() => Array.from(document.querySelectorAll('[data-json]')).map(e => [e.dataset.json, e.dataset.value, e.textContent.trim()])");
        return figures.EnumerateArray().Select(f => new Figure(f[0].GetString()!, f[1].GetString()!, f[2].GetString()!)).ToList();
    }

    /// <summary>Each mismatch in words; empty when every figure equals the JSON.</summary>
    public static IReadOnlyList<string> Mismatches(IEnumerable<Figure> figures, JsonElement json)
    {
        var problems = new List<string>();
        foreach (var figure in figures)
        {
            if (Resolve(json, figure.Pointer) is not { } value)
            {
                problems.Add($"{figure.Pointer}: not in the JSON (page shows '{figure.Text}')");
                continue;
            }
            var equal = value.ValueKind switch
            {
                JsonValueKind.Number => double.Parse(figure.Value, CultureInfo.InvariantCulture) == value.GetDouble(),
                JsonValueKind.String => figure.Value == value.GetString(),
                _ => false,
            };
            if (!equal)
                problems.Add($"{figure.Pointer}: page {figure.Value}, JSON {value.GetRawText()}");
            else if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && figure.Text.Replace(",", "", StringComparison.Ordinal) is var shown
                     && long.TryParse(shown, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var shownCount) && shownCount != count)
                problems.Add($"{figure.Pointer}: shows {figure.Text}, JSON {count}");
        }
        return problems;
    }

    public static JsonElement? Resolve(JsonElement root, string pointer)
    {
        var current = root;
        foreach (var raw in pointer.Split('/').Skip(1))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next))
                current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength())
                current = current[index];
            else
                return null;
        }
        return current;
    }
}
