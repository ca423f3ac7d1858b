namespace Orchestrator.Core.Processing;

/// <summary>
/// Tells the sender that new sends were committed, so it starts at once instead of at its next poll.
/// A missed signal costs only a poll interval, never a send: the outbox table is the truth.
/// </summary>
public sealed class OutboxSignal
{
    public event Action? Committed;

    public void Notify() => Committed?.Invoke();
}
