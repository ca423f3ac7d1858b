using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
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
public sealed partial class EventProcessor(JourneyEngine engine, IJourneyStore store, Func<JourneyCatalog> catalog, AnalysisOptions? analysis = null,
    ILogger<EventProcessor>? logger = null)
{
    private readonly AnalysisOptions _analysis = analysis ?? new AnalysisOptions();

    // A publisher that sends a misspelt zone sends it for many customers: one warning per name and process, not per decision.
    private readonly ConcurrentDictionary<string, byte> _unknownZonesWarned = new(StringComparer.Ordinal);

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
        WarnAboutUnknownZones(decision);
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
        WarnAboutUnknownZones(decision);
        return decision;
    }

    private void WarnAboutUnknownZones(Decision decision)
    {
        if (logger is null)
            return;
        foreach (var zone in decision.UnknownTimeZones)
        {
            if (_unknownZonesWarned.TryAdd(zone, 0))
                LogUnknownZone(logger, zone, decision.State.CustomerId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Time zone {TimeZone} (customer {CustomerId}) is not an IANA zone name such as Europe/Amsterdam; its customers' local times use the journey's time_zone or UTC, and outcomes show zoneFallback. Logged once per zone name")]
    private static partial void LogUnknownZone(ILogger logger, string timeZone, string customerId);
}
