using Dapper;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The backlog in two aggregates on one read connection: queued sends on the (status, next_attempt_at) index and due
/// wakeups on the (due_at, ...) index, neither reading a table row.
/// </summary>
internal sealed class RelationalBacklogReader(StorageDialect dialect) : IBacklogReader
{
    public Task<Backlog> ReadBacklogAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        dialect.ReadAsync(async connection =>
        {
            var parameters = new { now = dialect.Time(now) };
            var sends = await connection.QuerySingleAsync<OutboxBacklogRow>(dialect.Command(dialect.Sql.SelectOutboxBacklog, parameters, null, cancellationToken)).ConfigureAwait(false);
            var wakeups = await connection.QuerySingleAsync<WakeupBacklogRow>(dialect.Command(dialect.Sql.SelectWakeupBacklog, parameters, null, cancellationToken)).ConfigureAwait(false);
            // The earliest next attempt of all queued sends is the oldest due one's only when it has come.
            var earliest = StoredTime.ReadNullable(sends.EarliestAttemptAt);
            return new Backlog(now, sends.Queued, sends.Due, earliest <= now ? earliest : null, wakeups.Due, StoredTime.ReadNullable(wakeups.OldestDueAt));
        }, cancellationToken);

    private sealed class OutboxBacklogRow
    {
        public long Queued { get; set; }
        public long Due { get; set; }
        public object? EarliestAttemptAt { get; set; }
    }

    private sealed class WakeupBacklogRow
    {
        public long Due { get; set; }
        public object? OldestDueAt { get; set; }
    }
}
