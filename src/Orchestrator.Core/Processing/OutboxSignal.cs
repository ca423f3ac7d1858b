namespace Orchestrator.Core.Processing;

/// <summary>
/// What the sender and the rest of the worker tell each other, in one place. The sender hears that new sends were
/// committed, so it starts at once instead of at its next poll: a missed signal costs only a poll interval, never a send,
/// because the outbox table is the truth. The timers hear whether the sender is working off due sends, so they take
/// smaller batches while it is: on SQLite the two share one writer, and behind every 200-customer batch of timers the
/// sender got one write in (3% of raw MailKit while timers drained, docs/benchmarks.md).
/// </summary>
public sealed class OutboxSignal
{
    private volatile bool _senderBehind;

    public event Action? Committed;

    public void Notify() => Committed?.Invoke();

    /// <summary>True while the sender's last claim was full (more sends are due than it takes at once).</summary>
    public bool SenderBehind => _senderBehind;

    /// <summary>Said by the sender after each claim: whether it came back full.</summary>
    public void SenderClaimed(bool full) => _senderBehind = full;
}
