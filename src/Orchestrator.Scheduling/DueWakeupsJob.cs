using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// Fired by Quartz: claims customers whose wakeups are due, in batches, and lets the engine run their timers.
/// Quartz owns when; the indexed wakeups table owns how many. A stale or repeated wakeup decides nothing.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class DueWakeupsJob(
    IWakeupStore wakeups, EventProcessor processor, OutboxSignal outbox, TimeProvider time,
    IOptions<SchedulingOptions> options, SchedulerHeartbeat heartbeat, ILogger<DueWakeupsJob> logger) : IJob
{
    public static readonly JobKey Key = new("due-wakeups", "orchestrator");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var o = options.Value;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var customers = await wakeups.ClaimDueAsync(now, o.BatchSize, TimeSpan.FromSeconds(o.LeaseSeconds), cancellationToken).ConfigureAwait(false);
            // Each claim is a sign of life, so a long backlog is not taken for a stopped scheduler.
            heartbeat.Ran();
            if (customers.Count == 0)
                return;
            await Parallel.ForEachAsync(customers, new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = cancellationToken }, async (customer, ct) =>
            {
                try
                {
                    var decision = await processor.ProcessDueAsync(customer, ct).ConfigureAwait(false);
                    if (decision is null)
                        return;
                    if (decision.Sends.Count > 0)
                        outbox.Notify();
                    var late = decision.Outcomes.Count == 0 ? TimeSpan.Zero : time.GetUtcNow() - decision.Outcomes.Min(x => x.At);
                    if (decision.Outcomes.Count > 0)
                        OrchestratorMetrics.TimerLateness.Record(Math.Max(0, late.TotalSeconds));
                    if (late > TimeSpan.FromSeconds(30))
                        LogLate(logger, customer, late, decision.Outcomes.Count);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The claim's lease runs out and the customer is tried again; others in the batch go on.
                    LogFailed(logger, ex, customer);
                }
            }).ConfigureAwait(false);
            if (customers.Count < o.BatchSize)
                return;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wakeups of customer {CustomerId} ran {Lateness} late ({Outcomes} outcomes, recorded at their due time)")]
    private static partial void LogLate(ILogger logger, string customerId, TimeSpan lateness, int outcomes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Wakeups of customer {CustomerId} failed; retried when the claim expires")]
    private static partial void LogFailed(ILogger logger, Exception exception, string customerId);
}
