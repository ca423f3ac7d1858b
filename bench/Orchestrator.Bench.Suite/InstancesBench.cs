using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Bench.Suite;

/// <summary>The worker's cost of an event on a store that holds <see cref="Active"/> active instances.</summary>
internal sealed record InstancesResult(int Active, int Events, long ActiveAfter, double EventsPerSecond, double CpuPerEventMicroseconds,
    long RssAfter, long PeakRss, long DatabaseBytes);

/// <summary>
/// Per-event cost as the store grows: the store seeded with K customers each in a month-long wait, the worker started
/// on it, and the same number of new customers' events posted over HTTP in arrays of 500 (each enters and waits, the
/// ordinary write of a decision). Reported: events/s, the worker's CPU per event (which a busy neighbour disturbs far
/// less than wall time), its resident memory after and at its peak, and the database's size on disk.
/// </summary>
internal static class InstancesBench
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static async Task<InstancesResult> RunAsync(string root, int active, int events)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-instances").FullName;
        try
        {
            var database = Path.Combine(folder, "orchestrator.db");
            await Seeder.SeedAsync(database, Seeder.Events("bench.active", "a-", active, DateTimeOffset.UtcNow.AddMinutes(-5)));
            await using var worker = await WorkerHost.StartAsync(root, folder, database, smtpPort: null);
            var arrays = Seeder.Events("bench.active", "n-", events, DateTimeOffset.UtcNow)
                .Chunk(500).Select(chunk => JsonSerializer.Serialize(chunk, Json)).ToList();
            var cpuBefore = worker.Cpu;
            var clock = Stopwatch.StartNew();
            foreach (var body in arrays)
            {
                using var response = await worker.Http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));
                if ((int)response.StatusCode is not (200 or 207))
                    throw new InvalidOperationException($"POST /events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            clock.Stop();
            var cpu = worker.Cpu - cpuBefore;
            var (rss, peak) = worker.Rss();
            await worker.DisposeAsync();
            var activeAfter = SuiteSupport.Scalar(database, "SELECT COUNT(*) FROM instances WHERE journey_id = 'bench-active' AND ended_at IS NULL");
            SqliteConnection.ClearAllPools();
            return new InstancesResult(active, events, activeAfter, events / clock.Elapsed.TotalSeconds, cpu.TotalMilliseconds * 1000 / events,
                rss, peak, SuiteSupport.FileBytes(database));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }
}
