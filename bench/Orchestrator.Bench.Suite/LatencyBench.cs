using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Orchestrator.Contracts;

namespace Orchestrator.Bench.Suite;

/// <summary>Latency from posting an event to the SMTP server's acceptance of its mail, at one share of the measured capacity.</summary>
internal sealed record LatencyAtLoad(double ShareOfCapacity, double TargetPerSecond, double PostedPerSecond, int Events, long Sent, double P50, double P99, double Max);

/// <summary>The capacity it was read against and the latencies at each load.</summary>
internal sealed record LatencyResult(int CapacityEvents, double IntakePerSecond, double CapacityPerSecond, IReadOnlyList<LatencyAtLoad> Loads);

/// <summary>
/// Publish to SMTP acceptance. First the capacity: events that each send one mail at entry, posted over HTTP in arrays
/// of 500 as fast as one client goes, counted from the first post to the last <c>sent</c> (intake, decision, outbox and
/// SMTP together). Then, on the same worker, events posted at a steady 10% and 80% of that rate (a small array every
/// 100 ms) for a while; each event's latency is from just before its post to its mail's <c>sent</c> outcome, which the
/// worker records when the SMTP server has accepted the mail. Same machine, same clock.
/// </summary>
internal static class LatencyBench
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    public static async Task<LatencyResult> RunAsync(string root, SmtpSink sink, int capacityEvents, TimeSpan duration, IReadOnlyList<double> shares)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-latency").FullName;
        try
        {
            var database = Path.Combine(folder, "orchestrator.db");
            await using var worker = await WorkerHost.StartAsync(root, folder, database, sink.Port);

            var burst = Seeder.Events("bench.send", "cap-", capacityEvents, DateTimeOffset.UtcNow);
            var started = DateTimeOffset.UtcNow;
            foreach (var chunk in burst.Chunk(500))
                await PostAsync(worker, chunk);
            var intake = capacityEvents / (DateTimeOffset.UtcNow - started).TotalSeconds;
            await WaitSentAsync(worker, "cap-", capacityEvents);
            var capacity = capacityEvents / (SentTimes(database, "cap-").Values.Max() - started).TotalSeconds;

            var loads = new List<LatencyAtLoad>();
            foreach (var share in shares)
            {
                var prefix = string.Create(CultureInfo.InvariantCulture, $"l{share * 100:0}-");
                var target = share * capacity;
                var total = Math.Max(1, (int)(target * duration.TotalSeconds));
                var posted = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
                var clock = Stopwatch.StartNew();
                var next = 0;
                while (next < total)
                {
                    // As many as the target rate says by now: a late tick catches up instead of lowering the rate.
                    var due = Math.Min(total, (int)Math.Ceiling(target * clock.Elapsed.TotalSeconds));
                    if (due > next)
                    {
                        var now = DateTimeOffset.UtcNow;
                        var events = Enumerable.Range(next, due - next).Select(i => Event(prefix, i, now)).ToList();
                        foreach (var e in events)
                            posted[e.CustomerId] = now;
                        await PostAsync(worker, events);
                        next = due;
                    }
                    await Task.Delay(Tick);
                }
                var postedPerSecond = total / clock.Elapsed.TotalSeconds;
                await WaitSentAsync(worker, prefix, total);
                var sent = SentTimes(database, prefix);
                var latencies = sent.Select(s => (s.Value - posted[s.Key]).TotalSeconds).Order().ToList();
                loads.Add(new LatencyAtLoad(share, target, postedPerSecond, total, sent.Count,
                    SuiteSupport.Percentile(latencies, 50), SuiteSupport.Percentile(latencies, 99), latencies[^1]));
            }
            return new LatencyResult(capacityEvents, intake, capacity, loads);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }

    private static CustomerEvent Event(string prefix, int i, DateTimeOffset at) => new()
    {
        EventId = $"{prefix}{i}",
        CustomerId = $"{prefix}{i}",
        Type = "bench.send",
        OccurredAt = at,
        Customer = new CustomerProfileUpdate { Email = $"{prefix}{i}@bench.example", FirstName = "Bench" },
    };

    private static async Task PostAsync(WorkerHost worker, IReadOnlyList<CustomerEvent> events)
    {
        using var response = await worker.Http.PostAsync("/events", new StringContent(JsonSerializer.Serialize(events, Json), Encoding.UTF8, "application/json"));
        if ((int)response.StatusCode is not (200 or 207))
            throw new InvalidOperationException($"POST /events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static Task WaitSentAsync(WorkerHost worker, string prefix, int count) =>
        SuiteSupport.WaitUntilAsync(() => SentTimes(worker.Database, prefix).Count >= count, TimeSpan.FromSeconds(120 + count / 50.0),
            () => $"{SentTimes(worker.Database, prefix).Count:N0} of {count:N0} mails of {prefix}* sent", worker.Process);

    /// <summary>When each customer's mail was accepted by the SMTP server (its <c>sent</c> outcome), by customer.</summary>
    private static Dictionary<string, DateTimeOffset> SentTimes(string database, string prefix)
    {
        var times = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (!File.Exists(database))
            return times;
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT customer_id, recorded_at FROM outcomes WHERE journey_id = 'bench-send' AND kind = 'sent' AND customer_id LIKE $prefix || '%'";
        command.Parameters.AddWithValue("$prefix", prefix);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            times[reader.GetString(0)] = DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return times;
    }
}
