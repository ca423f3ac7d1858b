using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Engine;

/// <summary>
/// The sending rules that depend on the clock: the journey's send window in the customer's zone, then the frequency
/// cap. The engine judges them when it decides a send, and the outbox dispatcher judges them again when it hands the
/// mail to the mail server, because the two moments can be hours apart (a worker that was down, retries, late events).
/// </summary>
public static class SendRules
{
    public const string SendWindowReason = "send-window";
    public const string FrequencyCapReason = "frequency-cap";

    /// <summary>
    /// Null when a mail may go out at <paramref name="at"/>; otherwise the first rule that holds it and the moment that
    /// rule allows it. <paramref name="recentSends"/> are the customer's sends the cap counts; those after
    /// <paramref name="at"/> or a whole period before it do not count.
    /// </summary>
    public static SendDeferral? Judge(SendWindow? window, TimeZoneInfo zone, FrequencyCap? cap, IEnumerable<DateTimeOffset> recentSends, DateTimeOffset at)
    {
        if (window is not null)
        {
            var opening = LocalClock.NextOpening(window, zone, at);
            if (opening > at)
                return new SendDeferral(SendWindowReason, opening, zone.Id);
        }
        if (cap is not null)
        {
            var inPeriod = recentSends.Where(t => t > at - cap.Period && t <= at).Order().ToList();
            // The cap allows the next mail once the oldest of the last Count sends is a whole period old.
            if (inPeriod.Count >= cap.Count)
                return new SendDeferral(FrequencyCapReason, inPeriod[^cap.Count] + cap.Period, null);
        }
        return null;
    }
}

/// <summary>At most <see cref="Count"/> marketing mails per customer in any <see cref="Period"/>, across all journeys.</summary>
public sealed record FrequencyCap(int Count, TimeSpan Period)
{
    /// <summary>The configured cap (<c>Orchestrator:Sending:FrequencyCap</c>), or null when there is none.</summary>
    public static FrequencyCap? From(SendingOptions sending) =>
        sending.FrequencyCap is { } cap ? new FrequencyCap(cap.Count, Duration.Parse(cap.Period)) : null;
}

/// <summary>Why a send may not go out now (<see cref="SendRules.SendWindowReason"/> or <see cref="SendRules.FrequencyCapReason"/>) and when it may.</summary>
/// <param name="Zone">The zone the send window was judged in; null for the cap.</param>
public sealed record SendDeferral(string Reason, DateTimeOffset Until, string? Zone)
{
    /// <summary>The <c>deferred</c> outcome's detail (docs/journey-format.md); a null value is left out.</summary>
    public (string Key, object? Value)[] Detail() => [("reason", Reason), ("until", Iso.Format(Until)), ("zone", Zone)];
}
