using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Email;

namespace Orchestrator.Worker.Http;

/// <summary>
/// The store's backlog, read at most once per <see cref="HealthOptions.BacklogCacheSeconds"/> for health checks and
/// Prometheus scrapes together. A reading that fails is not kept: the next caller tries again.
/// </summary>
internal sealed class BacklogWatch(IBacklogReader reader, TimeProvider time, IOptions<HealthOptions> options) : IDisposable
{
    // A scrape waits this long at most for a reading; a database slower than that shows no number rather than a stale one.
    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private volatile Backlog? _last;

    /// <summary>The backlog, from the cache while it is fresh.</summary>
    public async Task<Backlog> ReadAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } cached)
            return cached;
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Whoever waited for the reading of another caller uses it.
            if (Fresh() is { } justRead)
                return justRead;
            var backlog = await reader.ReadBacklogAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            _last = backlog;
            return backlog;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>For the gauges, which the exporter reads synchronously at scrape time: null when the store does not answer in time.</summary>
    public Backlog? ReadForScrape()
    {
        try
        {
            var reading = ReadAsync(CancellationToken.None);
            return reading.Wait(ScrapeWait) ? reading.Result : null;
        }
        catch (Exception ex) when (ex is AggregateException or ObjectDisposedException)
        {
            // The store failed (health says why) or the worker is stopping.
            return null;
        }
    }

    public void Dispose() => _reading.Dispose();

    private Backlog? Fresh() =>
        _last is { } last && time.GetUtcNow() - last.At < TimeSpan.FromSeconds(options.Value.BacklogCacheSeconds) ? last : null;
}

/// <summary>Connects the observable gauges of <see cref="OrchestratorMetrics"/> to the backlog and the mail server at start.</summary>
internal sealed class GaugeConnection(BacklogWatch backlog, OutboxDispatcher dispatcher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        OrchestratorMetrics.ObserveBacklog(backlog.ReadForScrape);
        OrchestratorMetrics.ObserveSmtpFailures(() => dispatcher.MailServer.Current.ConsecutiveFailures);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
