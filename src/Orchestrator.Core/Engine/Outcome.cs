using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Engine;

/// <summary>The outcome vocabulary of journey-format.md, plus the worker's in-flight states.</summary>
public static class OutcomeKind
{
    public const string Entered = "entered";
    public const string Sent = "sent";
    public const string Skipped = "skipped";
    public const string Suppressed = "suppressed";
    public const string Deferred = "deferred";
    public const string Failed = "failed";
    public const string Waiting = "waiting";
    public const string Resumed = "resumed";
    public const string Branched = "branched";
    public const string Assigned = "assigned";
    public const string Converted = "converted";
    public const string Exited = "exited";
    public const string Completed = "completed";

    /// <summary>Worker only: handed to SMTP, not yet confirmed.</summary>
    public const string Sending = "sending";

    /// <summary>Worker only: a crash happened while <see cref="Sending"/>; never silently repeated.</summary>
    public const string Unknown = "unknown";

    public static readonly IReadOnlyList<string> Spec =
        [Entered, Sent, Skipped, Suppressed, Deferred, Failed, Waiting, Resumed, Branched, Assigned, Converted, Exited, Completed];
}

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

/// <summary>An email the engine decided to send; the sender records <c>sent</c> or <c>failed</c> for it.</summary>
public sealed record EmailToSend
{
    /// <summary>Deterministic (journey version, instance, step, occurrence): the outcome's key and the Message-ID.</summary>
    public required string SendKey { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string JourneyId { get; init; }
    public required string Version { get; init; }
    public required string InstanceId { get; init; }
    public required string StepId { get; init; }
    public required string CustomerId { get; init; }
    public string? Variant { get; init; }
    public required string To { get; init; }
    public string? From { get; init; }
    public required string Subject { get; init; }
    public string? Preheader { get; init; }
    public required string Html { get; init; }
    public string? Text { get; init; }

    /// <summary>Where the <c>sent</c> outcome belongs among the decision's outcomes, so replays print in causal order.</summary>
    public int OutcomeIndex { get; init; }

    /// <summary>The journey's send window, judged again when the mail is handed to the mail server; null: none.</summary>
    public SendWindow? SendWindow { get; init; }

    /// <summary>The customer's zone (IANA id) the decision judged <see cref="SendWindow"/> in; null without a window.</summary>
    public string? TimeZone { get; init; }

    public Outcome SentOutcome(IReadOnlyDictionary<string, object?>? extra = null)
    {
        var detail = new Dictionary<string, object?>(StringComparer.Ordinal) { ["subject"] = Subject, ["to"] = To };
        foreach (var (k, v) in extra ?? new Dictionary<string, object?>())
            detail[k] = v;
        return new Outcome(At, JourneyId, Version, CustomerId, InstanceId, StepId, OutcomeKind.Sent, Variant, detail);
    }

    /// <summary>
    /// The send was due but the rules held it when it was to be handed to the mail server: a <c>deferred</c> outcome at
    /// that moment, marked <c>"at": "hand-off"</c> to tell it from the engine's deferrals.
    /// </summary>
    public Outcome DeferredAtHandOff(SendDeferral deferral, DateTimeOffset now)
    {
        var detail = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in deferral.Detail())
        {
            if (value is not null)
                detail[key] = value;
        }
        detail["at"] = HandOff;
        return new Outcome(now, JourneyId, Version, CustomerId, InstanceId, StepId, OutcomeKind.Deferred, Variant, detail);
    }

    /// <summary>The <c>at</c> of a <c>deferred</c> outcome recorded when the mail was to be handed to the mail server.</summary>
    public const string HandOff = "hand-off";
}

/// <summary>When an instance needs the engine again; firing it late or twice is harmless (the engine re-checks).</summary>
public sealed record Wakeup(string CustomerId, string InstanceId, DateTimeOffset DueAt);

/// <summary>What the engine decided for one event or one due timer of one customer.</summary>
public sealed record Decision(CustomerState State, IReadOnlyList<Outcome> Outcomes, IReadOnlyList<EmailToSend> Sends, IReadOnlyList<Wakeup> Wakeups)
{
    /// <summary>The survey answer the event carried, attributed; saved with the decision.</summary>
    public Analysis.FeedbackAnswer? Feedback { get; init; }

    /// <summary>Profile time zones this decision could not use (not an accepted IANA name), so it used the journey's zone
    /// or UTC instead; the engine has no logger, the processor warns about them.</summary>
    public IReadOnlyList<string> UnknownTimeZones { get; init; } = [];
}
