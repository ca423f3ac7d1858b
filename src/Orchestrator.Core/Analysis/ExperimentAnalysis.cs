using System.Globalization;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Analysis;

/// <summary>The experiment figures of docs/analysis-contract.md for every split step: arms, comparisons with control, guardrails, verdicts.</summary>
public static class ExperimentAnalysis
{
    public const string Better = "better";
    public const string Worse = "worse";
    public const string NoDifferenceYet = "no-difference-yet";
    public const string TooLittleData = "too-little-data";
    public const string SampleRatioMismatch = "sample-ratio-mismatch";

    public const int MinimumPerArm = 100;
    public const int MinimumConversions = 10;
    public const double SrmThreshold = 0.001;

    /// <summary>The smallest lift the sample-size estimate plans for: 2 points.</summary>
    public const double MinimumDetectableLift = 0.02;

    public static List<ExperimentFigures> Analyse(JourneyDefinition journey, IReadOnlyList<InstanceHistory> instances,
        IReadOnlyDictionary<string, IReadOnlyList<LoggedEvent>> events, DateTimeOffset now)
    {
        var guardrailEvents = new[] { JourneyReportBuilder.UnsubscribedEvent, JourneyReportBuilder.BouncedEvent, JourneyReportBuilder.ComplainedEvent }
            .ToDictionary(t => t, t => ByCustomer(events.GetValueOrDefault(t) ?? []), StringComparer.Ordinal);
        var results = new List<ExperimentFigures>();
        foreach (var split in journey.Steps.OfType<SplitStep>())
            results.Add(AnalyseSplit(journey, split, instances, guardrailEvents, now));
        return results;
    }

    /// <summary>Control: the variant marked <c>control: true</c>, else one named <c>control</c> or <c>holdout</c>, else none.</summary>
    public static string? ControlOf(SplitStep split) =>
        split.Variants.FirstOrDefault(v => v.Control)?.Variant
        ?? split.Variants.FirstOrDefault(v => v.Variant is "control")?.Variant
        ?? split.Variants.FirstOrDefault(v => v.Variant is "holdout")?.Variant;

    private static ExperimentFigures AnalyseSplit(JourneyDefinition journey, SplitStep split, IReadOnlyList<InstanceHistory> instances,
        Dictionary<string, Dictionary<string, List<DateTimeOffset>>> guardrailEvents, DateTimeOffset now)
    {
        var arms = new List<ArmFigures>();
        var counts = new Dictionary<string, (int N, int Converted)>(StringComparer.Ordinal);
        foreach (var variant in split.Variants)
        {
            var assigned = instances.Where(i => i.Assignments.TryGetValue(split.Id, out var a) && a.Variant == variant.Variant).ToList();
            // Converted after the assignment (the engine keeps every conversion within the goal's window).
            var converted = assigned.Count(i => i.ConvertedAt is { } at && at >= i.Assignments[split.Id].At);
            counts[variant.Variant] = (assigned.Count, converted);
            int Had(string type) => assigned.Count(i =>
            {
                var from = i.Assignments[split.Id].At;
                var until = journey.Goal?.Within is { } within ? Min(now, i.EnteredAt + within) : i.EndedAt ?? now;
                return guardrailEvents[type].TryGetValue(i.CustomerId, out var times) && times.Any(t => t >= from && t <= until);
            });
            var (unsubscribed, bounced, complained) = (Had(JourneyReportBuilder.UnsubscribedEvent), Had(JourneyReportBuilder.BouncedEvent), Had(JourneyReportBuilder.ComplainedEvent));
            var (low, high) = Statistics.Wilson(converted, assigned.Count, Statistics.Z95);
            arms.Add(new ArmFigures
            {
                Variant = variant.Variant,
                Weight = variant.Weight,
                N = assigned.Count,
                Converted = converted,
                Rate = Statistics.Rate(converted, assigned.Count),
                Ci95 = [low, high],
                Guardrails = new GuardrailFigures(unsubscribed, bounced, complained,
                    Statistics.Rate(unsubscribed, assigned.Count), Statistics.Rate(bounced, assigned.Count), Statistics.Rate(complained, assigned.Count)),
            });
        }

        var srm = Statistics.SampleRatioPValue(arms.Select(a => (long)a.N).ToList(), split.Variants.Select(v => (double)v.Weight).ToList());
        var control = ControlOf(split);
        var pairs = control is not null
            ? split.Variants.Where(v => v.Variant != control).Select(v => (v.Variant, control)).ToList()
            : split.Variants.SelectMany((a, i) => split.Variants.Skip(i + 1).Select(b => (b.Variant, a.Variant))).ToList();
        var pValues = pairs.Select(p => Statistics.PooledZTestPValue(counts[p.Item1].Converted, counts[p.Item1].N, counts[p.Item2].Converted, counts[p.Item2].N)).ToList();
        var adjusted = Statistics.BenjaminiHochberg(pValues);
        var comparisons = pairs.Select((pair, index) =>
            Compare(pair.Item1, pair.Item2, counts, arms, pValues[index], adjusted[index], srm)).ToList();
        return new ExperimentFigures { Step = split.Id, Control = control, SrmPValue = srm, Arms = arms, Comparisons = comparisons };
    }

    private static ComparisonFigures Compare(string variant, string control, Dictionary<string, (int N, int Converted)> counts,
        List<ArmFigures> arms, double pValue, double pAdjusted, double srm)
    {
        var (nv, xv) = counts[variant];
        var (nc, xc) = counts[control];
        var pv = Statistics.Rate(xv, nv);
        var pc = Statistics.Rate(xc, nc);
        var lift = pv - pc;
        var (low, high) = Statistics.NewcombeDifference(xv, nv, xc, nc);
        var (seqLow, seqHigh) = Statistics.SequentialDifference(xv, nv, xc, nc);
        long? more = null;
        string verdict;
        string sentence;
        if (srm < SrmThreshold)
        {
            verdict = SampleRatioMismatch;
            var sizes = string.Join(" / ", arms.Select(a => $"{a.Variant} {a.N}"));
            var weights = string.Join("/", arms.Select(a => a.Weight));
            sentence = $"The split is broken: arm sizes ({sizes}) do not match the weights {weights} (sample-ratio p = {P(srm)}). Find why before reading any result.";
        }
        else if (nv < MinimumPerArm || nc < MinimumPerArm || xv + xc < MinimumConversions)
        {
            verdict = TooLittleData;
            sentence = $"Too little data: {variant} has {nv} and {control} {nc} instances with {xv + xc} conversions; at least {MinimumPerArm} per arm and {MinimumConversions} conversions are needed.";
        }
        else if (seqLow > 0 || seqHigh < 0)
        {
            verdict = seqLow > 0 ? Better : Worse;
            sentence = $"{variant} converts {(seqLow > 0 ? "better" : "worse")} than {control}: {Pct(pv)} vs {Pct(pc)}, {Points(lift)} (always-valid 95% interval {Points(seqLow)} to {Points(seqHigh)}).";
        }
        else
        {
            verdict = NoDifferenceYet;
            var target = Math.Max(Math.Abs(lift), MinimumDetectableLift);
            var needed = Statistics.SequentialSampleSizePerArm(pc, lift >= 0 ? target : -target);
            more = Math.Max(0, needed - Math.Min(nv, nc));
            sentence = $"No difference yet between {variant} ({Pct(pv)}) and {control} ({Pct(pc)}): the always-valid 95% interval {Points(seqLow)} to {Points(seqHigh)} includes zero. "
                + $"About {more.Value.ToString("N0", CultureInfo.InvariantCulture)} more per arm to detect an absolute lift of {Math.Round(target * 100, 1).ToString(CultureInfo.InvariantCulture)} points at 80% power.";
        }

        var warnings = new List<string>();
        var armV = arms.First(a => a.Variant == variant).Guardrails;
        var armC = arms.First(a => a.Variant == control).Guardrails;
        foreach (var (name, xV, xC) in new[] { ("unsubscribe", armV.Unsubscribed, armC.Unsubscribed), ("bounce", armV.Bounced, armC.Bounced), ("complaint", armV.Complained, armC.Complained) })
        {
            if (Statistics.Rate(xV, nv) > Statistics.Rate(xC, nc) && Statistics.PooledZTestPValue(xV, nv, xC, nc) < 0.05)
                warnings.Add($"{name} rate of {variant} {Pct(Statistics.Rate(xV, nv))} is higher than {control}'s {Pct(Statistics.Rate(xC, nc))} (p = {P(Statistics.PooledZTestPValue(xV, nv, xC, nc))})");
        }

        return new ComparisonFigures
        {
            Variant = variant,
            Control = control,
            Lift = lift,
            Ci95 = [low, high],
            RelativeLift = pc > 0 ? lift / pc : null,
            PValue = pValue,
            PValueAdjusted = pAdjusted,
            SequentialCi95 = [seqLow, seqHigh],
            Verdict = verdict,
            Sentence = sentence,
            MoreNeededPerArm = more,
            Warnings = warnings,
        };
    }

    private static Dictionary<string, List<DateTimeOffset>> ByCustomer(IReadOnlyList<LoggedEvent> events) =>
        events.GroupBy(e => e.CustomerId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.OccurredAt).ToList(), StringComparer.Ordinal);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static string Pct(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Points(double difference) => (difference >= 0 ? "+" : "") + (difference * 100).ToString("0.0", CultureInfo.InvariantCulture) + " points";

    private static string P(double p) => p < 0.0001 ? "< 0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);
}
