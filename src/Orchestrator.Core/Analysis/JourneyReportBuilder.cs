using System.Globalization;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Analysis;

/// <summary>Which instances a report counts: by the version they entered with and their entry time (from inclusive, to exclusive).</summary>
public sealed record ReportFilter(DateTimeOffset Now, string? Version = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    /// <summary>A filter time as marketers type it, on the CLI and in the pages: an ISO time, or a duration before now (<c>30d</c>).</summary>
    public static bool TryParseTime(string? text, DateTimeOffset now, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
            return true;
        if (Duration.TryParse(text.Trim(), out var ago))
        {
            value = now - ago;
            return true;
        }
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }
        return false;
    }

    public bool Includes(InstanceHistory instance) =>
        (Version is null || instance.Version == Version || instance.Version.StartsWith(Version, StringComparison.Ordinal))
        && (Since is null || instance.EnteredAt >= Since) && (Until is null || instance.EnteredAt < Until);
}

/// <summary>
/// Every figure of docs/analysis-contract.md for one journey, from the outcome log, the feedback table and the event log. The one
/// place where the figures are defined: the CLI, the web view and the tests all read them from here.
/// </summary>
public static class JourneyReportBuilder
{
    public const string UnsubscribedEvent = ReservedEvents.Unsubscribed;
    public const string BouncedEvent = ReservedEvents.Bounced;

    /// <summary>A spam complaint reported by the mail provider's feedback loop; a guardrail, not handled by journeys.</summary>
    public const string ComplainedEvent = "email.complained";

    private static readonly HashSet<string> KindsWithReasons =
        [OutcomeKind.Skipped, OutcomeKind.Suppressed, OutcomeKind.Deferred, OutcomeKind.Failed, OutcomeKind.Exited, OutcomeKind.Completed];

    public static Task<JourneyReport> BuildAsync(JourneyDefinition journey, IAnalysisReader reader, ReportFilter filter, AnalysisOptions options, CancellationToken cancellationToken) =>
        BuildAsync(journey, reader, filter, options, new SharedReads(reader, cancellationToken), cancellationToken);

    /// <summary>The reports of several journeys (the overview): what every journey's report reads alike, the
    /// conversions and the logged events by type, is read once for all of them.</summary>
    public static async Task<IReadOnlyList<JourneyReport>> BuildAllAsync(IReadOnlyList<JourneyDefinition> journeys, IAnalysisReader reader, ReportFilter filter,
        AnalysisOptions options, CancellationToken cancellationToken)
    {
        var shared = new SharedReads(reader, cancellationToken);
        var reports = new List<JourneyReport>(journeys.Count);
        foreach (var journey in journeys)
            reports.Add(await BuildAsync(journey, reader, filter, options, shared, cancellationToken).ConfigureAwait(false));
        return reports;
    }

    private static async Task<JourneyReport> BuildAsync(JourneyDefinition journey, IAnalysisReader reader, ReportFilter filter, AnalysisOptions options,
        SharedReads shared, CancellationToken cancellationToken)
    {
        // The conversions, answers and logged events are read on another thread while this one folds the outcome rows:
        // each read has its own connection, and on a big store the two halves take about as long as each other.
        var side = Task.Run(() => ReadSideAsync(journey, reader, options, shared, cancellationToken), cancellationToken);
        var tally = new StepTally();
        var instances = new List<InstanceHistory>();
        var rows = new List<OutcomeFact>();
        await foreach (var row in reader.ReadJourneyOutcomesAsync(journey.Id, cancellationToken).ConfigureAwait(false))
        {
            if (rows.Count > 0 && (rows[0].InstanceId != row.InstanceId || rows[0].CustomerId != row.CustomerId))
            {
                tally.Add(rows, filter, instances);
                rows.Clear();
            }
            rows.Add(row);
        }
        if (rows.Count > 0)
            tally.Add(rows, filter, instances);

        var (conversions, feedback, events) = await side.ConfigureAwait(false);
        return Build(journey, instances, tally, conversions, feedback, events, filter, options);
    }

    private static async Task<(IReadOnlyList<ConversionFact>, IReadOnlyList<FeedbackAnswer>, Dictionary<string, IReadOnlyList<LoggedEvent>>)> ReadSideAsync(
        JourneyDefinition journey, IAnalysisReader reader, AnalysisOptions options, SharedReads shared, CancellationToken cancellationToken)
    {
        var conversions = await shared.Conversions().ConfigureAwait(false);
        var feedback = await reader.ReadFeedbackAsync(journey.Id, cancellationToken).ConfigureAwait(false);
        var types = new[] { UnsubscribedEvent, BouncedEvent, ComplainedEvent, RetentionEventOf(journey, options) }.OfType<string>().Distinct();
        var events = new Dictionary<string, IReadOnlyList<LoggedEvent>>(StringComparer.Ordinal);
        foreach (var type in types)
            events[type] = await shared.Events(type).ConfigureAwait(false);
        return (conversions, feedback, events);
    }

    /// <summary>Reads that do not depend on the journey, each made once per report run (and only when first needed).</summary>
    private sealed class SharedReads(IAnalysisReader reader, CancellationToken cancellationToken)
    {
        private readonly Lazy<Task<IReadOnlyList<ConversionFact>>> _conversions = new(() => reader.ReadConversionsAsync(cancellationToken));
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<LoggedEvent>>>> _events = new(StringComparer.Ordinal);

        public Task<IReadOnlyList<ConversionFact>> Conversions() => _conversions.Value;

        public Task<IReadOnlyList<LoggedEvent>> Events(string type) =>
            _events.GetOrAdd(type, t => new Lazy<Task<IReadOnlyList<LoggedEvent>>>(() => reader.ReadEventsOfTypeAsync(t, cancellationToken))).Value;
    }

    /// <summary>Folds instances from rows grouped by instance (the order <see cref="IAnalysisReader.ReadJourneyOutcomesAsync"/> gives).</summary>
    public static (List<InstanceHistory> Instances, StepTally Tally) Fold(IEnumerable<OutcomeFact> rows, ReportFilter filter)
    {
        var tally = new StepTally();
        var instances = new List<InstanceHistory>();
        foreach (var group in rows.GroupBy(r => (r.CustomerId, r.InstanceId)))
            tally.Add(group.ToList(), filter, instances);
        return (instances, tally);
    }

    public static string? RetentionEventOf(JourneyDefinition journey, AnalysisOptions options) => options.RetentionEvent ?? journey.Goal?.Event;

    public static JourneyReport Build(JourneyDefinition journey, IReadOnlyList<InstanceHistory> instances, StepTally tally,
        IReadOnlyList<ConversionFact> conversions, IReadOnlyList<FeedbackAnswer> feedback, IReadOnlyDictionary<string, IReadOnlyList<LoggedEvent>> events,
        ReportFilter filter, AnalysisOptions options)
    {
        var entered = instances.Count;
        var converted = instances.Count(i => i.ConvertedAt is not null);
        var byId = instances.ToDictionary(i => (i.CustomerId, i.InstanceId));

        var otherJourneysEvents = conversions.Where(c => c.JourneyId != journey.Id && c.EventId is not null).Select(c => c.EventId!).ToHashSet(StringComparer.Ordinal);
        var shared = instances.Count(i => i.ConversionEventId is not null && otherJourneysEvents.Contains(i.ConversionEventId));

        return new JourneyReport
        {
            Journey = journey.Id,
            Name = journey.Name,
            Phase = journey.Phase,
            Version = filter.Version,
            From = filter.Since,
            To = filter.Until,
            Now = filter.Now,
            Entered = entered,
            Active = instances.Count(i => i.IsActive),
            Steps = StepsOf(journey, instances, tally),
            Edges = EdgesOf(instances),
            Ended = new EndedFigures
            {
                Completed = instances.Count(i => i.EndKind == OutcomeKind.Completed),
                Goal = instances.Count(i => i.EndLabel == "goal"),
                Exited = Counts(instances.Where(i => i.EndKind == OutcomeKind.Exited && i.EndReason != EndReason.Goal).Select(i => i.EndReason ?? "unknown")),
            },
            Conversion = new ConversionFigures
            {
                Converted = converted,
                Rate = Statistics.Rate(converted, entered),
                ByWeek = instances.GroupBy(i => IsoWeek(i.EnteredAt)).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new WeekConversion(g.Key, g.Count(), g.Count(i => i.ConvertedAt is not null), Statistics.Rate(g.Count(i => i.ConvertedAt is not null), g.Count())))
                    .ToList(),
                TimeToConvert = TimeToConvert(journey, instances, filter.Now),
            },
            Paths = PathsOf(instances),
            UnreachedSteps = journey.Steps.Where(s => tally.ReachedOf(s.Id) == 0).Select(s => s.Id).ToList(),
            Experiments = ExperimentAnalysis.Analyse(journey, instances, events, filter.Now),
            Experience = ExperienceAnalysis.Analyse(journey, byId, feedback, events, options),
            SharedConversions = shared,
        };
    }

    private static List<StepFigures> StepsOf(JourneyDefinition journey, IReadOnlyList<InstanceHistory> instances, StepTally tally)
    {
        var waiting = Counts(instances.Where(i => i.IsActive && i.CurrentStep is not null).Select(i => i.CurrentStep!));
        // Steps of the file first, in file order; then steps only older versions had.
        var ids = journey.Steps.Select(s => s.Id).Concat(tally.StepIds.Where(id => journey.FindStep(id) is null).Order(StringComparer.Ordinal)).ToList();
        return ids.Select(id =>
        {
            var step = journey.FindStep(id);
            var kind = step?.Kind ?? "removed";
            var dwell = tally.DwellOf(id);
            return new StepFigures
            {
                Id = id,
                Kind = kind,
                Reached = tally.ReachedOf(id),
                Converted = tally.ConvertedOf(id),
                Conversion = Statistics.Rate(tally.ConvertedOf(id), tally.ReachedOf(id)),
                WaitingNow = waiting.GetValueOrDefault(id),
                Outcomes = tally.OutcomesOf(id),
                Reasons = tally.ReasonsOf(id),
                Dwell = (step is not null && JourneyGraph.Waits(step)) || dwell.Count > 0
                    ? new DwellFigures(dwell.Count, Iso(Statistics.Percentile(dwell, 0.5)), Iso(Statistics.Percentile(dwell, 0.9)))
                    : null,
            };
        }).ToList();
    }

    private static List<EdgeFigures> EdgesOf(IReadOnlyList<InstanceHistory> instances)
    {
        var edges = new Dictionary<(string, string), int>();
        foreach (var instance in instances)
        {
            for (var i = 1; i < instance.Path.Count; i++)
                edges[(instance.Path[i - 1], instance.Path[i])] = edges.GetValueOrDefault((instance.Path[i - 1], instance.Path[i])) + 1;
        }
        return edges.OrderByDescending(e => e.Value).ThenBy(e => e.Key.Item1, StringComparer.Ordinal).ThenBy(e => e.Key.Item2, StringComparer.Ordinal)
            .Select(e => new EdgeFigures(e.Key.Item1, e.Key.Item2, e.Value)).ToList();
    }

    /// <summary>The ten most common paths.</summary>
    private static List<PathFigures> PathsOf(IReadOnlyList<InstanceHistory> instances) =>
        instances.GroupBy(i => string.Join('\u001f', i.Path), StringComparer.Ordinal)
            .Select(g =>
            {
                var durations = g.Where(i => i.EndedAt is not null).Select(i => i.EndedAt!.Value - i.EnteredAt).Order().ToList();
                return new PathFigures(g.First().Path, g.Count(), Statistics.Rate(g.Count(), instances.Count),
                    Statistics.Rate(g.Count(i => i.ConvertedAt is not null), g.Count()), Iso(Statistics.Percentile(durations, 0.5)));
            })
            .OrderByDescending(p => p.Count).ThenBy(p => string.Join('\u001f', p.Steps), StringComparer.Ordinal)
            .Take(10)
            .ToList();

    /// <summary>
    /// Kaplan-Meier over entry → converted. An instance not converted is censored at the earlier of now and entry +
    /// goal.within; without <c>within</c> a goal counts only while the instance is active, so at its end (or now).
    /// </summary>
    private static TimeToConvertFigures TimeToConvert(JourneyDefinition journey, IReadOnlyList<InstanceHistory> instances, DateTimeOffset now)
    {
        var subjects = instances.Select(i =>
        {
            if (i.ConvertedAt is { } at)
                return (at - i.EnteredAt, true);
            var horizon = journey.Goal?.Within is { } within ? Min(now, i.EnteredAt + within) : i.EndedAt ?? now;
            return (Max(horizon - i.EnteredAt, TimeSpan.Zero), false);
        }).ToList();
        var curve = KaplanMeier.Estimate(subjects);
        var converters = subjects.Where(s => s.Item2).Select(s => s.Item1).Order().ToList();
        return new TimeToConvertFigures
        {
            P50 = Iso(KaplanMeier.TimeTo(curve, 0.5)),
            P90 = Iso(KaplanMeier.TimeTo(curve, 0.9)),
            ConvertersP50 = Iso(Statistics.Percentile(converters, 0.5)),
            ConvertersP90 = Iso(Statistics.Percentile(converters, 0.9)),
            Curve = curve.Select(p => new CurvePoint(Iso(p.Time)!, Math.Round(p.Converted, 6), p.AtRisk)).ToList(),
        };
    }

    /// <summary>Monday-based ISO 8601 week of a UTC time, e.g. <c>2026-W10</c>.</summary>
    public static string IsoWeek(DateTimeOffset at)
    {
        var date = at.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(date)}-W{ISOWeek.GetWeekOfYear(date):00}");
    }

    /// <summary>ISO 8601 duration: whole days as <c>P4D</c>, else hours, minutes and seconds (<c>PT26H</c>, <c>PT1H30M</c>).</summary>
    public static string? Iso(TimeSpan? value)
    {
        if (value is not { } span)
            return null;
        if (span == TimeSpan.Zero)
            return "PT0S";
        var sign = span < TimeSpan.Zero ? "-" : "";
        span = span.Duration();
        if (span.Ticks % TimeSpan.TicksPerDay == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{sign}P{span.Days}D");
        var hours = (long)span.TotalHours;
        var text = sign + "PT";
        if (hours > 0)
            text += hours.ToString(CultureInfo.InvariantCulture) + "H";
        if (span.Minutes > 0)
            text += span.Minutes.ToString(CultureInfo.InvariantCulture) + "M";
        var seconds = span.Seconds + (span.Milliseconds / 1000.0);
        if (seconds > 0)
            text += seconds.ToString("0.###", CultureInfo.InvariantCulture) + "S";
        return text;
    }

    internal static Dictionary<string, int> Counts(IEnumerable<string> keys)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var key in keys)
            counts[key] = counts.GetValueOrDefault(key) + 1;
        return counts.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Per-step counts gathered while the rows go by, so a report never holds a journey's whole outcome log.</summary>
    public sealed class StepTally
    {
        private readonly Dictionary<string, int> _reached = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _converted = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, int>> _outcomes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, Dictionary<string, int>>> _reasons = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<TimeSpan>> _dwell = new(StringComparer.Ordinal);

        public IEnumerable<string> StepIds => _reached.Keys;

        public void Add(IReadOnlyList<OutcomeFact> rows, ReportFilter filter, List<InstanceHistory> instances)
        {
            var history = InstanceHistory.Fold(rows);
            if (history is null || !filter.Includes(history))
                return;
            instances.Add(history);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var waitingSince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                if (row.StepId is not { } step)
                    continue;
                if (seen.Add(step))
                {
                    _reached[step] = _reached.GetValueOrDefault(step) + 1;
                    if (history.ConvertedAt is not null)
                        _converted[step] = _converted.GetValueOrDefault(step) + 1;
                }
                var kinds = _outcomes.TryGetValue(step, out var k) ? k : _outcomes[step] = new Dictionary<string, int>(StringComparer.Ordinal);
                kinds[row.Kind] = kinds.GetValueOrDefault(row.Kind) + 1;
                if (KindsWithReasons.Contains(row.Kind) && row.Reason is { } reason)
                {
                    var byKind = _reasons.TryGetValue(step, out var r) ? r : _reasons[step] = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
                    var reasons = byKind.TryGetValue(row.Kind, out var rr) ? rr : byKind[row.Kind] = new Dictionary<string, int>(StringComparer.Ordinal);
                    reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                }
                if (row.Kind == OutcomeKind.Waiting)
                {
                    waitingSince[step] = row.At;
                }
                else if (row.Kind == OutcomeKind.Resumed && waitingSince.Remove(step, out var since))
                {
                    (_dwell.TryGetValue(step, out var list) ? list : _dwell[step] = []).Add(row.At - since);
                }
            }
        }

        public int ReachedOf(string step) => _reached.GetValueOrDefault(step);

        public int ConvertedOf(string step) => _converted.GetValueOrDefault(step);

        public IReadOnlyDictionary<string, int> OutcomesOf(string step) =>
            _outcomes.TryGetValue(step, out var kinds) ? kinds.OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal) : new Dictionary<string, int>();

        public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ReasonsOf(string step) =>
            _reasons.TryGetValue(step, out var byKind)
                ? byKind.OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => (IReadOnlyDictionary<string, int>)k.Value.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal), StringComparer.Ordinal)
                : new Dictionary<string, IReadOnlyDictionary<string, int>>();

        public List<TimeSpan> DwellOf(string step) => _dwell.TryGetValue(step, out var list) ? list.Order().ToList() : [];
    }
}
