using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Orchestrator.Worker.Startup;

/// <summary>How long the worker may take to stop (section <c>Orchestrator:Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Orchestrator:Shutdown";

    /// <summary>Seconds from SIGTERM to the end of the process, whatever hangs. Default 30.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// Ends the process when stopping takes longer than <see cref="ShutdownOptions.TimeoutSeconds"/>. The host cancels its
/// services' StopAsync after its ShutdownTimeout, but a service that does not listen (Quartz retrying a lost store
/// forever) keeps the process alive, and an orchestrator's restart never comes. What is left then (a send in flight)
/// is what a crash leaves, which the worker is built to survive: 'unknown', never repeated.
/// </summary>
internal sealed partial class ShutdownDeadline(IOptions<ShutdownOptions> options, IHostApplicationLifetime lifetime, ILogger<ShutdownDeadline> logger)
    : IHostedService, IDisposable
{
    private Timer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(options.Value.TimeoutSeconds);
        lifetime.ApplicationStopping.Register(() => _timer = new Timer(_ => Expire(timeout), null, timeout, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Expire(TimeSpan timeout)
    {
        LogExpired(logger, timeout.TotalSeconds);
        Thread.Sleep(200); // the console logger writes from a queue of its own
        // Environment.Exit would wait for the host's own shutdown once more (its ProcessExit handler); a kill does
        // not, and the exit status (137 on Linux, killed) tells a supervisor that the stop was forced.
        using var self = Process.GetCurrentProcess();
        self.Kill();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Stopping took longer than {Seconds} s (Orchestrator:Shutdown:TimeoutSeconds): a dependency does not let go; ending the process now")]
    private static partial void LogExpired(ILogger logger, double seconds);

    public void Dispose() => _timer?.Dispose();
}
