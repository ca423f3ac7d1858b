using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// Fired by Quartz: claims customers whose wakeups are due, in batches, and lets the engine run their timers, a batch
/// in one commit (<see cref="GroupCommit"/>). Quartz owns when; the indexed wakeups table owns how many. A stale or
/// repeated wakeup decides nothing.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class DueWakeupsJob(
    IWakeupStore wakeups, GroupCommit commits, TimeProvider time, SharedIntakeHold intake,
    IOptions<SchedulingOptions> options, SchedulerHeartbeat heartbeat, LateTimers late, ILogger<DueWakeupsJob> logger,
    OutboxSignal? outbox = null) : IJob
{
    public static readonly JobKey Key = new("due-wakeups", "orchestrator");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await RunDueAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            late.Tell();
        }
    }

    private async Task RunDueAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var dueBy = await DueByAsync(now, o, cancellationToken).ConfigureAwait(false);
            // Smaller batches while the sender works off due sends, so that it gets its turns at the one writer.
            var batchSize = outbox?.SenderBehind == true ? Math.Min(o.BatchSize, o.BatchSizeWhileSending) : o.BatchSize;
            var customers = await wakeups.ClaimDueAsync(dueBy, now, batchSize, TimeSpan.FromSeconds(o.LeaseSeconds), cancellationToken).ConfigureAwait(false);
            // Each claim is a sign of life, so a long backlog is not taken for a stopped scheduler.
            heartbeat.Ran();
            if (customers.Count == 0)
                return;
            // Read again after the claim: another worker that began a backlog between the read above and the claim wrote
            // its hold before committing the decisions that created timers (SharedIntakeHold.CoverAsync), so a claim
            // that took such timers finds the hold now. Decided only up to it, they run nothing early; their wakeups are
            // written back unclaimed.
            var heldBy = await DueByAsync(now, o, cancellationToken).ConfigureAwait(false);
            if (heldBy < dueBy)
                dueBy = heldBy;
            var results = await commits.SubmitAsync(customers.Select(c => Work.Due(c, dueBy)).ToList()).ConfigureAwait(false);
            for (var i = 0; i < customers.Count; i++)
            {
                var (decision, failure) = results[i];
                if (failure is not null)
                {
                    // The claim's lease runs out and the customer is tried again; the others in the batch went on.
                    LogFailed(logger, failure, customers[i]);
                    continue;
                }
                if (decision is null || decision.Outcomes.Count == 0)
                    continue;
                var lateness = time.GetUtcNow() - decision.Outcomes.Min(x => x.At);
                OrchestratorMetrics.TimerLateness.Record(Math.Max(0, lateness.TotalSeconds));
                late.Ran(customers[i], lateness);
            }
            if (customers.Count < batchSize)
                return;
        }
    }

    /// <summary>Timers due by now, or only up to where event intake has come while it works off a backlog (this
    /// worker's or another's), but never held back longer than <see cref="SchedulingOptions.MaxWaitForIntakeSeconds"/>.</summary>
    private async Task<DateTimeOffset> DueByAsync(DateTimeOffset now, SchedulingOptions o, CancellationToken cancellationToken)
    {
        var caughtUp = await intake.CaughtUpToAsync(now, cancellationToken).ConfigureAwait(false);
        var limit = now - TimeSpan.FromSeconds(o.MaxWaitForIntakeSeconds);
        return caughtUp < limit ? limit : caughtUp;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Wakeups of customer {CustomerId} failed; retried when the claim expires")]
    private static partial void LogFailed(ILogger logger, Exception exception, string customerId);
}
