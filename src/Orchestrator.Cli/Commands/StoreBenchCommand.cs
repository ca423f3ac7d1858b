using System.CommandLine;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Storage;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The engine with its SQLite store, in one process: the sample events copied for many customers, decided one commit
/// per event and then in group commits of <see cref="GroupCommit.DefaultMaxItems"/>, next to raw one-row SQLite
/// commits on the same disk in the same run. Besides events/s it reports the process's CPU time per event, which a
/// busy shared machine disturbs much less than wall time.
/// </summary>
internal static class StoreBenchCommand
{
    public static Command Create()
    {
        var journeys = CliSupport.JourneysOption();
        var events = BenchWorkload.EventsOption();
        var copies = BenchWorkload.CopiesOption(40);
        var command = new Command("store", "Benchmark the engine with its SQLite store: one commit per event against group commit, beside raw SQLite commits")
        {
            journeys, events, copies,
        };
        command.SetAction(parse => RunAsync(parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(copies), Console.Out, Console.Error));
        return command;
    }

    public static async Task<int> RunAsync(string folder, string eventsFile, int copies, TextWriter output, TextWriter errors)
    {
        if (!BenchWorkload.TryLoad(folder, eventsFile, copies, errors, out var catalog, out var workload))
            return CliSupport.InvalidJourneys;
        var raw = Orchestrator.Bench.RawSqliteCommits.PerSecond(3_000);
        output.WriteLine($"workload: {workload.Count:N0} events ({copies} copies of {eventsFile}); raw SQLite: {raw:N0} one-row commits/s (WAL, synchronous FULL)");
        output.WriteLine();
        output.WriteLine("| commits | events/s | CPU per event | events per raw one-row commit | timers then due | customers' timers/s | CPU per customer |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var batch in new[] { 1, GroupCommit.DefaultMaxItems })
        {
            var run = await DecideAsync(catalog, workload, batch).ConfigureAwait(false);
            var label = batch == 1 ? "one per event" : $"one per {batch} events";
            output.WriteLine($"| {label} | {run.EventsPerSecond:N0} | {run.EventCpu.TotalMilliseconds * 1000 / workload.Count:N0} µs | {run.EventsPerSecond / raw:N2} "
                + $"| {run.Customers:N0} | {run.CustomersPerSecond:N0} | {run.TimerCpu.TotalMilliseconds * 1000 / Math.Max(1, run.Customers):N0} µs |");
        }
        return 0;
    }

    private sealed record Run(double EventsPerSecond, TimeSpan EventCpu, int Customers, double CustomersPerSecond, TimeSpan TimerCpu);

    /// <summary>The workload decided with the clock at its last event (no wait falls due), then the clock moved past every
    /// wait and every customer's due timers run, claimed 200 at a time as the worker's job claims them.</summary>
    private static async Task<Run> DecideAsync(JourneyCatalog catalog, List<CustomerEvent> workload, int batch)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-store").FullName;
        try
        {
            var storage = JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(folder, "store.db")}" }, TimeProvider.System);
            await storage.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            // The engine's clock at the last event: no wait falls due, as in the intake benchmarks.
            var time = new VirtualClock(workload[^1].OccurredAt);
            var processor = new EventProcessor(new JourneyEngine(new SendingOptions { FrequencyCap = new FrequencyCapOptions() }, time), storage.Store, () => catalog);
            var (events, eventCpu) = await MeasureAsync(async () =>
            {
                foreach (var chunk in workload.Chunk(batch))
                    Check(await processor.ProcessBatchAsync(chunk.Select(Work.Of).ToList(), CancellationToken.None).ConfigureAwait(false));
                return workload.Count;
            }).ConfigureAwait(false);

            var end = workload[^1].OccurredAt + Simulator.DefaultHorizon;
            time.MoveTo(end);
            var (customers, timerCpu) = await MeasureAsync(async () =>
            {
                var count = 0;
                while (await storage.Wakeups.ClaimDueAsync(end, 200, TimeSpan.FromMinutes(5), CancellationToken.None).ConfigureAwait(false) is { Count: > 0 } due)
                {
                    count += due.Count;
                    foreach (var chunk in due.Chunk(batch))
                        Check(await processor.ProcessBatchAsync(chunk.Select(c => Work.Due(c)).ToList(), CancellationToken.None).ConfigureAwait(false));
                }
                return count;
            }).ConfigureAwait(false);
            return new Run(events.PerSecond, eventCpu, customers.Count, customers.PerSecond, timerCpu);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }

    private static async Task<((int Count, double PerSecond), TimeSpan Cpu)> MeasureAsync(Func<Task<int>> work)
    {
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var count = await work().ConfigureAwait(false);
        clock.Stop();
        process.Refresh();
        return ((count, count / clock.Elapsed.TotalSeconds), process.TotalProcessorTime - cpuBefore);
    }

    private static void Check(IReadOnlyList<WorkResult> results)
    {
        if (results.FirstOrDefault(r => r.Failure is not null).Failure is { } failure)
            throw new InvalidOperationException("a decision failed in the benchmark", failure);
    }
}
