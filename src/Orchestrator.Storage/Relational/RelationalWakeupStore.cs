using Dapper;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// Due wakeups, claimed a customer at a time: every due row of a claimed customer gets the same lease, so two
/// workers never get the same customer within a lease. The unit of work that handles the customer replaces its
/// rows, which drops the claim.
/// </summary>
internal sealed class RelationalWakeupStore(StorageDialect dialect) : IWakeupStore
{
    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset dueBy, DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        return dialect.WriteAsync<IReadOnlyList<string>>(async connection =>
        {
            var rows = await connection.QueryAsync<WakeupClaimRow>(dialect.Command(dialect.Sql.ClaimWakeups, new
            {
                dueBy = dialect.Time(dueBy),
                now = dialect.Time(now),
                leaseEnd = dialect.Time(now + lease),
                max,
            }, null, cancellationToken)).ConfigureAwait(false);
            return rows
                .GroupBy(r => r.CustomerId, StringComparer.Ordinal)
                .Select(g => (Customer: g.Key, FirstDue: g.Min(r => StoredTime.Read(r.DueAt))))
                .OrderBy(c => c.FirstDue).ThenBy(c => c.Customer, StringComparer.Ordinal)
                .Select(c => c.Customer)
                .ToList();
        }, cancellationToken);
    }
}
