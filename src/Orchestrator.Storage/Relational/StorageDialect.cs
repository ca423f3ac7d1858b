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

    /// <summary>A time as the provider stores it (always UTC).</summary>
    public abstract object Time(DateTimeOffset value);

    public object? Time(DateTimeOffset? value) => value is { } v ? Time(v) : null;

    public CommandDefinition Command(string sql, object? parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, CommandTimeoutSeconds, cancellationToken: cancellationToken);
}
