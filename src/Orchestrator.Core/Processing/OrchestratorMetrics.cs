using System.Diagnostics.Metrics;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Processing;

/// <summary>
/// The worker's metrics (meter <c>Orchestrator</c>), exported by the worker at <c>/metrics</c> for Prometheus. Every
/// instrument is declared here, so their names and tags are one list an operator can read.
/// </summary>
public static class OrchestratorMetrics
{
    public const string MeterName = "Orchestrator";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Events taken in, by <c>result</c> (processed, duplicate, rejected, unavailable).</summary>
    public static readonly Counter<long> Events = Meter.CreateCounter<long>("orchestrator.events", "{event}", "Events taken in, by result");

    /// <summary>Decisions the engine made, by <c>cause</c> (event, timer).</summary>
    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("orchestrator.decisions", "{decision}", "Decisions made, by what caused them");

    /// <summary>Outcomes of sends at hand-off, by <c>outcome</c> (sent, failed, retried, deferred).</summary>
    public static readonly Counter<long> Sends = Meter.CreateCounter<long>("orchestrator.sends", "{send}", "Sends handed to the mail server, by outcome");

    /// <summary>How late timers ran: from their due time to the decision.</summary>
    public static readonly Histogram<double> TimerLateness = Meter.CreateHistogram<double>("orchestrator.timer.lateness", "s", "How long after their due time timers ran");

    /// <summary>Events and timers decided per database commit (<see cref="GroupCommit"/>).</summary>
    public static readonly Histogram<long> CommitBatchSize = Meter.CreateHistogram<long>("orchestrator.commit.batch", "{decision}",
        "Events and timers decided per database commit (group commit); 1 when work arrives one at a time");

    /// <summary>How long each commit of <see cref="CommitBatchSize"/> took the database, from COMMIT to its return.</summary>
    /// <remarks>On SQLite it is mostly writing the unit's pages to the WAL and the fsync (synchronous FULL): a partition that
    /// decides one event at a time waits this long per event on top of the work, so it shows what sharing commits would save.</remarks>
    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("orchestrator.commit.duration", "s",
        "How long each database commit of events and timers took (on SQLite mostly the WAL's fsync)");

    // The gauges' sources, connected by the worker at start; a gauge without a source, or whose source has no reading
    // (the database did not answer), reports nothing rather than a made-up zero.
    private static Func<Backlog?>? s_backlog;
    private static Func<int>? s_smtpFailures;
    private static Func<int>? s_partitionsHeld;

    /// <summary>Sends waiting in the outbox (queued), due or not yet; read at scrape time.</summary>
    public static readonly ObservableGauge<long> OutboxQueued = Meter.CreateObservableGauge("orchestrator.outbox.queued",
        () => FromBacklog(b => b.QueuedSends), "{send}", "Sends waiting in the outbox, due or not yet");

    /// <summary>Queued sends whose next attempt time has come.</summary>
    public static readonly ObservableGauge<long> OutboxDue = Meter.CreateObservableGauge("orchestrator.outbox.due",
        () => FromBacklog(b => b.DueSends), "{send}", "Queued sends whose time to go out has come");

    /// <summary>How long the oldest due send has waited to go out (0 when none is due).</summary>
    public static readonly ObservableGauge<double> OutboxOldestDueWait = Meter.CreateObservableGauge("orchestrator.outbox.oldest_due.wait",
        () => FromBacklog(b => b.OldestDueSendWait.TotalSeconds), "s", "How long the oldest due send has waited to go out");

    /// <summary>Wakeups (timers) due and not run yet.</summary>
    public static readonly ObservableGauge<long> WakeupsDue = Meter.CreateObservableGauge("orchestrator.wakeups.due",
        () => FromBacklog(b => b.DueWakeups), "{wakeup}", "Timers whose time has come and that have not run yet");

    /// <summary>How late the oldest due wakeup is (0 when none is due).</summary>
    public static readonly ObservableGauge<double> WakeupsOldestDueLateness = Meter.CreateObservableGauge("orchestrator.wakeups.oldest_due.lateness",
        () => FromBacklog(b => b.OldestDueWakeupLateness.TotalSeconds), "s", "How late the oldest due timer is");

    /// <summary>Hand-offs to the mail server that failed since it last accepted one.</summary>
    public static readonly ObservableGauge<int> SmtpConsecutiveFailures = Meter.CreateObservableGauge("orchestrator.smtp.consecutive_failures",
        () => s_smtpFailures is { } read ? [new Measurement<int>(read())] : Array.Empty<Measurement<int>>(), "{failure}",
        "Hand-offs to the mail server that failed since it last accepted one");

    /// <summary>The partitions this worker consumes as the active consumer (RabbitMQ intake with several workers: each
    /// holds its share, the rest it stands by for).</summary>
    public static readonly ObservableGauge<int> PartitionsHeld = Meter.CreateObservableGauge("orchestrator.intake.partitions.held",
        () => s_partitionsHeld is { } read ? [new Measurement<int>(read())] : Array.Empty<Measurement<int>>(), "{partition}",
        "Partition queues this worker consumes as the active consumer");

    /// <summary>The backlog gauges read <paramref name="read"/> at scrape time; it should cache (one reading serves all of them).</summary>
    public static void ObserveBacklog(Func<Backlog?> read) => Volatile.Write(ref s_backlog, read);

    public static void ObserveSmtpFailures(Func<int> read) => Volatile.Write(ref s_smtpFailures, read);

    public static void ObservePartitionsHeld(Func<int> read) => Volatile.Write(ref s_partitionsHeld, read);

    private static IEnumerable<Measurement<T>> FromBacklog<T>(Func<Backlog, T> value) where T : struct =>
        Volatile.Read(ref s_backlog)?.Invoke() is { } backlog ? [new Measurement<T>(value(backlog))] : [];

    public static void CommitBatch(int size) => CommitBatchSize.Record(size);

    public static void Committed(TimeSpan took) => CommitDuration.Record(took.TotalSeconds);

    public static void Event(string result) => Events.Add(1, new KeyValuePair<string, object?>("result", result));

    public static void Event(IngestStatus status) => Event(status.ToString().ToLowerInvariant());

    public static void Decision(string cause) => Decisions.Add(1, new KeyValuePair<string, object?>("cause", cause));

    public static void Send(string outcome) => Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
