using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Storage.Tests;

/// <summary>The sample journeys and events, and a replay through the real engine onto a database store.</summary>
internal static class EngineReplay
{
    public static readonly SendingOptions Sending = new()
    {
        DefaultFrom = "Larkspur <hello@larkspur.example>",
        FrequencyCap = new FrequencyCapOptions { Count = 3, Period = "1d" },
    };

    private static readonly DateTimeOffset FarFuture = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static JourneyCatalog LoadJourneys()
    {
        var loaded = JourneyLoader.LoadFolder(RepoPaths.Journeys);
        Assert.False(loaded.HasErrors, string.Join(Environment.NewLine, loaded.Errors.Select(e => e.ToString())));
        return new JourneyCatalog(loaded.Journeys);
    }

    public static List<CustomerEvent> LoadSampleEvents()
    {
        var events = new List<CustomerEvent>();
        foreach (var line in File.ReadLines(RepoPaths.SampleEvents).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            if (EventJson.TryParse(line, out var evt, out _))
                events.Add(evt!);
        }
        Assert.NotEmpty(events);
        return events;
    }

    /// <summary>
    /// What the simulator does, with the database in place of memory: events in time order through the
    /// <see cref="EventProcessor"/>, then the due wakeups the wakeup store hands out at the end, then every queued send
    /// claimed from the outbox and marked sent (the simulator counts each email as sent at its decision time).
    /// </summary>
    public static async Task<int> RunAsync(JourneyStorage storage, JourneyCatalog catalog, IReadOnlyList<CustomerEvent> events)
    {
        var ordered = events.OrderBy(e => e.OccurredAt.UtcTicks).ToList();
        var end = ordered[^1].OccurredAt + Simulator.DefaultHorizon;
        var clock = new VirtualClock(ordered[0].OccurredAt);
        var processor = new EventProcessor(new JourneyEngine(Sending, clock), storage.Store, () => catalog);
        var duplicates = 0;
        foreach (var evt in ordered)
        {
            clock.MoveTo(evt.OccurredAt);
            if (await processor.ProcessEventAsync(evt, CancellationToken.None) is null)
                duplicates++;
        }
        clock.MoveTo(end);
        var due = await storage.Wakeups.ClaimDueAsync(end, 100_000, TimeSpan.FromMinutes(5), CancellationToken.None);
        foreach (var customer in due)
            await processor.ProcessDueAsync(customer, CancellationToken.None);
        Assert.Empty(await storage.Wakeups.ClaimDueAsync(end, 100_000, TimeSpan.FromMinutes(5), CancellationToken.None));
        foreach (var (email, _) in await storage.Outbox.ClaimAsync("replay", FarFuture, 100_000, CancellationToken.None))
            await storage.Outbox.MarkSentAsync(email, end, CancellationToken.None);
        return duplicates;
    }
}
