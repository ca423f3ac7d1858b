using System.Globalization;
using System.Text;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Pages;

/// <summary>
/// <c>/journeys/{id}</c> and <c>orchestrator report &lt;journey&gt; --format html</c>: the journey map drawn from what
/// happened, and every figure of the report with its chart beside its table. The figures are the report's
/// (<see cref="JourneyReportBuilder"/>); this class only lays them out.
/// </summary>
public static class JourneyPage
{
    /// <summary>The filter as the marketer typed it (since: "30d" or ISO), to show it and fill the form again.</summary>
    public sealed record FilterText(string? Version = null, string? Since = null, string? Until = null);

    public static string Write(JourneyDefinition journey, JourneyReport report, PageMode mode, FilterText? filter = null)
    {
        var html = new StringBuilder(64 * 1024);
        Header(html, journey, report, mode, filter ?? new FilterText());
        Map(html, journey, report);
        Funnel(html, report);
        TimeToConvert(html, report);
        Experiments(html, report);
        Experience(html, report);
        Paths(html, report);
        return PageShell.Write(mode, journey.Name, html.ToString());
    }

    private static string Key(string key) => Html.Segment(key);

    private static void Header(StringBuilder html, JourneyDefinition journey, JourneyReport report, PageMode mode, FilterText filter)
    {
        html.Append("<section id=\"summary\"><h1>").Append(Html.E(journey.Name)).Append(" <small>").Append(Html.E(journey.Id)).Append("</small></h1>");
        html.Append("<p class=\"muted\">")
            .Append(journey.Phase is null ? "" : $"phase {Html.E(journey.Phase)} · ")
            .Append("version in force ").Append(Html.E(journey.Version[..Math.Min(12, journey.Version.Length)]))
            .Append(" · entry on ").Append(Html.E(journey.Entry.Event))
            .Append(" · figures as of ").Append(Html.E(Iso.Format(report.Now)))
            .Append(Html.E(FilterSentence(report)))
            .Append("</p>");
        if (mode.Served)
        {
            html.Append("<form class=\"filters\" method=\"get\">")
                .Append(CultureInfo.InvariantCulture, $"<label>version <input name=\"version\" value=\"{Html.E(filter.Version)}\" placeholder=\"any\"></label>")
                .Append(CultureInfo.InvariantCulture, $"<label>entered since <input name=\"since\" value=\"{Html.E(filter.Since)}\" placeholder=\"30d or 2026-03-01\"></label>")
                .Append(CultureInfo.InvariantCulture, $"<label>until <input name=\"until\" value=\"{Html.E(filter.Until)}\" placeholder=\"now\"></label>")
                .Append("<button>Apply</button></form>");
        }
        Html.Table(html, "Journey at a glance", ["entered", "active now", "converted", "conversion", "completed", "exited at the goal", "shared conversions"],
        [[
            Html.Count("/entered", report.Entered), Html.Count("/active", report.Active), Html.Count("/conversion/converted", report.Conversion.Converted),
            Html.Rate("/conversion/rate", report.Conversion.Rate), Html.Count("/ended/completed", report.Ended.Completed), Html.Count("/ended/goal", report.Ended.Goal),
            Html.Count("/sharedConversions", report.SharedConversions),
        ]], "glance");
        if (report.Ended.Exited.Count > 0)
            Html.Table(html, "Exited, by reason", ["reason", "instances"],
                report.Ended.Exited.Select(p => new[] { Html.Td(p.Key), Html.Count($"/ended/exited/{Key(p.Key)}", p.Value) }));
        html.Append("</section>");
    }

    private static string FilterSentence(JourneyReport report)
    {
        var parts = new[]
        {
            report.Version is null ? null : "version " + report.Version,
            report.From is null ? null : "entered from " + Iso.Format(report.From.Value),
            report.To is null ? null : "entered before " + Iso.Format(report.To.Value),
        }.OfType<string>().ToList();
        return parts.Count == 0 ? "" : " · only instances of " + string.Join(", ", parts);
    }

    private static void Map(StringBuilder html, JourneyDefinition journey, JourneyReport report)
    {
        html.Append("<section id=\"map\"><h2>Journey map</h2><p class=\"muted\">Drawn from what happened: reached, waiting now and conversion on every step, the instances on every edge; steps nobody reached are grey.</p>")
            .Append("<figure class=\"map\" data-map=\"journey\"><div class=\"map-canvas\"></div><pre class=\"map-source\" hidden>")
            .Append(Html.E(JourneyMap.ToMermaid(journey, report))).Append("</pre></figure>");
        Html.Table(html, "Steps", ["step", "kind", "reached", "waiting now", "converted", "conversion", "outcomes"],
            report.Steps.Select((s, i) => new[]
            {
                Html.Td(s.Id), Html.Td(s.Kind), Html.Count($"/steps/{i}/reached", s.Reached), Html.Count($"/steps/{i}/waitingNow", s.WaitingNow),
                Html.Count($"/steps/{i}/converted", s.Converted), Html.Rate($"/steps/{i}/conversion", s.Conversion),
                Html.TdRaw(string.Join(" ", s.Outcomes.Select(o => $"<span class=\"tag\">{Html.E(o.Key)} <span class=\"figure\" data-json=\"/steps/{i}/outcomes/{Html.E(Key(o.Key))}\" data-value=\"{o.Value.ToString(CultureInfo.InvariantCulture)}\">{o.Value.ToString("N0", CultureInfo.InvariantCulture)}</span></span>"))),
            }), "steps");
        Html.Table(html, "Transitions (instances on each edge)", ["from", "to", "instances"],
            report.Edges.Select((e, i) => new[] { Html.Td(e.From), Html.Td(e.To), Html.Count($"/edges/{i}/count", e.Count) }));
        var reasons = report.Steps.SelectMany((s, i) => s.Reasons.SelectMany(k => k.Value.Select(r => (Step: s.Id, Index: i, Kind: k.Key, Reason: r.Key, Count: r.Value)))).ToList();
        if (reasons.Count > 0)
            Html.Table(html, "Why instances did not go on as designed", ["step", "outcome", "reason", "instances"],
                reasons.Select(r => new[] { Html.Td(r.Step), Html.Td(r.Kind), Html.Td(r.Reason), Html.Count($"/steps/{r.Index}/reasons/{Key(r.Kind)}/{Key(r.Reason)}", r.Count) }));
        var dwell = report.Steps.Select((s, i) => (s, i)).Where(p => p.s.Dwell is { N: > 0 }).ToList();
        if (dwell.Count > 0)
            Html.Table(html, "Time spent waiting (from waiting to resumed)", ["step", "instances", "median", "90th percentile"],
                dwell.Select(p => new[] { Html.Td(p.s.Id), Html.Count($"/steps/{p.i}/dwell/n", p.s.Dwell!.N), Html.Span($"/steps/{p.i}/dwell/p50", p.s.Dwell.P50), Html.Span($"/steps/{p.i}/dwell/p90", p.s.Dwell.P90) }));
        html.Append("</section>");
    }

    private static void Funnel(StringBuilder html, JourneyReport report)
    {
        html.Append("<section id=\"funnel\"><h2>Funnel</h2><div class=\"pair\">");
        Charts.Write(html, "funnel", "Instances that reached each step", Charts.Funnel(report));
        Html.Table(html, "Reached per step", ["step", "reached", "waiting now"],
            report.Steps.Select((s, i) => new[] { Html.Td(s.Id), Html.Count($"/steps/{i}/reached", s.Reached), Html.Count($"/steps/{i}/waitingNow", s.WaitingNow) }));
        html.Append("</div></section>");
    }

    private static void TimeToConvert(StringBuilder html, JourneyReport report)
    {
        var time = report.Conversion.TimeToConvert;
        html.Append("<section id=\"time-to-convert\"><h2>Time to convert</h2><p class=\"muted\">Kaplan-Meier: instances still open count as far as they got (censored), so the curve is not pulled down by customers who entered yesterday.</p>");
        Html.Table(html, "When customers convert", ["half converted by", "90% converted by", "converters' median", "converters' 90th percentile"],
            [[Html.Span("/conversion/timeToConvert/p50", time.P50), Html.Span("/conversion/timeToConvert/p90", time.P90),
              Html.Span("/conversion/timeToConvert/convertersP50", time.ConvertersP50), Html.Span("/conversion/timeToConvert/convertersP90", time.ConvertersP90)]]);
        html.Append("<div class=\"pair\">");
        Charts.Write(html, "time-to-convert", "Share converted by time since entry", Charts.TimeToConvert(report));
        Html.Table(html, "The curve", ["time since entry", "converted", "still open"],
            time.Curve.Select((p, i) => new[] { Html.Span($"/conversion/timeToConvert/curve/{i}/t", p.T), Html.Rate($"/conversion/timeToConvert/curve/{i}/converted", p.Converted), Html.Count($"/conversion/timeToConvert/curve/{i}/atRisk", p.AtRisk) }), "scroll");
        html.Append("</div><div class=\"pair\">");
        Charts.Write(html, "conversion-by-week", "Conversion by week of entry", Charts.ConversionByWeek(report));
        Html.Table(html, "By week of entry", ["week", "entered", "converted", "conversion"],
            report.Conversion.ByWeek.Select((w, i) => new[] { Html.Text($"/conversion/byWeek/{i}/week", w.Week), Html.Count($"/conversion/byWeek/{i}/entered", w.Entered), Html.Count($"/conversion/byWeek/{i}/converted", w.Converted), Html.Rate($"/conversion/byWeek/{i}/rate", w.Rate) }));
        html.Append("</div></section>");
    }

    private static void Experiments(StringBuilder html, JourneyReport report)
    {
        html.Append("<section id=\"experiments\"><h2>Experiments</h2>");
        if (report.Experiments.Count == 0)
            html.Append("<p class=\"muted\">This journey has no split.</p>");
        for (var e = 0; e < report.Experiments.Count; e++)
        {
            var experiment = report.Experiments[e];
            var at = $"/experiments/{e}";
            html.Append("<article class=\"experiment\"><h3>Split ").Append(Html.E(experiment.Step)).Append("</h3>");
            foreach (var (c, ci) in experiment.Comparisons.Select((c, ci) => (c, ci)))
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"verdict verdict-{Html.E(c.Verdict)}\" data-json=\"{at}/comparisons/{ci}/sentence\" data-value=\"{Html.E(c.Sentence)}\">{Html.E(c.Sentence)}</p>");
                foreach (var (w, wi) in c.Warnings.Select((w, wi) => (w, wi)))
                    html.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\" data-json=\"{at}/comparisons/{ci}/warnings/{wi}\" data-value=\"{Html.E(w)}\">{Html.E(w)}</p>");
            }
            html.Append("<div class=\"pair\">");
            Charts.Write(html, $"arms-{experiment.Step}", "Conversion per arm with its 95% interval", Charts.Arms(experiment));
            Html.Table(html, "Arms", ["variant", "weight", "instances", "converted", "conversion", "95% interval", "unsubscribed", "bounced", "complained"],
                experiment.Arms.Select((a, ai) => new[]
                {
                    Html.Text($"{at}/arms/{ai}/variant", a.Variant), Html.Count($"{at}/arms/{ai}/weight", a.Weight), Html.Count($"{at}/arms/{ai}/n", a.N),
                    Html.Count($"{at}/arms/{ai}/converted", a.Converted), Html.Rate($"{at}/arms/{ai}/rate", a.Rate), Html.Interval($"{at}/arms/{ai}/ci95", a.Ci95),
                    Html.Count($"{at}/arms/{ai}/guardrails/unsubscribed", a.Guardrails.Unsubscribed), Html.Count($"{at}/arms/{ai}/guardrails/bounced", a.Guardrails.Bounced),
                    Html.Count($"{at}/arms/{ai}/guardrails/complained", a.Guardrails.Complained),
                }));
            html.Append("</div>");
            Html.Table(html, "Each variant against the control", ["variant", "control", "lift", "always-valid 95% interval (the verdict reads this)", "verdict", "fixed-horizon 95% interval", "p-value", "p adjusted (BH)", "more needed per arm"],
                experiment.Comparisons.Select((c, ci) => new[]
                {
                    Html.Text($"{at}/comparisons/{ci}/variant", c.Variant), Html.Text($"{at}/comparisons/{ci}/control", c.Control), Html.Points($"{at}/comparisons/{ci}/lift", c.Lift),
                    Html.Interval($"{at}/comparisons/{ci}/sequentialCi95", c.SequentialCi95, signed: true), Html.Text($"{at}/comparisons/{ci}/verdict", c.Verdict),
                    Html.Interval($"{at}/comparisons/{ci}/ci95", c.Ci95, signed: true), Html.PValue($"{at}/comparisons/{ci}/pValue", c.PValue),
                    Html.PValue($"{at}/comparisons/{ci}/pValueAdjusted", c.PValueAdjusted),
                    c.MoreNeededPerArm is { } more ? Html.Cell($"{at}/comparisons/{ci}/moreNeededPerArm", more.ToString(CultureInfo.InvariantCulture), more.ToString("N0", CultureInfo.InvariantCulture)) : Html.Td("–"),
                }));
            Html.Table(html, "Sample ratio", ["chi-square p-value (below 0.001: the split is broken)"], [[Html.PValue($"{at}/srmPValue", experiment.SrmPValue)]]);
            html.Append("</article>");
        }
        html.Append("</section>");
    }

    private static void Experience(StringBuilder html, JourneyReport report)
    {
        var x = report.Experience;
        html.Append("<section id=\"experience\"><h2>Experience</h2><p class=\"muted\">Three levels: each email (touchpoint), the journey as a whole, the relationship (NPS). Good emails do not make a good journey.</p>");
        if (x.FlagSentence is { } flag)
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\" data-json=\"/experience/flagSentence\" data-value=\"{Html.E(flag)}\">{Html.E(flag)}</p>");
        Html.Table(html, "Touchpoints against the journey", ["touchpoint top-box", "journey top-box", "gap"],
            [[x.TouchpointTopBox is { } t ? Html.Rate("/experience/touchpointTopBox", t) : Html.Td("–"), x.JourneyTopBox is { } j ? Html.Rate("/experience/journeyTopBox", j) : Html.Td("–"),
              x.Gap is { } g ? Html.Points("/experience/gap", g) : Html.Td("–")]]);
        html.Append("<div class=\"pair\">");
        Charts.Write(html, "levels", "Top-box share: each touchpoint and the whole journey", Charts.Levels(x));
        html.Append("<div>");
        Html.Table(html, "Touchpoints", ["step", "metric", "answers", "mean", "top-box", "NPS"],
            x.Touchpoints.Select((t, i) => new[] { Html.Td(t.Step), Html.Td(t.Metric), Html.Count($"/experience/touchpoints/{i}/n", t.N), Html.Number($"/experience/touchpoints/{i}/mean", t.Mean), Html.Rate($"/experience/touchpoints/{i}/topBox", t.TopBox), t.Nps is { } n ? Html.Number($"/experience/touchpoints/{i}/nps", n) : Html.Td("–") }));
        Html.Table(html, "The whole journey", ["metric", "answers", "mean", "top-box", "NPS"],
            x.Journey.Select((s, i) => new[] { Html.Td(s.Metric), Html.Count($"/experience/journey/{i}/n", s.N), Html.Number($"/experience/journey/{i}/mean", s.Mean), Html.Rate($"/experience/journey/{i}/topBox", s.TopBox), s.Nps is { } n ? Html.Number($"/experience/journey/{i}/nps", n) : Html.Td("–") }));
        html.Append("</div></div><div class=\"pair\">");
        Charts.Write(html, "journey-by-week", "Journey score by weeks since entry", Charts.JourneyByWeek(x));
        Html.Table(html, "By weeks since entry", ["metric", "week", "answers", "mean", "top-box"],
            x.Journey.SelectMany((s, i) => s.ByWeek.Select((w, wi) => new[] { Html.Td(s.Metric), Html.Count($"/experience/journey/{i}/byWeek/{wi}/week", w.Week), Html.Count($"/experience/journey/{i}/byWeek/{wi}/n", w.N), Html.Number($"/experience/journey/{i}/byWeek/{wi}/mean", w.Mean), Html.Rate($"/experience/journey/{i}/byWeek/{wi}/topBox", w.TopBox) })));
        html.Append("</div>");
        Html.Table(html, "Journey score by how the instance ended", ["metric", "end", "answers", "mean", "top-box"],
            x.Journey.SelectMany((s, i) => s.ByEnd.Select(e => new[] { Html.Td(s.Metric), Html.Td(e.Key), Html.Count($"/experience/journey/{i}/byEnd/{Key(e.Key)}/n", e.Value.N), Html.Number($"/experience/journey/{i}/byEnd/{Key(e.Key)}/mean", e.Value.Mean), Html.Rate($"/experience/journey/{i}/byEnd/{Key(e.Key)}/topBox", e.Value.TopBox) })));
        var pe = x.PeakEnd;
        Html.Table(html, "Peak and end: what the journey score follows", ["instances", "R² on the touchpoint mean", "R² on peak + end"],
            [[Html.Count("/experience/peakEnd/n", pe.N), pe.R2Mean is { } rm ? Html.Number("/experience/peakEnd/r2Mean", rm) : Html.Td("–"), pe.R2PeakEnd is { } rp ? Html.Number("/experience/peakEnd/r2PeakEnd", rp) : Html.Td("–")]]);
        Html.Table(html, "Steps most often the peak and the end", ["step", "the peak", "the end"],
            pe.PeakSteps.Keys.Union(pe.EndSteps.Keys, StringComparer.Ordinal).Select(step => new[]
            {
                Html.Td(step),
                pe.PeakSteps.TryGetValue(step, out var p) ? Html.Count($"/experience/peakEnd/peakSteps/{Key(step)}", p) : Html.Td("0"),
                pe.EndSteps.TryGetValue(step, out var en) ? Html.Count($"/experience/peakEnd/endSteps/{Key(step)}", en) : Html.Td("0"),
            }));
        html.Append("<div class=\"pair\">");
        Charts.Write(html, "nps-by-month", "Relationship NPS by month (every customer)", Charts.NpsByMonth(x.Relationship));
        html.Append("<div>");
        Html.Table(html, "NPS by month", ["month", "answers", "NPS"],
            x.Relationship.NpsByMonth.Select((m, i) => new[] { Html.Text($"/experience/relationship/npsByMonth/{i}/month", m.Month), Html.Count($"/experience/relationship/npsByMonth/{i}/n", m.N), Html.Number($"/experience/relationship/npsByMonth/{i}/nps", m.Nps) }));
        Html.Table(html, "NPS of this journey's customers, by how it ended", ["end", "answers", "NPS"],
            x.Relationship.NpsByEnd.Select(e => new[] { Html.Td(e.Key), Html.Count($"/experience/relationship/npsByEnd/{Key(e.Key)}/n", e.Value.N), e.Value.Nps is { } n ? Html.Number($"/experience/relationship/npsByEnd/{Key(e.Key)}/nps", n) : Html.Td("–") }));
        html.Append("</div></div>");
        if (x.Retention is { } r)
            Html.Table(html, $"Retention: a later {r.Event} within {r.Window} of the end", ["group", "customers", "retained", "share"],
            [
                [Html.Td("journey top-box"), Html.Count("/experience/retention/topBox/n", r.TopBox.N), Html.Count("/experience/retention/topBox/retained", r.TopBox.Retained), Html.Rate("/experience/retention/topBox/rate", r.TopBox.Rate)],
                [Html.Td("the rest"), Html.Count("/experience/retention/rest/n", r.Rest.N), Html.Count("/experience/retention/rest/retained", r.Rest.Retained), Html.Rate("/experience/retention/rest/rate", r.Rest.Rate)],
            ]);
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Journey answers that found no instance to belong to: <span class=\"figure\" data-json=\"/experience/unattributed\" data-value=\"{x.Unattributed}\">{x.Unattributed}</span></p>");
        html.Append("</section>");
    }

    private static void Paths(StringBuilder html, JourneyReport report)
    {
        html.Append("<section id=\"paths\"><h2>Paths customers really take</h2>");
        Html.Table(html, "Top paths", ["path", "instances", "share", "conversion", "median duration"],
            report.Paths.Take(15).Select((p, i) => new[] { Html.Td(string.Join(" → ", p.Steps)), Html.Count($"/paths/{i}/count", p.Count), Html.Rate($"/paths/{i}/share", p.Share), Html.Rate($"/paths/{i}/conversion", p.Conversion), Html.Span($"/paths/{i}/medianDuration", p.MedianDuration) }));
        if (report.UnreachedSteps.Count > 0)
            html.Append("<p class=\"warning\">Steps nobody reached: ").Append(Html.E(string.Join(", ", report.UnreachedSteps))).Append("</p>");
        html.Append("</section>");
    }
}
