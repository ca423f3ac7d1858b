using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
        builder.Services.AddHostedService<StorageMigrationService>();
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
