using System.Data.Common;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The ceremony around a statement, written once: a read on a connection of its own, a write in this process's writer
/// turn, a few writes in one transaction. The units of work of the journey store hold their connection for longer and
/// open it themselves (<see cref="RelationalJourneyStore"/>); failures of the database are mapped to "unavailable" by
/// <see cref="StorageDialect.Guard"/> where the ports are handed out (<see cref="JourneyStorage"/>).
/// </summary>
internal static class Database
{
    /// <summary>A read on its own connection and no transaction, so it never holds what the writers need.</summary>
    public static async Task<T> ReadAsync<T>(this StorageDialect dialect, Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
            return await read(connection).ConfigureAwait(false);
    }

    /// <summary>One statement that commits by itself, run in this process's writer turn.</summary>
    public static async Task<T> WriteAsync<T>(this StorageDialect dialect, Func<DbConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        using var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        var connection = await dialect.OpenForWriteAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
            return await write(connection).ConfigureAwait(false);
    }

    /// <summary>Writes that belong together, in one transaction committed when <paramref name="write"/> returns; rolled back if it throws.</summary>
    public static async Task<T> WriteInTransactionAsync<T>(this StorageDialect dialect, Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        using var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        var connection = await dialect.OpenForWriteAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await write(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            finally
            {
                await EndAsync(transaction).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Disposes a transaction (rolling it back when it was not committed) without letting the rollback's own failure
    /// hide why the transaction failed. A COMMIT that fails on a full disk or an I/O error is rolled back by SQLite
    /// itself, and Microsoft.Data.Sqlite's dispose then tries ROLLBACK on no transaction ("cannot rollback - no
    /// transaction is active"): thrown from a finally, that error replaced the disk's, and an event that should wait for
    /// the database went to the error queue instead. The connection is disposed right after, which ends whatever is left.
    /// </summary>
    public static async ValueTask EndAsync(DbTransaction transaction)
    {
        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The transaction is gone either way; the failure that matters has been thrown already.
        }
    }
}
