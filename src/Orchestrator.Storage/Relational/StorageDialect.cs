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

    /// <summary>
    /// A connection for the holder of the writer turn (<see cref="WaitForWriterTurnAsync"/>), disposed when the write
    /// ends. By default a connection of its own; on SQLite the process's one writer connection, which keeps its prepared
    /// statements from one unit of work to the next.
    /// </summary>
    public virtual Task<DbConnection> OpenForWriteAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Closes a connection kept for writes, if the provider keeps one (SQLite); the next write opens another.</summary>
    public virtual Task CloseWriterAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A transaction that holds the customers' locks until it ends, so units of one customer run one at a time;
    /// <paramref name="customerIds"/> are distinct and in ordinal order, and locked in that order.</summary>
    public abstract Task<DbTransaction> BeginCustomerUnitAsync(DbConnection connection, IReadOnlyList<string> customerIds, CancellationToken cancellationToken);

    /// <summary>A transaction for a few writes that belong together (outbox updates with their outcome).</summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>A transaction that only one migrator at a time holds, across processes.</summary>
    public abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>An insert failed on a primary key or unique index.</summary>
    public abstract bool IsDuplicateKey(Exception exception);

    /// <summary>
    /// Why the database itself failed (gone, full, read-only, locked past the timeout, unreachable), or null when
    /// <paramref name="exception"/> is about the statement or the data: the one rule for "try again later".
    /// </summary>
    public virtual string? Unavailable(Exception exception) => exception switch
    {
        Orchestrator.Core.Ports.StoreUnavailableException e => e.Message,
        // The writer turn (WaitForWriterTurnAsync) or a command ran out of time: the database is busy or stuck.
        TimeoutException e => e.Message,
        _ => null,
    };

    /// <summary>
    /// Whether the database can take a write now: a write transaction begun and rolled back, waiting at most
    /// <paramref name="timeout"/> for the lock. Null when it can, else why not.
    /// </summary>
    public virtual async Task<string?> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            var connection = await OpenAsync(cancel.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await BeginWriteAsync(connection, cancel.Token).ConfigureAwait(false);
                await transaction.RollbackAsync(cancel.Token).ConfigureAwait(false);
                await transaction.DisposeAsync().ConfigureAwait(false);
                return null;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the {Provider} database did not let a write begin within {timeout.TotalSeconds:0.#} s (locked or unreachable)";
        }
        catch (Exception ex) when (Unavailable(ex) is { } reason)
        {
            return $"the {Provider} database is unavailable: {reason}";
        }
    }

    /// <summary>Runs <paramref name="call"/>, turning a failure of the database into a <see cref="Orchestrator.Core.Ports.StoreUnavailableException"/>.</summary>
    public async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not Orchestrator.Core.Ports.StoreUnavailableException && Unavailable(ex) is { } reason)
        {
            throw new Orchestrator.Core.Ports.StoreUnavailableException($"the {Provider} database is unavailable: {reason}", ex);
        }
    }

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
