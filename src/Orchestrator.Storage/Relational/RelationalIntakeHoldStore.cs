using Dapper;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>The workers' intake holds, one row per holding worker in <c>intake_holds</c>. A database that cannot be
/// written is <see cref="StoreUnavailableException"/>, as for a unit of work: intake that must say its hold first waits
/// and tries again, it never refuses the event.</summary>
internal sealed class RelationalIntakeHoldStore(StorageDialect dialect) : IIntakeHoldStore
{
    public Task HoldAsync(string workerId, DateTimeOffset holdAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        dialect.Guard(() => dialect.WriteAsync(connection => connection.ExecuteAsync(dialect.Command(dialect.Sql.UpsertIntakeHold, new
        {
            workerId,
            holdAt = dialect.Time(holdAt),
            now = dialect.Time(now),
        }, null, cancellationToken)), cancellationToken));

    public Task ReleaseAsync(string workerId, DateTimeOffset staleBefore, CancellationToken cancellationToken) =>
        dialect.Guard(() => dialect.WriteAsync(connection => connection.ExecuteAsync(dialect.Command(dialect.Sql.DeleteIntakeHold, new
        {
            workerId,
            staleBefore = dialect.Time(staleBefore),
        }, null, cancellationToken)), cancellationToken));

    public Task<DateTimeOffset?> EarliestAsync(string exceptWorkerId, DateTimeOffset freshSince, CancellationToken cancellationToken) =>
        dialect.Guard(() => dialect.ReadAsync(async connection => StoredTime.ReadNullable(await connection.ExecuteScalarAsync<object?>(dialect.Command(
            dialect.Sql.SelectEarliestIntakeHold, new { workerId = exceptWorkerId, freshSince = dialect.Time(freshSince) }, null, cancellationToken)).ConfigureAwait(false)),
            cancellationToken));
}
