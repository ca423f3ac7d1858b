namespace Orchestrator.Core.Ports;

/// <summary>
/// Due per-customer wakeups, in an indexed table: the scheduler decides when to look, a batch claim decides how
/// many. A claim is a lease; the unit of work that handles the customer replaces its wakeups.
/// </summary>
public interface IWakeupStore
{
    /// <summary>Customers with a wakeup due at or before <paramref name="dueBy"/> that nobody holds at <paramref name="now"/>,
    /// leased from then for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset dueBy, DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Customers with a wakeup due by <paramref name="now"/> (benchmarks and tests, where nothing holds timers back).</summary>
    Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        ClaimDueAsync(now, now, max, lease, cancellationToken);
}
