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
    public async Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset dueBy, DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        using var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
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
        }
    }

    /// <summary>
    /// The earliest moment a wakeup can be claimed: its due time, or the end of its lease while it is claimed, so a
    /// scheduler sleeping until then does not wake for wakeups another worker holds.
    /// </summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var next = await connection.ExecuteScalarAsync<object?>(dialect.Command(dialect.Sql.NextWakeup, null, null, cancellationToken)).ConfigureAwait(false);
            return StoredTime.ReadNullable(next);
        }
    }
}
