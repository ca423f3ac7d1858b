using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Simulation;

/// <summary>What a simulation decided: outcomes in the contract's order (time, then customer) and every rendered email.</summary>
public sealed record SimulationResult(IReadOnlyList<Outcome> Outcomes, IReadOnlyList<EmailToSend> Sends, int DuplicateEvents)
{
    /// <summary>Survey answers with what each was attributed to, in decision order.</summary>
    public IReadOnlyList<FeedbackAnswer> Feedback { get; init; } = [];
}

/// <summary>
/// Replays events through the same <see cref="EventProcessor"/> and engine the worker uses, on a virtual clock and
/// an in-memory store. Emails are rendered but not sent: each counts as <c>sent</c> at its decision time.
/// </summary>
public static class Simulator
{
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromDays(30);

    /// <param name="target">
    /// Where the run is also written, with the worker's schema (<c>simulate --store</c>): the store and outbox are made
    /// on the simulation's clock, and every decided send is marked sent at its decision time, as the simulator counts it.
    /// </param>
    public static async Task<SimulationResult> RunAsync(JourneyCatalog catalog, IReadOnlyList<CustomerEvent> events, SendingOptions sending, DateTimeOffset? until = null,
        Func<TimeProvider, (IJourneyStore Store, IOutbox Outbox)>? target = null, AnalysisOptions? analysis = null)
    {
        // Stable for ties: OrderBy keeps the file order of events with the same occurredAt.
        var ordered = events.OrderBy(e => e.OccurredAt.UtcTicks).ToList();
        var end = until ?? (ordered.Count == 0 ? DateTimeOffset.UnixEpoch : ordered[^1].OccurredAt + DefaultHorizon);
        var clock = new VirtualClock(ordered.Count == 0 ? end : ordered[0].OccurredAt);
        using var memory = new InMemoryJourneyStore();
        var written = target?.Invoke(clock);
        var processor = new EventProcessor(new JourneyEngine(sending, clock), written?.Store ?? memory, () => catalog, analysis);
        var collected = new List<Outcome>();
        var sends = new List<EmailToSend>();
        var duplicates = 0;
        var wakeups = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

        var feedback = new List<FeedbackAnswer>();
        async Task Decided(Decision decision)
        {
            Collect(decision, collected, sends);
            if (decision.Feedback is { } answer)
                feedback.Add(answer);
            if (decision.State.NextWakeup is { } next)
                wakeups[decision.State.CustomerId] = next;
            else
                wakeups.Remove(decision.State.CustomerId);
            if (written is { Outbox: var outbox } && decision.Sends.Count > 0)
            {
                foreach (var (email, _) in await outbox.ClaimAsync("simulator", clock.GetUtcNow(), int.MaxValue, CancellationToken.None).ConfigureAwait(false))
                    await outbox.MarkSentAsync(email, email.At, CancellationToken.None).ConfigureAwait(false);
            }
        }

        foreach (var evt in ordered.Where(e => e.OccurredAt <= end))
        {
            clock.MoveTo(evt.OccurredAt);
            if (await processor.ProcessEventAsync(evt, CancellationToken.None).ConfigureAwait(false) is { } decision)
                await Decided(decision).ConfigureAwait(false);
            else
                duplicates++;
        }
        clock.MoveTo(end);
        foreach (var customer in wakeups.Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (await processor.ProcessDueAsync(customer, CancellationToken.None).ConfigureAwait(false) is { } decision)
                await Decided(decision).ConfigureAwait(false);
        }
        var outcomes = collected
            .Select((o, i) => (o, i))
            .OrderBy(p => p.o.At.UtcTicks).ThenBy(p => p.o.CustomerId, StringComparer.Ordinal).ThenBy(p => p.i)
            .Select(p => p.o)
            .ToList();
        return new SimulationResult(outcomes, sends, duplicates) { Feedback = feedback };
    }

    /// <summary>The decision's outcomes with each send's <c>sent</c> placed where the engine decided it (<see cref="RecordingOrder"/>).</summary>
    private static void Collect(Decision decision, List<Outcome> outcomes, List<EmailToSend> sends)
    {
        foreach (var (outcome, send) in decision.InRecordingOrder())
        {
            outcomes.Add(outcome ?? send!.SentOutcome());
            if (send is not null)
                sends.Add(send);
        }
    }
}
