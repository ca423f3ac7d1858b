using System.Globalization;
using System.Text;

namespace Orchestrator.Pages;

/// <summary>How a page is written: served by the worker (assets linked, links to other pages, refreshing itself) or
/// exported as one self-contained file (assets inline, no links, no refresh: it opens offline and can be mailed).</summary>
public sealed record PageMode(bool Served, int RefreshSeconds = 0)
{
    public static readonly PageMode Export = new(false);

    public static PageMode Live(int refreshSeconds = 30) => new(true, refreshSeconds);
}

/// <summary>The frame around every page: head, style, navigation, scripts.</summary>
internal static class PageShell
{
    public static string Write(PageMode mode, string title, string body)
    {
        var html = new StringBuilder(body.Length + 4096);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Html.E(title)).Append(" · Orchestrator</title>");
        if (mode.Served)
            html.Append(CultureInfo.InvariantCulture, $"<link rel=\"stylesheet\" href=\"/assets/{PageAssets.StyleSheet}?v={Uri.EscapeDataString(PageAssets.Version)}\">");
        else
            html.Append("<style>").Append(PageAssets.ReadText(PageAssets.StyleSheet)).Append("</style>");
        html.Append("</head><body")
            .Append(mode.RefreshSeconds > 0 ? string.Create(CultureInfo.InvariantCulture, $" data-refresh-seconds=\"{mode.RefreshSeconds}\"") : "")
            .Append('>');
        html.Append("<header class=\"top\"><strong>Orchestrator</strong>");
        if (mode.Served)
            html.Append(" <nav><a href=\"/\">Journeys</a></nav><form class=\"lookup\" action=\"/customers\" method=\"get\"><label>Customer <input name=\"id\" placeholder=\"customer id\" required></label> <button>Trace</button></form>");
        else
            html.Append(" <span class=\"muted\">exported report</span>");
        html.Append("</header><main>").Append(body).Append("</main>");
        foreach (var script in PageAssets.Scripts)
        {
            if (mode.Served)
                html.Append(CultureInfo.InvariantCulture, $"<script src=\"/assets/{script}?v={Uri.EscapeDataString(PageAssets.Version)}\"></script>");
            else
                // An inline script ends at the first "</script": Inline checks that the library has none.
                html.Append("<script>").Append(Inline(script)).Append("</script>");
        }
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Inline(string script)
    {
        var text = PageAssets.ReadText(script);
        // Rewriting the text could change the program (a regular expression, say); a library update that needs it fails here, loudly.
        if (text.Contains("</script", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{script} contains \"</script\" and cannot be inlined into an exported page");
        return text;
    }
}
