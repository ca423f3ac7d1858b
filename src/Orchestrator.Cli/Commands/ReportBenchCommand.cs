using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Storage;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator bench report</c>: a SQLite store with about a million outcome rows (the samples simulated for
/// many copies of their customers), then the time of every journey's report next to a plain
/// <c>SELECT count(*) FROM outcomes</c> over the same table in the same run.
/// </summary>
internal static class ReportBenchCommand
{
    private static readonly string[] OutcomeParameters = ["$at", "$journey", "$version", "$step", "$variant", "$customer", "$instance", "$kind", "$detail", "$seq"];
    private static readonly string[] GuardrailTypes = ["customer.unsubscribed", "email.bounced", "email.complained", "order.placed"];
    private static readonly string[] EventParameters = ["$id", "$customer", "$type", "$at", "$properties"];

    public static Command Create()
    {
        var journeys = CliSupport.JourneysOption();
        var events = BenchWorkload.EventsOption();
        var rows = new Option<int>("--rows") { Description = "About this many outcome rows", DefaultValueFactory = _ => 1_000_000 };
        var file = new Option<string?>("--store") { Description = "Where to write the store (default: a temporary file, deleted afterwards); an existing one is measured as it is" };
        var command = new Command("report", "Benchmark reports over a store of about a million outcome rows, against a raw count(*)") { journeys, events, rows, file };
        command.SetAction(parse => Run(parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(rows), parse.GetValue(file), Console.Out, Console.Error));
        return command;
    }

    public static int Run(string folder, string eventsFile, int rows, string? storeFile, TextWriter output, TextWriter errors)
    {
        var loaded = CliSupport.Load(folder, errors);
        if (loaded.HasErrors)
            return CliSupport.InvalidJourneys;
        var catalog = new JourneyCatalog(loaded.Journeys);
        var path = storeFile ?? Path.Combine(Path.GetTempPath(), $"orchestrator-report-bench-{Guid.NewGuid():N}.db");
        if (File.Exists(path))
            return Measure(loaded.Journeys, path, output, keep: true);
        var sample = EventFile.Read(eventsFile, errors.WriteLine);
        var once = Simulator.RunAsync(catalog, sample, CliSupport.LoadSending(null)).GetAwaiter().GetResult();
        var copies = Math.Max(1, (int)Math.Ceiling(rows * 1.01 / Math.Max(1, once.Outcomes.Count)));
        // "r" keeps these customers apart from the worker benchmark's copies, which may run on this store.
        var workload = BenchWorkload.Copies(sample, copies, tag: "r");
        var seeding = Stopwatch.StartNew();
        var result = Simulator.RunAsync(catalog, workload, CliSupport.LoadSending(null)).GetAwaiter().GetResult();

        var storage = JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={path}" }, TimeProvider.System);
        storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        Seed(path, workload, result);
        seeding.Stop();
        output.WriteLine($"store: {result.Outcomes.Count:N0} outcome rows, {workload.Count:N0} events, {result.Feedback.Count:N0} answers for {copies:N0} copies of the sample customers ({seeding.Elapsed.TotalSeconds:N0} s to simulate and write)");
        return Measure(loaded.Journeys, path, output, keep: storeFile is not null);
    }

    private static int Measure(IReadOnlyList<JourneyDefinition> journeys, string path, TextWriter output, bool keep)
    {
        var storage = JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={path}" }, TimeProvider.System);
        var options = CliSupport.LoadAnalysis(null);
        var now = DateTimeOffset.UtcNow;
        TimeSpan Best(Action action)
        {
            action(); // warm-up: JIT, page cache
            return Enumerable.Range(0, 3).Select(_ => { var w = Stopwatch.StartNew(); action(); return w.Elapsed; }).Min();
        }
        var count = 0L;
        var raw = Best(() =>
        {
            using var connection = new SqliteConnection($"Data Source={path}");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM outcomes";
            count = (long)command.ExecuteScalar()!;
        });
        var all = Best(() =>
        {
            foreach (var journey in journeys)
                JourneyReportBuilder.BuildAsync(journey, storage.Analysis, new ReportFilter(now), options, CancellationToken.None).GetAwaiter().GetResult();
        });
        var perJourney = journeys.ToDictionary(j => j, j => Scalar(path, "SELECT count(*) FROM outcomes WHERE journey_id = $j", j.Id));
        var largest = perJourney.MaxBy(p => p.Value).Key;
        var largestRows = perJourney[largest];
        var one = Best(() => JourneyReportBuilder.BuildAsync(largest, storage.Analysis, new ReportFilter(now), options, CancellationToken.None).GetAwaiter().GetResult());

        var readOnly = Best(() =>
        {
            var n = 0;
            var rows = storage.Analysis.ReadJourneyOutcomesAsync(largest.Id, CancellationToken.None).GetAsyncEnumerator();
            while (rows.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                n++;
        });
        var shared = Best(() =>
        {
            storage.Analysis.ReadConversionsAsync(CancellationToken.None).GetAwaiter().GetResult();
            storage.Analysis.ReadFeedbackAsync(largest.Id, CancellationToken.None).GetAwaiter().GetResult();
            foreach (var type in GuardrailTypes)
                storage.Analysis.ReadEventsOfTypeAsync(type, CancellationToken.None).GetAwaiter().GetResult();
        });
        output.WriteLine($"  of which reading {largest.Id}'s outcome rows: {readOnly.TotalMilliseconds:N0} ms; conversions, feedback and events: {shared.TotalMilliseconds:N0} ms");
        output.WriteLine($"raw SQLite: SELECT count(*) FROM outcomes ({count:N0} rows): {raw.TotalMilliseconds:N0} ms (best of 3)");
        output.WriteLine($"report of every journey ({journeys.Count}, all {count:N0} rows): {all.TotalMilliseconds:N0} ms, {all / raw:N1} x the raw count");
        output.WriteLine($"report of {largest.Id} ({largestRows:N0} rows): {one.TotalMilliseconds:N0} ms, {one / raw:N1} x the raw count");
        SqliteConnection.ClearAllPools();
        if (!keep)
        {
            foreach (var leftover in new[] { path, path + "-wal", path + "-shm" })
                File.Delete(leftover);
        }
        return CliSupport.Ok;
    }

    private static long Scalar(string path, string sql, string value)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$j", value);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The simulation's rows written straight into the worker's tables in one transaction: seeding, not what is measured.</summary>
    private static void Seed(string path, List<Contracts.CustomerEvent> events, SimulationResult result)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = OFF;";
            pragma.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction();
        static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO outcomes (at, journey_id, version, step_id, variant, customer_id, instance_id, kind, detail_json, send_key, revision, seq, recorded_at)
                VALUES ($at, $journey, $version, $step, $variant, $customer, $instance, $kind, $detail, NULL, 1, $seq, $at);
                """;
            var p = OutcomeParameters.ToDictionary(n => n, n => insert.Parameters.Add(n, SqliteType.Text));
            insert.Prepare();
            var seq = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var o in result.Outcomes)
            {
                p["$at"].Value = T(o.At);
                p["$journey"].Value = o.JourneyId;
                p["$version"].Value = o.Version;
                p["$step"].Value = (object?)o.StepId ?? DBNull.Value;
                p["$variant"].Value = (object?)o.Variant ?? DBNull.Value;
                p["$customer"].Value = o.CustomerId;
                p["$instance"].Value = o.InstanceId;
                p["$kind"].Value = o.Kind;
                p["$detail"].Value = o.Detail is null ? DBNull.Value : JsonSerializer.Serialize(o.Detail);
                seq[o.CustomerId] = seq.GetValueOrDefault(o.CustomerId) + 1;
                p["$seq"].Value = seq[o.CustomerId];
                insert.ExecuteNonQuery();
            }
        }
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT OR IGNORE INTO events (event_id, customer_id, event_type, occurred_at, received_at, properties_json, customer_json)
                VALUES ($id, $customer, $type, $at, $at, $properties, NULL);
                """;
            var p = EventParameters.ToDictionary(n => n, n => insert.Parameters.Add(n, SqliteType.Text));
            insert.Prepare();
            foreach (var e in events)
            {
                p["$id"].Value = e.EventId;
                p["$customer"].Value = e.CustomerId;
                p["$type"].Value = e.Type;
                p["$at"].Value = T(e.OccurredAt);
                p["$properties"].Value = e.Properties is { } props ? props.GetRawText() : DBNull.Value;
                insert.ExecuteNonQuery();
            }
        }
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO feedback (event_id, customer_id, at, metric, score, level, attributed, journey_id, version, step_id, instance_id, send_key, comment, recorded_at)
                VALUES ($id, $customer, $at, $metric, $score, $level, $attributed, $journey, $version, $step, $instance, $send, $comment, $at);
                """;
            foreach (var a in result.Feedback)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$id", a.EventId);
                insert.Parameters.AddWithValue("$customer", a.CustomerId);
                insert.Parameters.AddWithValue("$at", T(a.At));
                insert.Parameters.AddWithValue("$metric", a.Metric);
                insert.Parameters.AddWithValue("$score", a.Score);
                insert.Parameters.AddWithValue("$level", a.Level.ToStored());
                insert.Parameters.AddWithValue("$attributed", a.Attributed ? 1 : 0);
                insert.Parameters.AddWithValue("$journey", (object?)a.JourneyId ?? DBNull.Value);
                insert.Parameters.AddWithValue("$version", (object?)a.Version ?? DBNull.Value);
                insert.Parameters.AddWithValue("$step", (object?)a.StepId ?? DBNull.Value);
                insert.Parameters.AddWithValue("$instance", (object?)a.InstanceId ?? DBNull.Value);
                insert.Parameters.AddWithValue("$send", (object?)a.SendKey ?? DBNull.Value);
                insert.Parameters.AddWithValue("$comment", (object?)a.Comment ?? DBNull.Value);
                insert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }
}
