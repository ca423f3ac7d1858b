using Microsoft.Extensions.Options;

namespace Orchestrator.Scheduling;

/// <summary>
/// When the due-wakeups job last claimed due wakeups (found any or none), for <c>/health</c>. Quartz that lost its store (file deleted, database
/// gone) only logs and retries, and timers stop without anything else saying so; a job that has not run for many
/// poll intervals is that silence made visible.
/// </summary>
public sealed class SchedulerHeartbeat(TimeProvider time, IOptions<SchedulingOptions> options)
{
    private readonly DateTimeOffset _since = time.GetUtcNow();
    private long _lastRunTicks;

    /// <summary>Longer than this without a run is reported: ten polls, and never less than 10 seconds.</summary>
    public TimeSpan Tolerance { get; } = TimeSpan.FromMilliseconds(Math.Max(10_000, 10L * options.Value.PollIntervalMilliseconds));

    public DateTimeOffset? LastRun => Interlocked.Read(ref _lastRunTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    internal void Ran() => Interlocked.Exchange(ref _lastRunTicks, time.GetUtcNow().UtcTicks);

    /// <summary>Null while the job runs as often as it should, else what is wrong.</summary>
    public string? Problem()
    {
        var last = LastRun ?? _since;
        var silent = time.GetUtcNow() - last;
        if (silent <= Tolerance)
            return null;
        return LastRun is null
            ? $"the scheduler has not run the due-wakeups job since the worker started {silent.TotalSeconds:0} s ago: timers do not run (see the log for Quartz's errors, e.g. its store {options.Value.Store} cannot be written)"
            : $"the scheduler last ran the due-wakeups job {silent.TotalSeconds:0} s ago (it should every {options.Value.PollIntervalMilliseconds} ms): timers do not run (see the log for Quartz's errors, e.g. its store {options.Value.Store} cannot be written)";
    }
}
