namespace Orchestrator.Core.Engine;

/// <summary>
/// The one rule for where each send's <c>sent</c> outcome goes among a decision's outcomes: before the outcome at its
/// <see cref="EmailToSend.OutcomeIndex"/>, so replays print in causal order. The simulator, the relational store (which
/// numbers the rows in this order) and the engine tests' harness all walk a decision through it.
/// </summary>
public static class RecordingOrder
{
    /// <summary>
    /// The decision's outcomes and sends in recording order: each entry is an outcome or a send (whose place is its
    /// <c>sent</c>). A send is placed at the first position at or past its index and none is dropped: one whose index is
    /// past the last outcome, or out of order, still comes (the engine emits indexes in order and in range).
    /// </summary>
    public static IEnumerable<(Outcome? Outcome, EmailToSend? Send)> InRecordingOrder(this Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var sendIndex = 0;
        for (var i = 0; i <= decision.Outcomes.Count; i++)
        {
            while (sendIndex < decision.Sends.Count && decision.Sends[sendIndex].OutcomeIndex <= i)
                yield return (null, decision.Sends[sendIndex++]);
            if (i < decision.Outcomes.Count)
                yield return (decision.Outcomes[i], null);
        }
        while (sendIndex < decision.Sends.Count)
            yield return (null, decision.Sends[sendIndex++]);
    }
}
