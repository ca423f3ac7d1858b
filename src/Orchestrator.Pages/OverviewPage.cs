using System.Globalization;
using System.Text;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;

namespace Orchestrator.Pages;

/// <summary><c>/</c>: every journey with its phase, version in force, entered, active, conversion and open verdicts,
/// and the journey files that do not load, each error with <c>file:line:col</c>.</summary>
public static class OverviewPage
{
    public static string Write(JourneyOverview overview, PageMode mode, string? phase = null)
    {
        var html = new StringBuilder(16 * 1024);
        html.Append("<section id=\"journeys\"><h1>Journeys</h1><p class=\"muted\">As of ").Append(Html.E(Iso.Format(overview.Now)))
            .Append(phase is null ? "" : $" · phase {Html.E(phase)}").Append("</p>");
        if (mode.Served)
            html.Append(CultureInfo.InvariantCulture, $"<form class=\"filters\" method=\"get\"><label>phase <input name=\"phase\" value=\"{Html.E(phase)}\" placeholder=\"any\"></label><button>Apply</button></form>");
        Html.Table(html, "Journeys in force", ["journey", "phase", "version in force", "entered", "active now", "converted", "conversion", "experiments", "experience"],
            overview.Journeys.Select((j, i) => new[]
            {
                Html.TdRaw(mode.Served ? $"<a href=\"/journeys/{Uri.EscapeDataString(j.Journey)}\">{Html.E(j.Name ?? j.Journey)}</a> <small>{Html.E(j.Journey)}</small>" : Html.E(j.Name ?? j.Journey)),
                Html.Td(j.Phase ?? "–"), Html.Td(j.CurrentVersion is { } v ? v[..Math.Min(12, v.Length)] : "–"),
                Html.Count($"/journeys/{i}/entered", j.Entered), Html.Count($"/journeys/{i}/active", j.Active), Html.Count($"/journeys/{i}/converted", j.Converted),
                Html.Rate($"/journeys/{i}/rate", j.Rate),
                Html.TdRaw(j.Experiments.Count == 0 ? "–" : string.Join("<br>", j.Experiments.Select((e, ei) =>
                    $"{Html.E(e.Step)}: {Html.E(e.Variant)} vs {Html.E(e.Control)} <span class=\"figure verdict-{Html.E(e.Verdict)}\" data-json=\"/journeys/{i}/experiments/{ei}/verdict\" data-value=\"{Html.E(e.Verdict)}\">{Html.E(e.Verdict)}</span>"))),
                j.ExperienceFlag is { } flag ? Html.Text($"/journeys/{i}/experienceFlag", flag) : Html.Td("–"),
            }), "journeys");
        if (overview.JourneyErrors.Count > 0)
        {
            html.Append("<h2>Journey files with errors</h2><p class=\"muted\">The last good version of each keeps running; new files start once they load.</p><ul class=\"errors\">");
            foreach (var (error, i) in overview.JourneyErrors.Select((e, i) => (e, i)))
                html.Append(CultureInfo.InvariantCulture, $"<li><code data-json=\"/journeyErrors/{i}\" data-value=\"{Html.E(error)}\">{Html.E(error)}</code></li>");
            html.Append("</ul>");
        }
        if (overview.WithoutFile.Count > 0)
            html.Append("<p class=\"muted\">In the store but without a journey file: ").Append(Html.E(string.Join(", ", overview.WithoutFile))).Append("</p>");
        html.Append("</section>");
        return PageShell.Write(mode, "Journeys", html.ToString());
    }
}
