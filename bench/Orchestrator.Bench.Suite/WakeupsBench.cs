using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Bench.Suite;

/// <summary>What the wakeups part measured (times in seconds after the instant every wakeup fell due).</summary>
internal sealed record WakeupsResult(
    int Wakeups, long Decided, long Sent, long SinkAccepted, double SeededPerSecond, double WorkerReadyBeforeDue,
    double DecidedPerSecond, double SentPerSecond, double SentLatenessP50, double SentLatenessP99, double SentLatenessMax,
    double WorkerCpuPerWakeupMs, long WorkerPeakRss);

/// <summary>
/// N wakeups due at one instant T, each sending an email, through the worker's real path: Quartz fires the due-wakeups
/// job, it claims customers from the wakeups table, the engine decides, the outbox queues, the dispatcher hands each
/// mail to the SMTP server. T is chosen after a calibration seeding so that the worker is up and idle before T; the
/// result says how many seconds before T it was ready (negative: it came up late, and lateness counts that too).
/// </summary>
internal static class WakeupsBench
{
    // Room for the worker to start after seeding (1-3 s on the 2-core machine, busy or not).
    public const double WorkerStartSeconds = 4;

    public static async Task<WakeupsResult> RunAsync(string root, SmtpSink sink, int wakeups)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-wakeups").FullName;
        try
        {
            // Calibration on a throwaway store: how fast this machine seeds now, to place T just after seeding and start-up.
            var calibration = Math.Min(wakeups, 500);
            var rate = await Seeder.SeedAsync(Path.Combine(folder, "calibration.db"), Seeder.Events("bench.wakeup", "cal-", calibration, DateTimeOffset.UtcNow.AddHours(-1)));
            var due = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5 * wakeups / rate + WorkerStartSeconds);

            var database = Path.Combine(folder, "orchestrator.db");
            var seeded = await Seeder.SeedAsync(database, Seeder.Events("bench.wakeup", "w-", wakeups, due.AddHours(-1)));
            var acceptedBefore = sink.Accepted;
            await using var worker = await WorkerHost.StartAsync(root, folder, database, sink.Port);
            var readyBeforeDue = (due - DateTimeOffset.UtcNow).TotalSeconds;
            var cpuBefore = worker.Cpu;

            var timeout = TimeSpan.FromSeconds(Math.Max(0, readyBeforeDue) + 120 + wakeups / 100.0);
            await SuiteSupport.WaitUntilAsync(() => Sent(database) >= wakeups, timeout,
                () => $"{Sent(database):N0} of {wakeups:N0} wakeup mails sent", worker.Process);
            var cpu = worker.Cpu - cpuBefore;
            var (_, peak) = worker.Rss();
            await worker.DisposeAsync();

            var decided = SuiteSupport.Times(database, "SELECT recorded_at FROM outcomes WHERE journey_id = 'bench-wakeup' AND kind = 'resumed'");
            var sent = SuiteSupport.Times(database, "SELECT recorded_at FROM outcomes WHERE journey_id = 'bench-wakeup' AND kind = 'sent'");
            var lateness = sent.Select(t => (t - due).TotalSeconds).Order().ToList();
            SqliteConnection.ClearAllPools();
            return new WakeupsResult(
                wakeups, decided.Count, sent.Count, sink.Accepted - acceptedBefore, seeded, readyBeforeDue,
                decided.Count / (decided.Max() - due).TotalSeconds, sent.Count / lateness[^1],
                SuiteSupport.Percentile(lateness, 50), SuiteSupport.Percentile(lateness, 99), lateness[^1],
                cpu.TotalMilliseconds / wakeups, peak);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }

    private static long Sent(string database) =>
        File.Exists(database) ? SuiteSupport.Scalar(database, "SELECT COUNT(*) FROM outcomes WHERE journey_id = 'bench-wakeup' AND kind = 'sent'") : 0;
}
