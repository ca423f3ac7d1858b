namespace Orchestrator.Core.Ports;

/// <summary>
/// Due per-customer wakeups, in an indexed table: the scheduler decides when to look, a batch claim decides how
/// many. A claim is a lease; the unit of work that handles the customer replaces its wakeups.
/// </summary>
public interface IWakeupStore
{
    /// <summary>Customers with a wakeup due at or before <paramref name="now"/> that nobody holds, leased for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken);
}
