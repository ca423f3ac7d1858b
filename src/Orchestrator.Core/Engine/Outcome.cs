namespace Orchestrator.Core.Engine;

/// <summary>
/// One recorded fact about a step of an instance: the unit of journey analysis (one row per outcome).
/// <see cref="At"/> is the journey's logical time (the event's <c>occurredAt</c> or the timer's due time).
/// </summary>
public sealed record Outcome(
    DateTimeOffset At,
    string JourneyId,
    string Version,
    string CustomerId,
    string InstanceId,
    string? StepId,
    string Kind,
    string? Variant,
    IReadOnlyDictionary<string, object?>? Detail);
