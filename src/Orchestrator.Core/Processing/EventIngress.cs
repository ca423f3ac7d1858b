using Microsoft.Extensions.Logging;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Processing;

public enum IngestStatus
{
    Processed,
    Duplicate,
    Rejected,

    /// <summary>Not taken: the database cannot record now (<see cref="IngestResult.Message"/> says why); send it again later.</summary>
    Unavailable,
}

/// <summary>What happened to one event; <see cref="Message"/> explains a rejection or warns about an unused type.</summary>
public sealed record IngestResult(string EventId, IngestStatus Status, string? Message, int Outcomes, int Sends);

/// <summary>
/// Every way in (AMQP consumer, HTTP endpoint, demo replay) hands events here: validate, decide and commit through
/// <see cref="GroupCommit"/> (with whatever else is being decided at the same moment), which wakes the sender. A
/// rejected event changes nothing.
/// </summary>
public sealed partial class EventIngress(GroupCommit commits, IJourneyCatalogSource journeys, ILogger<EventIngress> logger,
    TimeProvider time, IntakeOptions intake, EventLimits? limits = null)
{
    /// <summary>The sizes this worker allows (<see cref="EventLimits.SectionName"/>): the ways in read events with them.</summary>
    public EventLimits Limits { get; } = limits ?? EventLimits.Default;

    private static readonly HashSet<string> Reserved = [ReservedEvents.Unsubscribed, ReservedEvents.Resubscribed, ReservedEvents.Bounced, Analysis.FeedbackEvent.Type];

    // Backends publish many types no journey uses (page views): one warning per type and process, not one per event.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _unusedTypesWarned = new(StringComparer.Ordinal);

    /// <summary>One event; throws <see cref="Ports.StoreUnavailableException"/> when the database cannot record it now.</summary>
    public async Task<IngestResult> IngestAsync(CustomerEvent evt, CancellationToken cancellationToken)
    {
        var result = (await IngestManyAsync([evt], cancellationToken).ConfigureAwait(false))[0];
        if (result.Status == IngestStatus.Unavailable)
            throw new Ports.StoreUnavailableException(result.Message!);
        return result;
    }

    /// <summary>
    /// Waits until <paramref name="evt"/>'s time when it is dated ahead of the worker's clock but within the skew (a
    /// publisher's clock running fast), so that it is decided at its own time and no timer runs early. For AMQP, where
    /// the broker keeps the message meanwhile and its partition's order holds; HTTP cannot keep its caller waiting, and
    /// the engine decides such an event at the worker's time. An event further ahead returns at once: it is rejected.
    /// </summary>
    public async Task WaitUntilItsTimeAsync(CustomerEvent evt, CancellationToken cancellationToken)
    {
        var ahead = evt.OccurredAt - time.GetUtcNow();
        if (ahead > intake.MaxClockSkewSpan)
            return;
        // Timers and the wall clock tick apart: a delay can end a millisecond before the clock reaches the event's time,
        // and the engine would then decide it at that earlier moment. So wait until the clock itself says so.
        while (ahead > TimeSpan.Zero)
        {
            await Task.Delay(ahead + TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
            ahead = evt.OccurredAt - time.GetUtcNow();
        }
    }

    /// <summary>
    /// Events in their order, decided in one commit when they can be: one result each, in the same order. An event the
    /// database could not record is <see cref="IngestStatus.Unavailable"/>; one that failed otherwise throws, as alone.
    /// </summary>
    public async Task<IReadOnlyList<IngestResult>> IngestManyAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var results = new IngestResult?[events.Count];
        var taken = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if ((Validate(events[i], Limits) ?? intake.FutureProblem(events[i].OccurredAt, now)) is { } problem)
            {
                LogRejected(logger, events[i].EventId, problem);
                results[i] = new IngestResult(events[i].EventId, IngestStatus.Rejected, problem, 0, 0);
            }
            else
            {
                taken.Add(i);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        var decided = await commits.SubmitAsync(taken.Select(i => Work.Of(events[i])).ToList()).ConfigureAwait(false);
        Exception? failure = null;
        for (var k = 0; k < taken.Count; k++)
        {
            var evt = events[taken[k]];
            var (decision, error) = decided[k];
            if (error is Ports.StoreUnavailableException unavailable)
                results[taken[k]] = new IngestResult(evt.EventId, IngestStatus.Unavailable, unavailable.Message, 0, 0);
            else if (error is not null)
                failure ??= error;
            else
            {
                results[taken[k]] = Described(evt, decision);
            }
        }
        foreach (var result in results)
        {
            if (result is not null)
                OrchestratorMetrics.Event(result.Status);
        }
        // As an event decided alone: its failure is the caller's (a retry on AMQP; an error answer on HTTP).
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return results!;
    }

    private IngestResult Described(CustomerEvent evt, Decision? decision)
    {
        if (decision is null)
            return new IngestResult(evt.EventId, IngestStatus.Duplicate, "already processed (same eventId)", 0, 0);
        string? warning = null;
        if (!Reserved.Contains(evt.Type) && !journeys.Current.Uses(evt.Type))
        {
            warning = evt.Customer is null
                ? $"no journey uses event type '{evt.Type}'; it was recorded and changed nothing"
                : $"no journey uses event type '{evt.Type}'; it was recorded, its customer fields updated the profile, nothing else changed";
            if (_unusedTypesWarned.TryAdd(evt.Type, 0))
                LogUnusedType(logger, evt.Type, evt.EventId);
            else
                LogUnusedTypeAgain(logger, evt.Type, evt.EventId);
        }
        return new IngestResult(evt.EventId, IngestStatus.Processed, warning, decision.Outcomes.Count, decision.Sends.Count);
    }

    /// <summary>
    /// The rules on an event's content, in one place: <see cref="EventJson"/> applies them to every event it reads (HTTP,
    /// AMQP, the simulator's files), and <see cref="IngestAsync"/> to events built inside the process (the unsubscribe link).
    /// </summary>
    /// <param name="limits">The sizes allowed; null: <see cref="EventLimits.Default"/>.</param>
    public static string? Validate(CustomerEvent evt, EventLimits? limits = null)
    {
        var missing = new[] { ("eventId", evt.EventId), ("customerId", evt.CustomerId), ("type", evt.Type) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
        // A typed event cannot tell a missing time from the zero date: both are refused.
        if (evt.OccurredAt == default)
            missing.Add("occurredAt (or the zero date 0001-01-01)");
        if (missing.Count > 0)
            return $"missing required field(s) {string.Join(", ", missing)}";
        // Ids and types go into log lines, headers and page titles: a newline in one would forge a log line.
        foreach (var (name, value) in new[] { ("eventId", evt.EventId), ("customerId", evt.CustomerId), ("type", evt.Type) })
        {
            if (value.Where(char.IsControl).Select(c => (char?)c).FirstOrDefault() is { } control)
                return $"{name} holds a control character (U+{(int)control:X4}); ids and types are one line of printable text";
        }
        if (evt.Properties is { } p && p.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Undefined or System.Text.Json.JsonValueKind.Null))
            return "properties must be a JSON object";
        return (limits ?? EventLimits.Default).Problem(evt) ?? Analysis.FeedbackEvent.Validate(evt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No journey uses event type {Type} (event {EventId}); recorded, no journey changed. Further events of this type are logged at Debug level")]
    private static partial void LogUnusedType(ILogger logger, string type, string eventId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No journey uses event type {Type} (event {EventId}); recorded, no journey changed")]
    private static partial void LogUnusedTypeAgain(ILogger logger, string type, string eventId);
}
