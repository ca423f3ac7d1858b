using System.Data.Common;
using Dapper;

namespace Orchestrator.Storage.Relational;

/// <summary>One numbered schema change; applied once, in order, and recorded in <c>schema_migrations</c>.</summary>
internal sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// What differs between the providers: the SQL text, how a connection is opened, how a unit of work takes its
/// customer's lock and how times are stored. Everything else (mapping, JSON, the order of writes) is shared.
/// </summary>
internal abstract class StorageDialect(int commandTimeoutSeconds)
{
    public abstract StorageProvider Provider { get; }

    public abstract SqlStatements Sql { get; }

    public abstract IReadOnlyList<Migration> Migrations { get; }

    public int CommandTimeoutSeconds { get; } = commandTimeoutSeconds;

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that holds the customer's lock until it ends, so units of one customer run one at a time.</summary>
    public abstract Task<DbTransaction> BeginCustomerUnitAsync(DbConnection connection, string customerId, CancellationToken cancellationToken);

    /// <summary>A transaction for a few writes that belong together (outbox updates with their outcome).</summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>A transaction that only one migrator at a time holds, across processes.</summary>
    public abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>An insert failed on a primary key or unique index.</summary>
    public abstract bool IsDuplicateKey(Exception exception);

    /// <summary>A time parameter as the provider stores times (always UTC).</summary>
    public abstract TimeParameter Time(DateTimeOffset? value);

    /// <summary>
    /// Waits for this process's turn to write where the database has one writer at a time, so waiting units queue
    /// here asynchronously instead of blocking threads in the database's busy handler; null where writers run in parallel.
    /// </summary>
    public virtual ValueTask<IDisposable?> WaitForWriterTurnAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    public CommandDefinition Command(string sql, object? parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, CommandTimeoutSeconds, cancellationToken: cancellationToken);
}
