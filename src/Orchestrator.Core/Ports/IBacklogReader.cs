namespace Orchestrator.Core.Ports;

/// <summary>
/// What waits in the store for the worker: queued sends and due wakeups, counted for health and gauges. Each part is
/// one indexed aggregate, cheap enough to run on every health check and scrape (callers still cache it for a few seconds).
/// </summary>
public interface IBacklogReader
{
    /// <summary>The outbox's queued sends and the wakeups due at <paramref name="now"/>.</summary>
    Task<Backlog> ReadBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// The backlog at <see cref="At"/>. A queued send is due once its next attempt time has come (first try, retry after a
/// transient failure, or a send window that opened); one due for long means nothing is taking sends out. A due wakeup
/// is a timer whose time has come and that has not run yet (claimed ones included: a claim that never finishes is late too).
/// </summary>
/// <param name="At">When it was read.</param>
/// <param name="QueuedSends">Sends waiting in the outbox (status <c>queued</c>), due or not yet.</param>
/// <param name="DueSends">Of those, the ones whose next attempt time has come.</param>
/// <param name="OldestDueSendAt">The earliest next attempt time of a due send; null when none is due.</param>
/// <param name="DueWakeups">Wakeups due by <see cref="At"/>.</param>
/// <param name="OldestDueWakeupAt">The earliest due time among them; null when none is due.</param>
public sealed record Backlog(DateTimeOffset At, long QueuedSends, long DueSends, DateTimeOffset? OldestDueSendAt, long DueWakeups, DateTimeOffset? OldestDueWakeupAt)
{
    /// <summary>How long the oldest due send has been waiting to go out; zero when none is due.</summary>
    public TimeSpan OldestDueSendWait => OldestDueSendAt is { } due && due < At ? At - due : TimeSpan.Zero;

    /// <summary>How late the oldest due wakeup is; zero when none is due.</summary>
    public TimeSpan OldestDueWakeupLateness => OldestDueWakeupAt is { } due && due < At ? At - due : TimeSpan.Zero;
}
