using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Engine;

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
    /// <summary>
    /// The sender: the template's <c>from</c>, else <see cref="SendingOptions.DefaultFrom"/>, filled in by the engine,
    /// the one place that default is applied. Null only in a row queued without one, which the senders refuse.
    /// </summary>
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
