using System.Data.Common;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The journey store on a relational database: each unit of work is one database transaction that holds the
/// customer's lock from <see cref="BeginAsync"/> to commit or dispose, and checks the customer's revision on save. A
/// batch is one transaction for the units of several customers: one commit (one fsync on SQLite) for all of them.
/// </summary>
internal sealed partial class RelationalJourneyStore(StorageDialect dialect, TimeProvider time) : IJourneyStore
{
    public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return new Unit(dialect, time, await OpenAsync([customerId], cancellationToken).ConfigureAwait(false), customerId, batch: null);
    }

    public async Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        if (customerIds.Count == 0 || customerIds.Any(string.IsNullOrEmpty))
            throw new ArgumentException("A batch is for one or more customers, each with an id.", nameof(customerIds));
        var ordered = customerIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new Batch(dialect, time, await OpenAsync(ordered, cancellationToken).ConfigureAwait(false), ordered);
    }

    private async Task<OpenTransaction> OpenAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        DbConnection? connection = null;
        try
        {
            connection = await dialect.OpenForWriteAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await dialect.BeginCustomerUnitAsync(connection, customerIds, cancellationToken).ConfigureAwait(false);
            return new OpenTransaction(turn, connection, transaction);
        }
        catch
        {
            if (connection is not null)
                await connection.DisposeAsync().ConfigureAwait(false);
            turn?.Dispose();
            throw;
        }
    }

    /// <summary>A connection with its transaction and this process's writer turn; disposed uncommitted it rolls back and releases the locks.</summary>
    private sealed class OpenTransaction(IDisposable? turn, DbConnection connection, DbTransaction transaction) : IAsyncDisposable
    {
        public DbConnection Connection { get; } = connection;

        public DbTransaction Transaction { get; } = transaction;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Database.EndAsync(Transaction).ConfigureAwait(false);
            }
            finally
            {
                try
                {
                    await Connection.DisposeAsync().ConfigureAwait(false);
                }
                finally
                {
                    turn?.Dispose();
                }
            }
        }
    }
}
