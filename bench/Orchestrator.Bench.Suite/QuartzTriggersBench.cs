using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Orchestrator.Bench.Suite;

/// <summary>What one-trigger-per-wakeup measured (times in seconds after the instant every trigger was due).</summary>
internal sealed record QuartzResult(int Triggers, long Fired, double ScheduledPerSecond, double ScheduledBeforeDue, double FiredPerSecond,
    double LatenessP50, double LatenessP99);

/// <summary>
/// The design the wakeups table replaced: one Quartz trigger per wakeup, each firing a job that does nothing but count,
/// on Quartz's ADO store in a SQLite file configured as the worker configures its scheduler (same Quartz version,
/// same provider, Quartz's defaults otherwise: 10 threads, one trigger per acquisition). All due at one instant T.
/// </summary>
internal static class QuartzTriggersBench
{
    public static async Task<QuartzResult> RunAsync(int triggers)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-quartz").FullName;
        var services = new ServiceCollection().AddLogging();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = "bench-" + Guid.NewGuid().ToString("N"));
            q.UsePersistentStore(store =>
            {
                store.UseSqlite($"Data Source={Path.Combine(folder, "quartz.db")}");
                store.ProvisionSchema();
            });
        });
        var provider = services.BuildServiceProvider();
        try
        {
            var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler();
            var job = JobBuilder.Create<CountingJob>().WithIdentity("count", "bench").StoreDurably().Build();
            CountingJob.Reset();

            // Calibration: how fast Quartz stores triggers now, to place T just after all are stored.
            var calibration = Math.Min(triggers, 500);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await scheduler.ScheduleJobs(new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [job] = Triggers("cal", calibration, DateTimeOffset.UtcNow.AddDays(1)) }, new ScheduleJobOptions { Replace = true });
            var calibrationRate = calibration / clock.Elapsed.TotalSeconds;
            await scheduler.Clear();

            var due = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5 * triggers / calibrationRate + 2);
            clock.Restart();
            await scheduler.ScheduleJobs(new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [job] = Triggers("w", triggers, due) }, new ScheduleJobOptions { Replace = true });
            var scheduledPerSecond = triggers / clock.Elapsed.TotalSeconds;
            var scheduledBeforeDue = (due - DateTimeOffset.UtcNow).TotalSeconds;
            await scheduler.Start();

            var timeout = TimeSpan.FromSeconds(Math.Max(0, scheduledBeforeDue) + 120 + triggers / 20.0);
            await SuiteSupport.WaitUntilAsync(() => CountingJob.Fired >= triggers, timeout, () => $"Quartz fired {CountingJob.Fired:N0} of {triggers:N0} triggers");
            await scheduler.Shutdown(waitForJobsToComplete: true);

            var lateness = CountingJob.Times.Select(t => (t - due).TotalSeconds).Order().ToList();
            return new QuartzResult(triggers, CountingJob.Fired, scheduledPerSecond, scheduledBeforeDue, lateness.Count / lateness[^1],
                SuiteSupport.Percentile(lateness, 50), SuiteSupport.Percentile(lateness, 99));
        }
        finally
        {
            await provider.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }

    private static List<ITrigger> Triggers(string prefix, int count, DateTimeOffset at) =>
        Enumerable.Range(0, count).Select(i => TriggerBuilder.Create().WithIdentity($"{prefix}-{i}", "bench").ForJob("count", "bench").StartAt(at).Build()).ToList();

    /// <summary>The minimal job: it counts and notes when it ran.</summary>
    private sealed class CountingJob : IJob
    {
        private static long _fired;

        public static ConcurrentBag<DateTimeOffset> Times { get; private set; } = [];

        public static long Fired => Interlocked.Read(ref _fired);

        public static void Reset()
        {
            Interlocked.Exchange(ref _fired, 0);
            Times = [];
        }

        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            Times.Add(DateTimeOffset.UtcNow);
            Interlocked.Increment(ref _fired);
            return ValueTask.CompletedTask;
        }
    }
}
