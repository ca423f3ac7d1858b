namespace Orchestrator.Core.Analysis;

/// <summary>
/// One outcome row as the analysis reads it: the columns it needs, with the detail's <c>reason</c> (skipped,
/// suppressed, deferred, exited, completed) and <c>eventId</c> (converted) taken out by the query.
/// </summary>
public sealed record OutcomeFact(
    DateTimeOffset At,
    string CustomerId,
    string InstanceId,
    string Version,
    string? StepId,
    string Kind,
    string? Variant,
    string? Reason,
    string? EventId);

/// <summary>A <c>converted</c> outcome of any journey, by its goal event (shared conversions).</summary>
public sealed record ConversionFact(string JourneyId, string InstanceId, string? EventId);

/// <summary>An accepted event from the event log, without its payload.</summary>
public sealed record LoggedEvent(string EventId, string CustomerId, string Type, DateTimeOffset OccurredAt);

/// <summary>An event from the event log with its payload, as it was accepted, and when it arrived.</summary>
public sealed record StoredEvent(Orchestrator.Contracts.CustomerEvent Event, DateTimeOffset ReceivedAt);
