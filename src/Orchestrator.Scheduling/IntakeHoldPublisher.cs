using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Core.Processing;

namespace Orchestrator.Scheduling;

/// <summary>
/// Says this worker's intake hold in the database every <see cref="SharedIntakeHold.PublishEvery"/>, so the other
/// workers' timers wait for its backlog too. It stops when the host begins stopping, before the partitions do: a
/// stopping partition holds everything back, and said then it would hold the other workers' timers for
/// <see cref="SharedIntakeHold.FreshFor"/> for nothing; what was last said stands until it goes stale.
/// </summary>
internal sealed partial class IntakeHoldPublisher(SharedIntakeHold hold, IHostApplicationLifetime lifetime, TimeProvider time,
    ILogger<IntakeHoldPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        using var timer = new PeriodicTimer(SharedIntakeHold.PublishEvery, time);
        string? failing = null;
        try
        {
            do
            {
                try
                {
                    await hold.PublishAsync(stop.Token).ConfigureAwait(false);
                    if (failing is not null)
                        LogRecovered(logger);
                    failing = null;
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    // Any failure but the stop (a command timeout may surface as a cancellation too): an exception out of
                    // a BackgroundService stops the host. The database is down or busy: the timers' claims fail the same
                    // way, so nothing runs ahead meanwhile.
                    if (failing is null)
                        LogFailed(logger, ex.Message);
                    failing = ex.Message;
                }
            }
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This worker's intake hold could not be written for the other workers, tried again: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "This worker's intake hold is written again")]
    private static partial void LogRecovered(ILogger logger);
}
