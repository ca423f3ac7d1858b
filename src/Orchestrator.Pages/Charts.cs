using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using Orchestrator.Core.Analysis;

namespace Orchestrator.Pages;

/// <summary>
/// The charts of the journey page as Vega-Lite specifications with their data inlined from the report: a chart is a
/// drawing of figures the table beside it lists, never a second computation. vega-embed draws them as SVG in the page.
/// </summary>
internal static class Charts
{
    private const int Width = 440;
    private static readonly int[] ShareDomain = [0, 1];
    private static readonly int[] NpsDomain = [-100, 100];

    // The default encoder escapes <, > and &, so a spec inside <script type="application/json"> cannot close the tag.
    private static readonly JsonSerializerOptions SpecJson = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>A figure holding one chart: the spec travels in the page, pages.js draws it. No spec: nothing to draw yet, said so.</summary>
    public static void Write(StringBuilder html, string name, string title, object? spec)
    {
        if (spec is null)
        {
            html.Append("<figure class=\"chart-empty\" data-chart=\"").Append(Html.E(name)).Append("\"><figcaption>").Append(Html.E(title))
                .Append("</figcaption><p class=\"muted\">Nothing to draw yet.</p></figure>");
            return;
        }
        html.Append("<figure class=\"chart\" data-chart=\"").Append(Html.E(name)).Append("\"><figcaption>").Append(Html.E(title)).Append("</figcaption>")
            .Append("<div class=\"chart-canvas\"></div><script type=\"application/json\" class=\"chart-spec\">")
            .Append(JsonSerializer.Serialize(spec, SpecJson)).Append("</script></figure>");
    }

    private static Dictionary<string, object>? Base<T>(IReadOnlyCollection<T> data, object mark, object encoding, int height) => data.Count == 0 ? null : new()
    {
        ["width"] = Width,
        ["height"] = height,
        ["data"] = new { values = data },
        ["mark"] = mark,
        ["encoding"] = encoding,
        ["config"] = new { view = new { stroke = (string?)null }, font = "system-ui, sans-serif" },
    };

    /// <summary>Reached per step in the journey's order, with who is waiting there now.</summary>
    public static object? Funnel(JourneyReport report)
    {
        var rows = report.Steps.Select((s, i) => new { order = i, step = s.Id, reached = s.Reached, waiting = s.WaitingNow }).ToList();
        return Base(rows, new { type = "bar", tooltip = true }, new
        {
            y = new { field = "step", type = "nominal", sort = new { field = "order" }, title = (string?)null },
            x = new { field = "reached", type = "quantitative", title = "instances that reached the step" },
        }, Math.Max(60, 22 * rows.Count));
    }

    /// <summary>The Kaplan-Meier curve: share converted by time since entry, instances still open counted as censored.</summary>
    public static object? TimeToConvert(JourneyReport report)
    {
        var rows = report.Conversion.TimeToConvert.Curve.Select(p => new { hours = XmlConvert.ToTimeSpan(p.T).TotalHours, converted = p.Converted, atRisk = p.AtRisk }).ToList();
        return Base(rows, new { type = "line", interpolate = "step-after", point = true, tooltip = true }, new
        {
            x = new { field = "hours", type = "quantitative", title = "hours since entry" },
            y = new { field = "converted", type = "quantitative", title = "converted", axis = new { format = ".0%" } },
        }, 220);
    }

    public static object? ConversionByWeek(JourneyReport report)
    {
        var rows = report.Conversion.ByWeek.Select(w => new { week = w.Week, rate = w.Rate, entered = w.Entered }).ToList();
        return Base(rows, new { type = "bar", tooltip = true }, new
        {
            x = new { field = "week", type = "ordinal", title = "week of entry" },
            y = new { field = "rate", type = "quantitative", title = "converted", axis = new { format = ".0%" } },
        }, 200);
    }

    /// <summary>Each arm's conversion with its 95% interval: a point on a bar.</summary>
    public static object? Arms(ExperimentFigures experiment)
    {
        var rows = experiment.Arms.Select(a => new { variant = a.Variant, rate = a.Rate, low = a.Ci95[0], high = a.Ci95[1], n = a.N }).ToList();
        if (rows.Count == 0)
            return null;
        var y = new { field = "variant", type = "nominal", title = (string?)null };
        return new Dictionary<string, object>
        {
            ["width"] = Width,
            ["height"] = Math.Max(60, 34 * rows.Count),
            ["data"] = new { values = rows },
            ["config"] = new { view = new { stroke = (string?)null }, font = "system-ui, sans-serif" },
            ["layer"] = new object[]
            {
                new { mark = new { type = "rule", strokeWidth = 2 }, encoding = new { y, x = new { field = "low", type = "quantitative", title = "conversion, 95% interval", axis = new { format = ".0%" } }, x2 = new { field = "high" } } },
                new { mark = new { type = "point", filled = true, size = 80, tooltip = true }, encoding = new { y, x = new { field = "rate", type = "quantitative" } } },
            },
        };
    }

    /// <summary>Top-box share at the touchpoints (each email) beside the journey as a whole: the gap the practice warns about.</summary>
    public static object? Levels(ExperienceFigures experience)
    {
        var rows = experience.Touchpoints.Select(t => new { label = $"{t.Step} ({t.Metric})", level = "touchpoint", topBox = t.TopBox })
            .Concat(experience.Journey.Select(j => new { label = $"whole journey ({j.Metric})", level = "journey", topBox = j.TopBox })).ToList();
        return Base(rows, new { type = "bar", tooltip = true }, new
        {
            y = new { field = "label", type = "nominal", sort = (string?)null, title = (string?)null },
            x = new { field = "topBox", type = "quantitative", title = "top-box share", axis = new { format = ".0%" }, scale = new { domain = ShareDomain } },
            color = new { field = "level", type = "nominal", title = "level" },
        }, Math.Max(60, 26 * rows.Count));
    }

    /// <summary>The journey-level score by whole weeks since entry, one line per metric.</summary>
    public static object? JourneyByWeek(ExperienceFigures experience)
    {
        var rows = experience.Journey.SelectMany(j => j.ByWeek.Select(w => new { metric = j.Metric, week = w.Week, mean = w.Mean, n = w.N })).ToList();
        return Base(rows, new { type = "line", point = true, tooltip = true }, new
        {
            x = new { field = "week", type = "ordinal", title = "weeks since entry" },
            y = new { field = "mean", type = "quantitative", title = "mean score" },
            color = new { field = "metric", type = "nominal" },
        }, 200);
    }

    public static object? NpsByMonth(RelationshipFigures relationship)
    {
        var rows = relationship.NpsByMonth.Select(m => new { month = m.Month, nps = m.Nps, n = m.N }).ToList();
        return Base(rows, new { type = "line", point = true, tooltip = true }, new
        {
            x = new { field = "month", type = "ordinal", title = "month" },
            y = new { field = "nps", type = "quantitative", title = "NPS", scale = new { domain = NpsDomain } },
        }, 180);
    }
}
