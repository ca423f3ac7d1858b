using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Simulation;

/// <summary>What a simulation decided: outcomes in the contract's order (time, then customer) and every rendered email.</summary>
public sealed record SimulationResult(IReadOnlyList<Outcome> Outcomes, IReadOnlyList<EmailToSend> Sends, int DuplicateEvents);

/// <summary>
/// Replays events through the same <see cref="EventProcessor"/> and engine the worker uses, on a virtual clock and
/// an in-memory store. Emails are rendered but not sent: each counts as <c>sent</c> at its decision time.
/// </summary>
public static class Simulator
{
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromDays(30);

    public static async Task<SimulationResult> RunAsync(JourneyCatalog catalog, IReadOnlyList<CustomerEvent> events, SendingOptions sending, DateTimeOffset? until = null)
    {
        // Stable for ties: OrderBy keeps the file order of events with the same occurredAt.
        var ordered = events.OrderBy(e => e.OccurredAt.UtcTicks).ToList();
        var end = until ?? (ordered.Count == 0 ? DateTimeOffset.UnixEpoch : ordered[^1].OccurredAt + DefaultHorizon);
        var clock = new VirtualClock(ordered.Count == 0 ? end : ordered[0].OccurredAt);
        using var store = new InMemoryJourneyStore();
        var processor = new EventProcessor(new JourneyEngine(sending, clock), store, () => catalog);
        var collected = new List<Outcome>();
        var sends = new List<EmailToSend>();
        var duplicates = 0;

        foreach (var evt in ordered.Where(e => e.OccurredAt <= end))
        {
            clock.MoveTo(evt.OccurredAt);
            if (await processor.ProcessEventAsync(evt, CancellationToken.None).ConfigureAwait(false) is { } decision)
                Collect(decision, collected, sends);
            else
                duplicates++;
        }
        clock.MoveTo(end);
        foreach (var customer in store.Customers.Where(c => c.NextWakeup is not null).Select(c => c.CustomerId).Order(StringComparer.Ordinal).ToList())
        {
            if (await processor.ProcessDueAsync(customer, CancellationToken.None).ConfigureAwait(false) is { } decision)
                Collect(decision, collected, sends);
        }
        var outcomes = collected
            .Select((o, i) => (o, i))
            .OrderBy(p => p.o.At.UtcTicks).ThenBy(p => p.o.CustomerId, StringComparer.Ordinal).ThenBy(p => p.i)
            .Select(p => p.o)
            .ToList();
        return new SimulationResult(outcomes, sends, duplicates);
    }

    /// <summary>The decision's outcomes with each send's <c>sent</c> placed where the engine decided it.</summary>
    private static void Collect(Decision decision, List<Outcome> outcomes, List<EmailToSend> sends)
    {
        var sendIndex = 0;
        for (var i = 0; i <= decision.Outcomes.Count; i++)
        {
            while (sendIndex < decision.Sends.Count && decision.Sends[sendIndex].OutcomeIndex == i)
            {
                outcomes.Add(decision.Sends[sendIndex].SentOutcome());
                sends.Add(decision.Sends[sendIndex]);
                sendIndex++;
            }
            if (i < decision.Outcomes.Count)
                outcomes.Add(decision.Outcomes[i]);
        }
    }
}
