using System.Diagnostics.Metrics;

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

    public static void CommitBatch(int size) => CommitBatchSize.Record(size);

    public static void Event(string result) => Events.Add(1, new KeyValuePair<string, object?>("result", result));

    public static void Event(IngestStatus status) => Event(status.ToString().ToLowerInvariant());

    public static void Decision(string cause) => Decisions.Add(1, new KeyValuePair<string, object?>("cause", cause));

    public static void Send(string outcome) => Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
