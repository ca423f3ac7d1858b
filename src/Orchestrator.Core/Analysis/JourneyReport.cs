namespace Orchestrator.Core.Analysis;

// The JSON contract of `orchestrator report <journey> --format json` (docs/analysis-contract.md, "JSON"): fields may be added,
// never renamed. Durations are ISO 8601 (PT26H, P4D); rates are shares of 1; times are UTC.

public sealed record JourneyReport
{
    public required string Journey { get; init; }
    public string? Name { get; init; }
    public string? Phase { get; init; }

    /// <summary>The version filter, null for every version.</summary>
    public string? Version { get; init; }

    /// <summary>Entry date range (inclusive from, exclusive to); null when open.</summary>
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }

    /// <summary>The moment the report was made: "waiting now" and censoring are as of then.</summary>
    public required DateTimeOffset Now { get; init; }

    public required int Entered { get; init; }
    public required int Active { get; init; }
    public required IReadOnlyList<StepFigures> Steps { get; init; }
    public required IReadOnlyList<EdgeFigures> Edges { get; init; }
    public required EndedFigures Ended { get; init; }
    public required ConversionFigures Conversion { get; init; }
    public required IReadOnlyList<PathFigures> Paths { get; init; }
    public required IReadOnlyList<string> UnreachedSteps { get; init; }
    public required IReadOnlyList<ExperimentFigures> Experiments { get; init; }
    public required ExperienceFigures Experience { get; init; }
    public required int SharedConversions { get; init; }
}

public sealed record StepFigures
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required int Reached { get; init; }

    /// <summary>Of the instances that reached the step, how many converted (at any time), and their share.</summary>
    public required int Converted { get; init; }
    public required double Conversion { get; init; }
    public required int WaitingNow { get; init; }
    public required IReadOnlyDictionary<string, int> Outcomes { get; init; }

    /// <summary>Per outcome kind with reasons (skipped, suppressed, deferred, failed, exited, completed): count per reason.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Reasons { get; init; }

    /// <summary>Wait steps only: time from <c>waiting</c> to <c>resumed</c>.</summary>
    public DwellFigures? Dwell { get; init; }
}

public sealed record DwellFigures(int N, string? P50, string? P90);

public sealed record EdgeFigures(string From, string To, int Count);

public sealed record EndedFigures
{
    public required int Completed { get; init; }
    public required int Goal { get; init; }
    public required IReadOnlyDictionary<string, int> Exited { get; init; }
}

public sealed record ConversionFigures
{
    public required int Converted { get; init; }
    public required double Rate { get; init; }
    public required IReadOnlyList<WeekConversion> ByWeek { get; init; }
    public required TimeToConvertFigures TimeToConvert { get; init; }
}

public sealed record WeekConversion(string Week, int Entered, int Converted, double Rate);

public sealed record TimeToConvertFigures
{
    /// <summary>When the Kaplan-Meier curve reaches 50% / 90% converted; null when it never does.</summary>
    public string? P50 { get; init; }
    public string? P90 { get; init; }

    /// <summary>Among instances that converted: the median and 90th percentile of their time to convert.</summary>
    public string? ConvertersP50 { get; init; }
    public string? ConvertersP90 { get; init; }

    public required IReadOnlyList<CurvePoint> Curve { get; init; }
}

public sealed record CurvePoint(string T, double Converted, int AtRisk);

public sealed record PathFigures(IReadOnlyList<string> Steps, int Count, double Share, double Conversion, string? MedianDuration);

public sealed record ExperimentFigures
{
    public required string Step { get; init; }
    public string? Control { get; init; }
    public required double SrmPValue { get; init; }
    public required IReadOnlyList<ArmFigures> Arms { get; init; }
    public required IReadOnlyList<ComparisonFigures> Comparisons { get; init; }
}

public sealed record ArmFigures
{
    public required string Variant { get; init; }
    public required int Weight { get; init; }
    public required int N { get; init; }
    public required int Converted { get; init; }
    public required double Rate { get; init; }
    public required double[] Ci95 { get; init; }
    public required GuardrailFigures Guardrails { get; init; }
}

public sealed record GuardrailFigures(int Unsubscribed, int Bounced, int Complained, double UnsubscribeRate, double BounceRate, double ComplaintRate);

public sealed record ComparisonFigures
{
    public required string Variant { get; init; }
    public required string Control { get; init; }
    public required double Lift { get; init; }

    /// <summary>Fixed-horizon (Newcombe) interval: valid only when read once, at a sample size fixed in advance.</summary>
    public required double[] Ci95 { get; init; }
    public double? RelativeLift { get; init; }

    /// <summary>Fixed-horizon pooled z test, and the same adjusted across the split's comparisons (Benjamini-Hochberg).</summary>
    public required double PValue { get; init; }
    public required double PValueAdjusted { get; init; }

    /// <summary>Always-valid interval: the one the verdict reads.</summary>
    public required double[] SequentialCi95 { get; init; }
    public required string Verdict { get; init; }
    public required string Sentence { get; init; }

    /// <summary>For no-difference-yet: about this many more instances per arm.</summary>
    public long? MoreNeededPerArm { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
}

public sealed record ExperienceFigures
{
    public required IReadOnlyList<TouchpointScore> Touchpoints { get; init; }
    public required IReadOnlyList<JourneyScore> Journey { get; init; }

    /// <summary>Pooled touchpoint top-box (csat, ces) minus journey top-box; null without both.</summary>
    public double? Gap { get; init; }
    public double? TouchpointTopBox { get; init; }
    public double? JourneyTopBox { get; init; }

    /// <summary><c>touchpoints-good-journey-poor</c>, <c>journey-falls-with-time</c> or null.</summary>
    public string? Flag { get; init; }
    public string? FlagSentence { get; init; }
    public required PeakEndFigures PeakEnd { get; init; }
    public required RelationshipFigures Relationship { get; init; }
    public RetentionFigures? Retention { get; init; }

    /// <summary>Journey-level answers that found no instance of this journey to belong to.</summary>
    public required int Unattributed { get; init; }
}

public sealed record ScoreSummary(int N, double Mean, double TopBox, double? Nps);

public sealed record TouchpointScore(string Step, string Metric, int N, double Mean, double TopBox, double? Nps);

public sealed record WeekScore(int Week, int N, double Mean, double TopBox);

public sealed record JourneyScore
{
    public required string Metric { get; init; }
    public required int N { get; init; }
    public required double Mean { get; init; }
    public required double TopBox { get; init; }
    public double? Nps { get; init; }

    /// <summary>By whole weeks from the instance's entry to the answer.</summary>
    public required IReadOnlyList<WeekScore> ByWeek { get; init; }

    /// <summary>By how the instance ended: goal, completed, exited:&lt;reason&gt;, active.</summary>
    public required IReadOnlyDictionary<string, ScoreSummary> ByEnd { get; init; }
}

public sealed record PeakEndFigures
{
    public required int N { get; init; }
    public double? R2Mean { get; init; }
    public double? R2PeakEnd { get; init; }
    public required IReadOnlyDictionary<string, int> PeakSteps { get; init; }
    public required IReadOnlyDictionary<string, int> EndSteps { get; init; }
}

public sealed record MonthNps(string Month, int N, double Nps);

public sealed record RelationshipFigures
{
    /// <summary>Relationship-level NPS of every customer, by calendar month (UTC).</summary>
    public required IReadOnlyList<MonthNps> NpsByMonth { get; init; }

    /// <summary>NPS of this journey's customers, by how their latest instance before the answer ended.</summary>
    public required IReadOnlyDictionary<string, ScoreSummary> NpsByEnd { get; init; }
}

public sealed record RetentionGroup(int N, int Retained, double Rate);

public sealed record RetentionFigures(string Event, string Window, RetentionGroup TopBox, RetentionGroup Rest);

/// <summary>One line of <c>orchestrator report</c> without a journey.</summary>
public sealed record JourneySummary(string Journey, string? Name, string? Phase, int Entered, int Active, int Converted, double Rate,
    IReadOnlyList<SummaryVerdict> Experiments, string? ExperienceFlag)
{
    /// <summary>The version of the journey file in force (new entries get it); null when not known.</summary>
    public string? CurrentVersion { get; init; }
}

public sealed record SummaryVerdict(string Step, string Variant, string Control, string Verdict);
