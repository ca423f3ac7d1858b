using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// The journey store, outbox, wakeup store and outcome reader on the configured database (section
    /// <c>Orchestrator:Storage</c>), and, unless <see cref="StorageOptions.MigrateOnStart"/> is false, the schema
    /// migrations, applied while the host starts and before any hosted service's StartAsync runs.
    /// A relative SQLite path is resolved against the content root.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(sp => JourneyStorage.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<TimeProvider>(), contentRoot));
        builder.Services.AddSingleton<IJourneyStore>(sp => sp.GetRequiredService<JourneyStorage>().Store);
        builder.Services.AddSingleton<IOutbox>(sp => sp.GetRequiredService<JourneyStorage>().Outbox);
        builder.Services.AddSingleton<IWakeupStore>(sp => sp.GetRequiredService<JourneyStorage>().Wakeups);
        builder.Services.AddSingleton<IOutcomeReader>(sp => sp.GetRequiredService<JourneyStorage>().Outcomes);
        builder.Services.AddSingleton<IAnalysisReader>(sp => sp.GetRequiredService<JourneyStorage>().Analysis);
        builder.Services.AddSingleton<IJourneyVersionStore>(sp => sp.GetRequiredService<JourneyStorage>().Versions);
        builder.Services.AddSingleton<IBacklogReader>(sp => sp.GetRequiredService<JourneyStorage>().Backlog);
        builder.Services.AddSingleton<IIntakeHoldStore>(sp => sp.GetRequiredService<JourneyStorage>().IntakeHolds);
        builder.Services.AddHostedService<StorageMigrationService>();
        builder.Services.AddOptions<AnalysisOptions>().BindConfiguration(AnalysisOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AnalysisOptions>, AnalysisOptionsValidator>();
        builder.Services.AddHostedService<RetentionService>();
        return builder;
    }
}

/// <summary>Migrates in the host's starting phase, so consumers and jobs that start later find the schema in place.</summary>
internal sealed class StorageMigrationService(JourneyStorage storage, IOptions<StorageOptions> options) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
            await storage.MigrateAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Every problem of the analysis settings, one line each.</summary>
internal sealed class AnalysisOptionsValidator : IValidateOptions<AnalysisOptions>
{
    public ValidateOptionsResult Validate(string? name, AnalysisOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}

/// <summary>
/// Keeps the event log to <see cref="AnalysisOptions.EventRetention"/> and send bodies to
/// <see cref="StorageOptions.SendBodyRetention"/>: a cleanup at start and then every interval.
/// </summary>
internal sealed partial class RetentionService(JourneyStorage storage, IOptions<AnalysisOptions> options, IOptions<StorageOptions> storageOptions, TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var analysis = options.Value;
        var bodies = storageOptions.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(analysis.CleanupIntervalMinutes), time);
        do
        {
            // Without migrations on start the schema may not be there yet: logged, and the next round tries again.
            try
            {
                var deleted = await storage.DeleteExpiredEventsAsync(time.GetUtcNow() - analysis.EventRetentionSpan, analysis.CleanupBatchSize, stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                    LogDeleted(logger, deleted, analysis.EventRetention);
                var pruned = await storage.PruneSendBodiesAsync(time.GetUtcNow() - bodies.SendBodyRetentionSpan, analysis.CleanupBatchSize, stoppingToken).ConfigureAwait(false);
                if (pruned > 0)
                    LogPruned(logger, pruned, bodies.SendBodyRetention);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log: deleted {Count} events older than {Retention}")]
    private static partial void LogDeleted(ILogger logger, int count, string retention);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sends: emptied the bodies of {Count} sends sent or failed more than {Retention} ago")]
    private static partial void LogPruned(ILogger logger, int count, string retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention cleanup failed; it runs again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
