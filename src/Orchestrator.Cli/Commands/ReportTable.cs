using System.Globalization;
using Orchestrator.Core.Analysis;

namespace Orchestrator.Cli.Commands;

/// <summary>The report as a marketer reads it in a terminal: sections of aligned columns, a sentence per verdict.</summary>
internal static class ReportTable
{
    public static void WriteList(IReadOnlyList<JourneySummary> journeys, TextWriter output)
    {
        Table(output, ["journey", "phase", "entered", "active", "converted", "rate", "experiments", "experience"], journeys.Select(j => new[]
        {
            j.Journey, j.Phase ?? "-", N(j.Entered), N(j.Active), N(j.Converted), Pct(j.Rate),
            j.Experiments.Count == 0 ? "-" : string.Join("; ", j.Experiments.Select(e => $"{e.Step}: {e.Variant} vs {e.Control} {e.Verdict}")),
            j.ExperienceFlag ?? "-",
        }));
    }

    public static void Write(JourneyReport r, TextWriter output)
    {
        var scope = (r.Version is null ? "all versions" : $"version {r.Version}")
            + (r.From is null && r.To is null ? ", every entry" : $", entries {(r.From is { } f ? Time(f) : "…")} to {(r.To is { } t ? Time(t) : "…")}");
        output.WriteLine($"{r.Name} ({r.Journey}){(r.Phase is null ? "" : " · " + r.Phase)} · {scope} · as of {Time(r.Now)}");
        output.WriteLine($"Entered {N(r.Entered)} · active {N(r.Active)} · converted {N(r.Conversion.Converted)} ({Pct(r.Conversion.Rate)}) · shared conversions {N(r.SharedConversions)}");

        Section(output, "Steps");
        Table(output, ["step", "kind", "reached", "waiting now", "outcomes", "dwell p50 / p90"], r.Steps.Select(s => new[]
        {
            s.Id, s.Kind, N(s.Reached), N(s.WaitingNow),
            string.Join(", ", s.Outcomes.Select(o => $"{o.Key} {o.Value}" + (s.Reasons.TryGetValue(o.Key, out var reasons) && o.Key is not ("exited" or "completed")
                ? " (" + string.Join(", ", reasons.Select(x => $"{x.Key} {x.Value}")) + ")" : ""))),
            s.Dwell is { } d ? $"{d.P50 ?? "-"} / {d.P90 ?? "-"}" : "",
        }));
        if (r.UnreachedSteps.Count > 0)
            output.WriteLine($"Steps nobody reached: {string.Join(", ", r.UnreachedSteps)}");

        Section(output, "Transitions");
        Table(output, ["from", "to", "count"], r.Edges.Select(e => new[] { e.From, e.To, N(e.Count) }));

        Section(output, "Ends");
        output.WriteLine($"completed {N(r.Ended.Completed)} · goal {N(r.Ended.Goal)}" + string.Concat(r.Ended.Exited.Select(e => $" · exited {e.Key} {N(e.Value)}")) + $" · still active {N(r.Active)}");

        Section(output, "Conversion by entry week");
        Table(output, ["week", "entered", "converted", "rate"], r.Conversion.ByWeek.Select(w => new[] { w.Week, N(w.Entered), N(w.Converted), Pct(w.Rate) }));
        var ttc = r.Conversion.TimeToConvert;
        output.WriteLine($"Time to convert (Kaplan-Meier, not-yet-converted censored): 50% by {ttc.P50 ?? "never so far"}, 90% by {ttc.P90 ?? "never so far"}; "
            + $"of those who converted, half within {ttc.ConvertersP50 ?? "-"}, 90% within {ttc.ConvertersP90 ?? "-"}");

        Section(output, "Top paths");
        Table(output, ["count", "share", "conversion", "median duration", "path"], r.Paths.Select(p => new[]
        {
            N(p.Count), Pct(p.Share), Pct(p.Conversion), p.MedianDuration ?? "-", string.Join(" > ", p.Steps),
        }));

        foreach (var e in r.Experiments)
        {
            Section(output, $"Experiment at {e.Step} (control: {e.Control ?? "none, every pair compared"}; sample-ratio p = {P(e.SrmPValue)})");
            Table(output, ["variant", "weight", "n", "converted", "rate", "95% interval", "unsubscribed", "bounced", "complained"], e.Arms.Select(a => new[]
            {
                a.Variant, a.Weight.ToString(CultureInfo.InvariantCulture), N(a.N), N(a.Converted), Pct(a.Rate), $"{Pct(a.Ci95[0])} to {Pct(a.Ci95[1])}",
                Pct(a.Guardrails.UnsubscribeRate), Pct(a.Guardrails.BounceRate), Pct(a.Guardrails.ComplaintRate),
            }));
            foreach (var c in e.Comparisons)
            {
                output.WriteLine($"{c.Variant} vs {c.Control}: {c.Verdict.ToUpperInvariant()}. {c.Sentence}");
                output.WriteLine($"  fixed-horizon, valid only if read once at a planned size: lift {Points(c.Lift)} (95% {Points(c.Ci95[0])} to {Points(c.Ci95[1])}), "
                    + $"relative {(c.RelativeLift is { } rel ? Pct(rel) : "-")}, p = {P(c.PValue)}, adjusted p = {P(c.PValueAdjusted)}");
                foreach (var warning in c.Warnings)
                    output.WriteLine($"  guardrail: {warning}");
            }
        }

        var x = r.Experience;
        Section(output, "Experience");
        if (x.Touchpoints.Count == 0 && x.Journey.Count == 0)
            output.WriteLine("No survey answers for this journey yet (feedback.submitted; see docs/analysis.md).");
        if (x.Touchpoints.Count > 0)
        {
            output.WriteLine("Touchpoint level (right after one email):");
            Table(output, ["step", "metric", "n", "mean", "top-box", "nps"], x.Touchpoints.Select(t => new[] { t.Step, t.Metric, N(t.N), Num(t.Mean), Pct(t.TopBox), t.Nps is { } n ? Num(n) : "-" }));
        }
        foreach (var j in x.Journey)
        {
            output.WriteLine($"Journey level, {j.Metric}: n {N(j.N)}, mean {Num(j.Mean)}, top-box {Pct(j.TopBox)}");
            Table(output, ["weeks since entry", "n", "mean", "top-box"], j.ByWeek.Select(w => new[] { w.Week.ToString(CultureInfo.InvariantCulture), N(w.N), Num(w.Mean), Pct(w.TopBox) }));
            Table(output, ["how it ended", "n", "mean", "top-box"], j.ByEnd.Select(b => new[] { b.Key, N(b.Value.N), Num(b.Value.Mean), Pct(b.Value.TopBox) }));
        }
        if (x.Gap is { } gap)
            output.WriteLine($"Touchpoint top-box {Pct(x.TouchpointTopBox!.Value)} vs journey top-box {Pct(x.JourneyTopBox!.Value)}: gap {Points(gap)}.");
        if (x.Flag is not null)
            output.WriteLine($"FLAG {x.Flag}: {x.FlagSentence}");
        if (x.PeakEnd.N > 0)
        {
            output.WriteLine($"Peak-end over {N(x.PeakEnd.N)} instances: R² of the journey score on the touchpoint mean {Opt(x.PeakEnd.R2Mean)}, on peak + end {Opt(x.PeakEnd.R2PeakEnd)}; "
                + $"peak steps {string.Join(", ", x.PeakEnd.PeakSteps.Select(p => $"{p.Key} {p.Value}"))}; end steps {string.Join(", ", x.PeakEnd.EndSteps.Select(p => $"{p.Key} {p.Value}"))}");
        }
        if (x.Relationship.NpsByMonth.Count > 0)
            output.WriteLine("Relationship NPS by month (all customers): " + string.Join(", ", x.Relationship.NpsByMonth.Select(m => $"{m.Month} {Num(m.Nps)} (n {m.N})")));
        if (x.Relationship.NpsByEnd.Count > 0)
            output.WriteLine("NPS of this journey's customers by how it ended: " + string.Join(", ", x.Relationship.NpsByEnd.Select(m => $"{m.Key} {Opt(m.Value.Nps)} (n {m.Value.N})")));
        if (x.Retention is { } ret && (ret.TopBox.N > 0 || ret.Rest.N > 0))
            output.WriteLine($"Retention ({ret.Event} within {ret.Window} after the end): journey top-box answers {Pct(ret.TopBox.Rate)} of {N(ret.TopBox.N)}, the rest {Pct(ret.Rest.Rate)} of {N(ret.Rest.N)}");
        if (x.Unattributed > 0)
            output.WriteLine($"{N(x.Unattributed)} journey-level answers found no instance to belong to.");
    }

    private static void Section(TextWriter output, string title)
    {
        output.WriteLine();
        output.WriteLine(title);
    }

    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> rowsIn)
    {
        var rows = rowsIn.ToList();
        if (rows.Count == 0)
        {
            output.WriteLine("  (none)");
            return;
        }
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine("  " + string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
            output.WriteLine("  " + string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Pct(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Points(double difference) => (difference >= 0 ? "+" : "") + (difference * 100).ToString("0.0", CultureInfo.InvariantCulture) + " pts";

    private static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Opt(double? value) => value is { } v ? Num(v) : "-";

    private static string P(double p) => p < 0.0001 ? "< 0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
