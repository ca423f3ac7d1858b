using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Processing;

/// <summary>Rules for events at the door, whichever way they come in (section <c>Orchestrator:Intake</c>).</summary>
public sealed class IntakeOptions
{
    public const string SectionName = "Orchestrator:Intake";

    /// <summary>
    /// How far ahead of the worker's clock an event's <c>occurredAt</c> may be (a duration: <c>5m</c>). Clocks drift
    /// a little; a date further ahead is a typo or a broken clock, and deciding it would move the customer's time
    /// forward (entries dated in the future, exits and unsubscribes that seem older than them). Default 5m.
    /// </summary>
    public string MaxClockSkew
    {
        get => _maxClockSkew;
        set
        {
            _maxClockSkew = value;
            _span = null;
        }
    }

    private string _maxClockSkew = "5m";
    private TimeSpan? _span;

    /// <summary>Parsed once, not for every event (the text is validated at start).</summary>
    public TimeSpan MaxClockSkewSpan => _span ??= Duration.Parse(MaxClockSkew);

    /// <summary>Why <paramref name="occurredAt"/> cannot be taken at <paramref name="now"/>, or null.</summary>
    public string? FutureProblem(DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var ahead = occurredAt - now;
        if (ahead <= MaxClockSkewSpan)
            return null;
        return $"occurredAt {Engine.Iso.Format(occurredAt)} is {Describe(ahead)} ahead of the worker's clock ({Engine.Iso.Format(now)}); "
            + $"an event may be at most {MaxClockSkew} in the future ({SectionName}:MaxClockSkew): fix the date or the publisher's clock";
    }

    private static string Describe(TimeSpan ahead) =>
        ahead.TotalDays >= 2 ? $"{(int)ahead.TotalDays} days" : ahead.TotalHours >= 2 ? $"{(int)ahead.TotalHours} hours" : $"{(int)Math.Ceiling(ahead.TotalMinutes)} minutes";
}
