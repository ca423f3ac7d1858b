using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Storage;

namespace Orchestrator.Bench.Suite;

/// <summary>
/// Fills a worker's store before the worker starts, with the engine and the store the worker itself runs, in group
/// commits: the state the worker would hold had these events come in earlier. The engine's and the store's clock is the events' time,
/// so a customer who entered at <c>T - 1h</c> into a one-hour wait has a wakeup due at exactly <c>T</c>.
/// </summary>
internal static class Seeder
{
    private static readonly Lazy<JourneyCatalog> Catalog = new(() =>
    {
        var loaded = JourneyLoader.LoadFolder(WorkerHost.Journeys);
        if (loaded.HasErrors)
            throw new InvalidOperationException("the suite's journeys do not load: " + string.Join("; ", loaded.Diagnostics));
        return new JourneyCatalog(loaded.Journeys);
    });

    /// <summary>One event of <paramref name="type"/> for each of <paramref name="count"/> customers <c>{prefix}{i}</c>, all at <paramref name="at"/>.</summary>
    public static List<CustomerEvent> Events(string type, string prefix, int count, DateTimeOffset at) =>
        Enumerable.Range(0, count).Select(i => new CustomerEvent
        {
            EventId = $"{prefix}{i}-{type}",
            CustomerId = $"{prefix}{i}",
            Type = type,
            OccurredAt = at,
            Customer = new CustomerProfileUpdate { Email = $"{prefix}{i}@bench.example", FirstName = "Bench" },
        }).ToList();

    /// <summary>Decides every event into the store at <paramref name="database"/> (created and migrated if new); events per second.</summary>
    public static async Task<double> SeedAsync(string database, IReadOnlyList<CustomerEvent> events)
    {
        if (events.Count == 0)
            return 0;
        // The store's clock too: what it stamps (a send's first attempt, when a row was recorded) is of the events' time.
        var clock = new VirtualClock(events[0].OccurredAt);
        var storage = JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={database}" }, clock);
        await storage.MigrateAsync(CancellationToken.None);
        var processor = new EventProcessor(new JourneyEngine(new SendingOptions(), clock), storage.Store, () => Catalog.Value);
        var watch = Stopwatch.StartNew();
        foreach (var chunk in events.Chunk(GroupCommit.DefaultMaxItems))
        {
            clock.MoveTo(chunk[^1].OccurredAt);
            var results = await processor.ProcessBatchAsync(chunk.Select(Work.Of).ToList(), CancellationToken.None);
            if (results.FirstOrDefault(r => r.Failure is not null).Failure is { } failure)
                throw new InvalidOperationException("seeding the store failed", failure);
        }
        watch.Stop();
        SqliteConnection.ClearAllPools();
        return events.Count / watch.Elapsed.TotalSeconds;
    }
}
