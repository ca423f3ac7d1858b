using System.Collections.Concurrent;
using System.Diagnostics;
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
    public async Task<Decision?> ProcessEventAsync(CustomerEvent evt, CancellationToken cancellationToken) =>
        (await ProcessAsync(Work.Of(evt), cancellationToken).ConfigureAwait(false)).Decision;

    /// <summary>Runs the customer's due timers; a wakeup that finds nothing due (stale or repeated) decides nothing.</summary>
    public async Task<Decision?> ProcessDueAsync(string customerId, CancellationToken cancellationToken) =>
        (await ProcessAsync(Work.Due(customerId), cancellationToken).ConfigureAwait(false)).Decision;

    /// <summary>
    /// Decides every piece of work in order and commits them all in one transaction (group commit). When the batch
    /// fails as a whole, each piece is tried again alone, so that one poison event never takes good ones down with it;
    /// a piece that fails alone too has its exception in its result. Throws only when cancelled.
    /// </summary>
    public async Task<IReadOnlyList<WorkResult>> ProcessBatchAsync(IReadOnlyList<Work> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (work.Count == 0)
            return [];
        if (work.Count == 1)
            return [await TryAloneAsync(work[0], cancellationToken).ConfigureAwait(false)];
        var decisions = new Decision?[work.Count];
        try
        {
            await using (var batch = await store.BeginBatchAsync(work.Select(w => w.CustomerId).ToList(), cancellationToken).ConfigureAwait(false))
            {
                for (var i = 0; i < work.Count; i++)
                {
                    await using var unit = await batch.BeginAsync(work[i].CustomerId, cancellationToken).ConfigureAwait(false);
                    decisions[i] = await DecideAsync(unit, work[i], commitsToDisk: false, cancellationToken).ConfigureAwait(false);
                }
                var committing = Stopwatch.GetTimestamp();
                await batch.CommitAsync(cancellationToken).ConfigureAwait(false);
                OrchestratorMetrics.Committed(Stopwatch.GetElapsedTime(committing));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The database itself failed: trying each alone would fail the same way, each after its own timeout.
            if (ex is StoreUnavailableException)
                return work.Select(_ => new WorkResult(null, ex)).ToList();
            LogBatchFailed(logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<EventProcessor>.Instance, ex, work.Count);
            var alone = new List<WorkResult>(work.Count);
            foreach (var piece in work)
                alone.Add(await TryAloneAsync(piece, cancellationToken).ConfigureAwait(false));
            return alone;
        }
        OrchestratorMetrics.CommitBatch(work.Count);
        for (var i = 0; i < work.Count; i++)
            Decided(work[i], decisions[i]);
        return decisions.Select(d => new WorkResult(d, null)).ToList();
    }

    private async Task<WorkResult> TryAloneAsync(Work work, CancellationToken cancellationToken)
    {
        try
        {
            return await ProcessAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new WorkResult(null, ex);
        }
    }

    private async Task<WorkResult> ProcessAsync(Work work, CancellationToken cancellationToken)
    {
        Decision? decision;
        await using (var unit = await store.BeginAsync(work.CustomerId, cancellationToken).ConfigureAwait(false))
            decision = await DecideAsync(unit, work, commitsToDisk: true, cancellationToken).ConfigureAwait(false);
        OrchestratorMetrics.CommitBatch(1);
        Decided(work, decision);
        return new WorkResult(decision, null);
    }

    /// <summary>
    /// One piece of work in its unit: deduplicate the event, load the customer, decide, save and commit the unit. Null
    /// (and nothing written) when the event was processed before or the customer has nothing that could be due.
    /// <paramref name="commitsToDisk"/>: the unit is alone, so its commit is the database's (a batch's unit only closes).
    /// </summary>
    private async Task<Decision?> DecideAsync(IJourneyUnitOfWork unit, Work work, bool commitsToDisk, CancellationToken cancellationToken)
    {
        Decision decision;
        if (work.Event is { } evt)
        {
            if (!await unit.TryAddToInboxAsync(evt, cancellationToken).ConfigureAwait(false))
                return null;
            var state = await unit.LoadCustomerAsync(cancellationToken).ConfigureAwait(false) ?? CustomerState.New(evt.CustomerId);
            state.SuppressedAddresses = await unit.SuppressedAmongAsync(AddressSuppression.Candidates(state.Profile.Email, evt.Customer?.Email), cancellationToken).ConfigureAwait(false);
            decision = engine.HandleEvent(catalog(), state, evt);
            if (evt.Type == FeedbackEvent.Type)
                decision = decision with { Feedback = await FeedbackAttribution.AttributeAsync(evt, state, decision.Sends, unit, _analysis, cancellationToken).ConfigureAwait(false) };
        }
        else
        {
            if (await unit.LoadCustomerAsync(cancellationToken).ConfigureAwait(false) is not { } state)
                return null;
            state.SuppressedAddresses = await unit.SuppressedAmongAsync(AddressSuppression.Candidates(state.Profile.Email), cancellationToken).ConfigureAwait(false);
            decision = engine.HandleDue(catalog(), state, work.DueBy);
        }
        await unit.SaveAsync(decision, cancellationToken).ConfigureAwait(false);
        var committing = Stopwatch.GetTimestamp();
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (commitsToDisk)
            OrchestratorMetrics.Committed(Stopwatch.GetElapsedTime(committing));
        return decision;
    }

    // After the commit: what was decided is durable.
    private void Decided(Work work, Decision? decision)
    {
        if (decision is null)
            return;
        OrchestratorMetrics.Decision(work.Event is null ? "timer" : "event");
        WarnAboutUnknownZones(decision);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} events and timers failed as a whole; each is decided alone now")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Time zone {TimeZone} (customer {CustomerId}) is not an IANA zone name such as Europe/Amsterdam; its customers' local times use the journey's time_zone or UTC, and outcomes show zoneFallback. Logged once per zone name")]
    private static partial void LogUnknownZone(ILogger logger, string timeZone, string customerId);
}

/// <summary>
/// One piece of work for the engine: an event, or (without one) the customer's timers due by <see cref="DueBy"/> (null:
/// by the clock's now; earlier while event intake is behind, see <see cref="IntakeProgress"/>).
/// </summary>
public sealed record Work(string CustomerId, CustomerEvent? Event, DateTimeOffset? DueBy = null)
{
    public static Work Of(CustomerEvent evt) => new(evt.CustomerId, evt);

    public static Work Due(string customerId, DateTimeOffset? dueBy = null) => new(customerId, null, dueBy);
}

/// <summary>What one piece of work came to: its committed decision (null: a repeated event, or nothing was due), or why it failed.</summary>
public readonly record struct WorkResult(Decision? Decision, Exception? Failure);
