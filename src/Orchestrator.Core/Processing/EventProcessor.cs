using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Processing;

/// <summary>
/// The one way events and timers reach the engine, in the simulator and in the worker alike: deduplicate the
/// event, load the customer, decide, and save everything the decision holds in one unit of work.
/// </summary>
public sealed class EventProcessor(JourneyEngine engine, IJourneyStore store, Func<JourneyCatalog> catalog, AnalysisOptions? analysis = null)
{
    private readonly AnalysisOptions _analysis = analysis ?? new AnalysisOptions();

    /// <summary>The decision, or null when the event id was processed before.</summary>
    public async Task<Decision?> ProcessEventAsync(CustomerEvent evt, CancellationToken cancellationToken)
    {
        await using var unit = await store.BeginAsync(evt.CustomerId, cancellationToken).ConfigureAwait(false);
        if (!await unit.TryAddToInboxAsync(evt, cancellationToken).ConfigureAwait(false))
            return null;
        var state = await unit.LoadCustomerAsync(cancellationToken).ConfigureAwait(false) ?? CustomerState.New(evt.CustomerId);
        state.SuppressedAddresses = await unit.SuppressedAmongAsync(AddressSuppression.Candidates(state.Profile.Email, evt.Customer?.Email), cancellationToken).ConfigureAwait(false);
        var decision = engine.HandleEvent(catalog(), state, evt);
        if (evt.Type == FeedbackEvent.Type)
            decision = decision with { Feedback = await FeedbackAttribution.AttributeAsync(evt, state, decision.Sends, unit, _analysis, cancellationToken).ConfigureAwait(false) };
        await unit.SaveAsync(decision, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        OrchestratorMetrics.Decision("event");
        return decision;
    }

    /// <summary>Runs the customer's due timers; a wakeup that finds nothing due (stale or repeated) decides nothing.</summary>
    public async Task<Decision?> ProcessDueAsync(string customerId, CancellationToken cancellationToken)
    {
        await using var unit = await store.BeginAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (await unit.LoadCustomerAsync(cancellationToken).ConfigureAwait(false) is not { } state)
            return null;
        state.SuppressedAddresses = await unit.SuppressedAmongAsync(AddressSuppression.Candidates(state.Profile.Email), cancellationToken).ConfigureAwait(false);
        var decision = engine.HandleDue(catalog(), state);
        await unit.SaveAsync(decision, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        OrchestratorMetrics.Decision("timer");
        return decision;
    }
}
