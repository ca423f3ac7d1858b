using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace Orchestrator.Scheduling;

public static class SchedulingExtensions
{
    /// <summary>
    /// Quartz with a persistent store (schema provisioned by Quartz) and one repeating trigger for the due-wakeups job.
    /// After a restart Quartz fires at once, and the job picks up every wakeup that fell due meanwhile, late.
    /// </summary>
    public static IHostApplicationBuilder AddScheduling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchedulingOptions>().BindConfiguration(SchedulingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SchedulingOptions>, SchedulingOptionsValidator>();
        var options = builder.Configuration.GetSection(SchedulingOptions.SectionName).Get<SchedulingOptions>() ?? new SchedulingOptions();
        if (options.Store == SchedulerStore.Sqlite)
            EnsureSqliteFolder(options.ConnectionString, builder.Environment.ContentRootPath);

        builder.Services.AddSingleton<SchedulerHeartbeat>();
        builder.Services.AddSingleton<LateTimers>();
        // Every worker's timers wait for every worker's intake backlog (SharedIntakeHold, registered with the intake).
        builder.Services.AddHostedService<IntakeHoldPublisher>();
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = "orchestrator");
            q.UsePersistentStore(store =>
            {
                if (options.Store == SchedulerStore.SqlServer)
                {
                    store.UseSqlServer(options.ConnectionString);
                    if (options.Clustered)
                        store.UseClustering(c => c.Enabled = true);
                }
                else
                {
                    store.UseSqlite(options.ConnectionString);
                }
                store.ProvisionSchema();
            });
            q.AddJob<DueWakeupsJob>(j => j.WithIdentity(DueWakeupsJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(DueWakeupsJob.Key)
                .WithIdentity("due-wakeups-poll", "orchestrator")
                .StartNow()
                .WithSimpleSchedule(s => s
                    .WithInterval(TimeSpan.FromMilliseconds(options.PollIntervalMilliseconds))
                    .RepeatForever()
                    // Missed polls while the worker was down collapse into one: the job catches up on every due wakeup anyway.
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)));
        });
        // Quartz 4 does not start a scheduler by itself: the hosted service starts it with the host and waits for a
        // running batch at shutdown.
        builder.Services.AddQuartzHostedService(h => h.WaitForJobsToComplete = true);
        return builder;
    }

    private static void EnsureSqliteFolder(string connectionString, string contentRoot)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:")
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource, contentRoot));
        if (string.IsNullOrEmpty(folder))
            return;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionsValidationException(SchedulingOptions.SectionName, typeof(SchedulingOptions),
                [$"{SchedulingOptions.SectionName}:ConnectionString: the folder {folder} for the schedule's SQLite file cannot be created: {ex.Message}"]);
        }
    }
}
