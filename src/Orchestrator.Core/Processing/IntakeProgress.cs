namespace Orchestrator.Core.Processing;

/// <summary>
/// How far event intake has come, so that timers do not overtake it. Under a backlog (a worker back after a stop, a
/// burst faster than it decides) a customer's timer comes due while an older event of the same customer still waits in
/// its queue; run at once, the timer would be decided first and the customer would get, say, the reminder although the
/// order was placed before it. The engine already runs a customer's timers due before an event when it decides that
/// event, so a timer loses nothing by waiting until its partition has consumed past its due time.
/// </summary>
/// <remarks>
/// Each source (a partition queue this worker consumes) reports the events it takes. While a source is active, timers
/// run only up to the time of the last event it took: every event up to that one has been decided (a partition
/// delivers in publishing order, which for one customer is the order things happened), and any event behind it in the
/// queue may be older than a timer due now. There is no tolerance for "slightly behind": the fault harness found a
/// partition 0.6 s behind (under the 1 s once allowed) whose timer ran ahead of the customer's older
/// <c>account.deleted</c> and sent a reminder nobody predicted. Holding at the last event costs little when intake keeps
/// up: the hold then trails the clock by the publish-to-consume delay, and the next event or the quiet time lifts it. A source
/// that has been quiet for <see cref="QuietAfter"/> has nothing queued and holds nothing back. A source expected from the
/// settings but not delivering yet (the worker starting, the broker not reached) and a source just started have not
/// shown whether a backlog waits, and a worker that was down most likely has one: they hold timers back until the
/// source's first event or first quiet moment. A source that stops while running (the broker went away) is the same: its
/// queue keeps what was published before the outage and what the worker held unacknowledged, and publishers that retry
/// deliver what happened meanwhile once it is back, so it holds timers back until it starts again and has shown its
/// queue (the fault harness's broker restart found reminders sent during the outage although the customer's order, older
/// than the reminder, was still queued). The scheduler bounds every hold (<c>MaxWaitForIntakeSeconds</c>), so a long
/// outage delays timers by that much at most.
/// HTTP intake is synchronous (the caller waits for the decision), so it never holds timers back.
/// </remarks>
public sealed class IntakeProgress
{
    /// <summary>A source that delivered nothing for this long has nothing queued: RabbitMQ pushes prefetched messages as
    /// fast as the consumer takes them, so a gap this long is an empty queue, not a slow one.</summary>
    public static readonly TimeSpan QuietAfter = TimeSpan.FromSeconds(1);

    /// <summary>How long a source that stopped after taking events still holds the other workers' timers at the last event
    /// it took (<see cref="CaughtUpTo"/>, <c>forOtherWorkers</c>): a worker cut off from the broker keeps its queues until
    /// the broker notices (RabbitMQ's heartbeat timeout, 60 s by default) and gives them to another worker, which holds
    /// by itself once they deliver; meanwhile the backlog behind them waits for nobody.</summary>
    public static readonly TimeSpan StoppedHoldsOthersFor = TimeSpan.FromMinutes(2);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Source> _sources = new(StringComparer.Ordinal);

    /// <param name="expected">The sources the settings say this worker consumes; each holds timers back until it starts.</param>
    public IntakeProgress(TimeProvider time, IEnumerable<IntakeSource>? expected = null)
    {
        _time = time;
        foreach (var source in expected ?? [])
            _sources[source.Name] = new Source(DateTimeOffset.MaxValue);
    }

    private sealed class Source(DateTimeOffset since)
    {
        public DateTimeOffset LastSeen { get; set; } = since;
        public DateTimeOffset? LastOccurredAt { get; set; }
        public int Taking { get; set; }

        /// <summary>The time of an event that could not be decided and will be taken again, while it waits.</summary>
        public DateTimeOffset? Retrying { get; set; }

        /// <summary>The last event taken before the source stopped, and when it stopped (<see cref="StoppedHoldsOthersFor"/>).</summary>
        public (DateTimeOffset Last, DateTimeOffset At)? TakenBeforeStop { get; init; }
    }

    /// <summary><paramref name="source"/> has started delivering (or started again after a broker outage).</summary>
    public void Started(string source)
    {
        lock (_gate)
            _sources[source] = new Source(_time.GetUtcNow());
    }

    /// <summary><paramref name="source"/> stopped (the broker went away, or the worker stops): it holds timers back
    /// until it starts again, as a source expected but not delivering yet does.</summary>
    public void Stopped(string source)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _sources.TryGetValue(source, out var previous);
            var taken = previous?.LastOccurredAt is { } last ? (last, now) : previous?.TakenBeforeStop;
            _sources[source] = new Source(DateTimeOffset.MaxValue) { TakenBeforeStop = taken };
        }
    }

    /// <summary>An event of <paramref name="source"/> is being decided; call <see cref="Took"/> when it is done.</summary>
    public void Taking(string source, DateTimeOffset occurredAt)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_sources.TryGetValue(source, out var s))
                _sources[source] = s = new Source(now);
            s.LastSeen = now;
            s.LastOccurredAt = occurredAt;
            s.Taking++;
        }
    }

    /// <param name="willRetry">The event was not decided (the database could not record it) and its source takes it
    /// again after a pause: timers wait at its time until it is decided, however long the pause. Without this the
    /// pause looks like a quiet, empty queue, and once the database is back the timers, polled more often than the
    /// retry comes, overtake it and the older events queued behind it (the fault harness's locked database found that).</param>
    public void Took(string source, bool willRetry = false)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_sources.TryGetValue(source, out var s))
            {
                s.Taking = Math.Max(0, s.Taking - 1);
                s.LastSeen = now;
                s.Retrying = willRetry ? s.LastOccurredAt : null;
            }
        }
    }

    /// <summary>
    /// The time up to which timers may run: the earliest occurredAt among the last events the active sources took, or
    /// <paramref name="now"/> if that is later (<see cref="DateTimeOffset.MinValue"/> while a source just started has
    /// shown nothing yet).
    /// </summary>
    /// <param name="forOtherWorkers">Only what the events taken say (<see cref="SharedIntakeHold"/>): a source that
    /// has taken nothing since it started may be another worker's standby (single active consumer), and its "not
    /// delivering yet" says nothing about a backlog. Without this a worker cut off from the broker held every worker's
    /// timers back although the active consumer of its queues kept up; the worker that takes over a queue holds by
    /// itself from its first event on.</param>
    public DateTimeOffset CaughtUpTo(DateTimeOffset now, bool forOtherWorkers = false)
    {
        var upTo = now;
        lock (_gate)
        {
            foreach (var s in _sources.Values)
            {
                if (s.Retrying is { } retrying && retrying < upTo)
                    upTo = retrying;
                // LastSeen is MaxValue while an expected source has not started: active, nothing taken.
                var active = s.Taking > 0 || s.LastSeen > now || now - s.LastSeen < QuietAfter;
                if (!active)
                    continue;
                if (s.LastOccurredAt is not { } last)
                {
                    if (!forOtherWorkers)
                        upTo = DateTimeOffset.MinValue; // started, nothing taken yet, not quiet long enough to be empty
                    else if (s.TakenBeforeStop is { } stopped && now - stopped.At < StoppedHoldsOthersFor && stopped.Last < upTo)
                        upTo = stopped.Last;
                }
                else if (last < upTo)
                    upTo = last;
            }
        }
        return upTo;
    }
}

/// <summary>A source of events this worker consumes (a partition queue), registered by the transport's adapter.</summary>
public sealed record IntakeSource(string Name);
