namespace Orchestrator.Core.Engine;

/// <summary>What the engine decided for one event or one due timer of one customer.</summary>
public sealed record Decision(CustomerState State, IReadOnlyList<Outcome> Outcomes, IReadOnlyList<EmailToSend> Sends, IReadOnlyList<Wakeup> Wakeups)
{
    /// <summary>The survey answer the event carried, attributed; saved with the decision.</summary>
    public Analysis.FeedbackAnswer? Feedback { get; init; }

    /// <summary>Profile time zones this decision could not use (not an accepted IANA name), so it used the journey's zone
    /// or UTC instead; the engine has no logger, the processor warns about them.</summary>
    public IReadOnlyList<string> UnknownTimeZones { get; init; } = [];
}
