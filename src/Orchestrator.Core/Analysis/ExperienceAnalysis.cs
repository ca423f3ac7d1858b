using System.Globalization;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Analysis;

/// <summary>
/// Experience at three levels (docs/analysis-contract.md): touchpoint scores per step, journey scores with time since entry and
/// by end, the touchpoint-journey gap (the HBR pattern), peak-end, relationship NPS and retention.
/// </summary>
public static class ExperienceAnalysis
{
    public const string TouchpointsGoodJourneyPoor = "touchpoints-good-journey-poor";
    public const string JourneyFallsWithTime = "journey-falls-with-time";

    public const double GoodTouchpoints = 0.8;
    public const double GapThreshold = 0.15;

    /// <summary>Weeks with fewer journey answers than this do not count for the trend.</summary>
    public const int MinimumAnswersPerWeek = 5;

    public static ExperienceFigures Analyse(JourneyDefinition journey, IReadOnlyDictionary<(string CustomerId, string InstanceId), InstanceHistory> instances,
        IReadOnlyList<FeedbackAnswer> feedback, IReadOnlyDictionary<string, IReadOnlyList<LoggedEvent>> events, AnalysisOptions options)
    {
        InstanceHistory? InstanceOf(FeedbackAnswer a) => a.InstanceId is { } id && instances.TryGetValue((a.CustomerId, id), out var i) ? i : null;

        var ofJourney = feedback.Where(a => a.JourneyId == journey.Id && a.Level != FeedbackLevel.Relationship).ToList();
        // Only answers of instances the report counts (the filter applies to answers through their instance).
        var touchpoints = ofJourney.Where(a => a.Level == FeedbackLevel.Touchpoint && InstanceOf(a) is not null).ToList();
        var journeyAnswers = ofJourney.Where(a => a.Level == FeedbackLevel.Journey && a.Attributed && InstanceOf(a) is not null).ToList();
        var unattributed = ofJourney.Count(a => a.Level == FeedbackLevel.Journey && !a.Attributed);

        var touchpointScores = touchpoints.GroupBy(a => (a.StepId ?? "", a.Metric))
            .OrderBy(g => journey.IndexOf(g.Key.Item1)).ThenBy(g => g.Key.Metric, StringComparer.Ordinal)
            .Select(g => Summary(g.Key.Metric, g.ToList()) is var s ? new TouchpointScore(g.Key.Item1, g.Key.Metric, s.N, s.Mean, s.TopBox, s.Nps) : null!)
            .ToList();
        var journeyScores = journeyAnswers.GroupBy(a => a.Metric).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var s = Summary(g.Key, g.ToList());
            return new JourneyScore
            {
                Metric = g.Key, N = s.N, Mean = s.Mean, TopBox = s.TopBox, Nps = s.Nps,
                ByWeek = g.GroupBy(a => WeekSinceEntry(a, InstanceOf(a)!)).OrderBy(w => w.Key)
                    .Select(w => Summary(g.Key, w.ToList()) is var ws ? new WeekScore(w.Key, ws.N, ws.Mean, ws.TopBox) : null!).ToList(),
                ByEnd = g.GroupBy(a => InstanceOf(a)!.EndLabel, StringComparer.Ordinal).OrderBy(e => e.Key, StringComparer.Ordinal)
                    .ToDictionary(e => e.Key, e => Summary(g.Key, e.ToList()), StringComparer.Ordinal),
            };
        }).ToList();

        // The gap compares satisfaction scales (csat, ces) on both levels; nps is a relationship question.
        var tpSatisfaction = touchpoints.Where(a => a.Metric != FeedbackMetric.Nps.Name).ToList();
        var jSatisfaction = journeyAnswers.Where(a => a.Metric != FeedbackMetric.Nps.Name).ToList();
        double? tpTopBox = tpSatisfaction.Count > 0 ? TopBoxShare(tpSatisfaction) : null;
        double? jTopBox = jSatisfaction.Count > 0 ? TopBoxShare(jSatisfaction) : null;
        double? gap = tpTopBox is { } t && jTopBox is { } j ? t - j : null;

        string? flag = null;
        string? sentence = null;
        if (tpTopBox >= GoodTouchpoints && gap >= GapThreshold)
        {
            flag = TouchpointsGoodJourneyPoor;
            sentence = $"Touchpoints score well ({Pct(tpTopBox!.Value)} top-box) but the journey as a whole does not ({Pct(jTopBox!.Value)}): a gap of {Points(gap!.Value)}.";
        }
        else if (FallsWithTime(jSatisfaction, tpSatisfaction, InstanceOf) is { } fall)
        {
            flag = JourneyFallsWithTime;
            sentence = $"Journey-level top-box falls from {Pct(fall.First)} in week {fall.FirstWeek} to {Pct(fall.Last)} in week {fall.LastWeek} after entry while touchpoint scores hold.";
        }

        return new ExperienceFigures
        {
            Touchpoints = touchpointScores,
            Journey = journeyScores,
            Gap = gap,
            TouchpointTopBox = tpTopBox,
            JourneyTopBox = jTopBox,
            Flag = flag,
            FlagSentence = sentence,
            PeakEnd = PeakEnd(touchpoints, journeyAnswers, InstanceOf),
            Relationship = Relationship(feedback, instances.Values),
            Retention = Retention(journey, instances.Values, journeyAnswers, InstanceOf, events, options),
            Unattributed = unattributed,
        };
    }

    /// <summary>
    /// The second HBR signal: among weeks since entry with at least <see cref="MinimumAnswersPerWeek"/> journey answers,
    /// the last week's top-box is at least <see cref="GapThreshold"/> below the first's, while touchpoint top-box
    /// (pooled) is at least <see cref="GoodTouchpoints"/> or falls by less than 0.05 over the same weeks.
    /// </summary>
    private static (int FirstWeek, double First, int LastWeek, double Last)? FallsWithTime(List<FeedbackAnswer> journeyAnswers, List<FeedbackAnswer> touchpoints, Func<FeedbackAnswer, InstanceHistory?> instanceOf)
    {
        var weeks = journeyAnswers.GroupBy(a => WeekSinceEntry(a, instanceOf(a)!)).Where(g => g.Count() >= MinimumAnswersPerWeek).OrderBy(g => g.Key).ToList();
        if (weeks.Count < 2 || touchpoints.Count == 0)
            return null;
        var (first, last) = (TopBoxShare(weeks[0].ToList()), TopBoxShare(weeks[^1].ToList()));
        if (first - last < GapThreshold)
            return null;
        var tpFirst = touchpoints.Where(a => WeekSinceEntry(a, instanceOf(a)!) == weeks[0].Key).ToList();
        var tpLast = touchpoints.Where(a => WeekSinceEntry(a, instanceOf(a)!) == weeks[^1].Key).ToList();
        var holds = TopBoxShare(touchpoints) >= GoodTouchpoints
            || (tpFirst.Count > 0 && tpLast.Count > 0 && TopBoxShare(tpFirst) - TopBoxShare(tpLast) < 0.05);
        return holds ? (weeks[0].Key, first, weeks[^1].Key, last) : null;
    }

    /// <summary>
    /// Over instances with at least two touchpoint scores and a journey score, all scaled to 0..1: peak = the
    /// touchpoint score farthest from the scale's midpoint (the earliest on ties), end = the last touchpoint score,
    /// journey score = the instance's last journey answer. R² of the journey score on the mean versus on peak + end.
    /// </summary>
    private static PeakEndFigures PeakEnd(List<FeedbackAnswer> touchpoints, List<FeedbackAnswer> journeyAnswers, Func<FeedbackAnswer, InstanceHistory?> instanceOf)
    {
        var journeyByInstance = journeyAnswers.GroupBy(a => (a.CustomerId, a.InstanceId!))
            .ToDictionary(g => g.Key, g => g.OrderBy(a => a.At).ThenBy(a => a.EventId, StringComparer.Ordinal).Last());
        var meanRows = new List<double[]>();
        var peakEndRows = new List<double[]>();
        var y = new List<double>();
        var peakSteps = new List<string>();
        var endSteps = new List<string>();
        foreach (var group in touchpoints.GroupBy(a => (a.CustomerId, a.InstanceId!)).OrderBy(g => g.Key.CustomerId, StringComparer.Ordinal).ThenBy(g => g.Key.Item2, StringComparer.Ordinal))
        {
            var scores = group.OrderBy(a => a.At).ThenBy(a => a.EventId, StringComparer.Ordinal).ToList();
            if (scores.Count < 2 || !journeyByInstance.TryGetValue(group.Key, out var journeyAnswer))
                continue;
            var scaled = scores.Select(a => FeedbackMetric.Find(a.Metric)!.Scaled(a.Score)).ToList();
            var peakIndex = 0;
            for (var i = 1; i < scaled.Count; i++)
            {
                if (Math.Abs(scaled[i] - 0.5) > Math.Abs(scaled[peakIndex] - 0.5))
                    peakIndex = i;
            }
            meanRows.Add([scaled.Average()]);
            peakEndRows.Add([scaled[peakIndex], scaled[^1]]);
            y.Add(FeedbackMetric.Find(journeyAnswer.Metric)!.Scaled(journeyAnswer.Score));
            peakSteps.Add(scores[peakIndex].StepId ?? "");
            endSteps.Add(scores[^1].StepId ?? "");
        }
        return new PeakEndFigures
        {
            N = y.Count,
            R2Mean = Round(Statistics.RSquared(meanRows, y)),
            R2PeakEnd = Round(Statistics.RSquared(peakEndRows, y)),
            PeakSteps = JourneyReportBuilder.Counts(peakSteps),
            EndSteps = JourneyReportBuilder.Counts(endSteps),
        };
    }

    private static RelationshipFigures Relationship(IReadOnlyList<FeedbackAnswer> feedback, IEnumerable<InstanceHistory> instances)
    {
        var nps = feedback.Where(a => a.Level == FeedbackLevel.Relationship && a.Metric == FeedbackMetric.Nps.Name).ToList();
        var byCustomer = instances.GroupBy(i => i.CustomerId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(i => i.EnteredAt).ToList(), StringComparer.Ordinal);
        var byEnd = new List<(string End, FeedbackAnswer Answer)>();
        foreach (var answer in nps)
        {
            if (byCustomer.TryGetValue(answer.CustomerId, out var list) && list.LastOrDefault(i => i.EnteredAt <= answer.At) is { } latest)
                byEnd.Add((latest.EndLabel, answer));
        }
        return new RelationshipFigures
        {
            NpsByMonth = nps.GroupBy(a => a.At.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture)).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new MonthNps(g.Key, g.Count(), NpsOf(g.ToList()))).ToList(),
            NpsByEnd = byEnd.GroupBy(e => e.End, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Summary(FeedbackMetric.Nps.Name, g.Select(e => e.Answer).ToList()), StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Share of ended instances whose customer had a retention event within the window after the end: instances with
    /// a top-box journey answer versus every other ended instance.
    /// </summary>
    private static RetentionFigures? Retention(JourneyDefinition journey, IEnumerable<InstanceHistory> instances, List<FeedbackAnswer> journeyAnswers,
        Func<FeedbackAnswer, InstanceHistory?> instanceOf, IReadOnlyDictionary<string, IReadOnlyList<LoggedEvent>> events, AnalysisOptions options)
    {
        if (JourneyReportBuilder.RetentionEventOf(journey, options) is not { } type)
            return null;
        var window = options.RetentionWindowSpan;
        var times = (events.GetValueOrDefault(type) ?? []).GroupBy(e => e.CustomerId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.OccurredAt).ToList(), StringComparer.Ordinal);
        var topBox = journeyAnswers.Where(a => FeedbackMetric.Find(a.Metric)!.IsTopBox(a.Score)).Select(instanceOf).OfType<InstanceHistory>().ToHashSet();
        bool Retained(InstanceHistory i) => times.TryGetValue(i.CustomerId, out var list) && list.Any(t => t > i.EndedAt && t <= i.EndedAt + window);
        var ended = instances.Where(i => i.EndedAt is not null).ToList();
        RetentionGroup Group(List<InstanceHistory> group) => new(group.Count, group.Count(Retained), Statistics.Rate(group.Count(Retained), group.Count));
        return new RetentionFigures(type, options.RetentionWindow, Group(ended.Where(topBox.Contains).ToList()), Group(ended.Where(i => !topBox.Contains(i)).ToList()));
    }

    private static int WeekSinceEntry(FeedbackAnswer answer, InstanceHistory instance) => (int)Math.Floor((answer.At - instance.EnteredAt).TotalDays / 7);

    public static ScoreSummary Summary(string metric, IReadOnlyList<FeedbackAnswer> answers) =>
        new(answers.Count, Math.Round(answers.Average(a => a.Score), 4), Math.Round(TopBoxShare(answers), 4),
            metric == FeedbackMetric.Nps.Name ? NpsOf(answers) : null);

    private static double TopBoxShare(IReadOnlyList<FeedbackAnswer> answers) =>
        Statistics.Rate(answers.Count(a => FeedbackMetric.Find(a.Metric)!.IsTopBox(a.Score)), answers.Count);

    /// <summary>% promoters (9-10) minus % detractors (0-6), in points from -100 to 100.</summary>
    private static double NpsOf(IReadOnlyList<FeedbackAnswer> answers) =>
        Math.Round(100.0 * (answers.Count(a => a.Score >= 9) - answers.Count(a => a.Score <= 6)) / answers.Count, 2);

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    private static string Pct(double rate) => ExperimentAnalysis.Pct(rate);

    private static string Points(double difference) => (difference * 100).ToString("0.0", CultureInfo.InvariantCulture) + " points";
}
