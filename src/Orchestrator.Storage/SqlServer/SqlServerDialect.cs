using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Data.SqlClient;
using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.SqlServer;

/// <summary>
/// SQL Server. A unit of work takes an exclusive transaction-owned application lock named after its customer
/// (sp_getapplock) before it reads anything: units of one customer run one at a time across all workers, units of
/// different customers in parallel, and it works for customers that have no row yet. Reads are plain read committed,
/// which is snapshot-based when the database has read committed snapshot on; the revision check on save catches
/// any writer that bypassed the lock.
/// </summary>
internal sealed class SqlServerDialect(string connectionString, int commandTimeoutSeconds) : StorageDialect(commandTimeoutSeconds)
{
    private const int MaxResourceLength = 255;

    public override StorageProvider Provider => StorageProvider.SqlServer;

    public override SqlStatements Sql => SqlServerSql.Statements;

    public override IReadOnlyList<Migration> Migrations => SqlServerMigrations.All;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override Task<DbTransaction> BeginCustomerUnitAsync(DbConnection connection, IReadOnlyList<string> customerIds, CancellationToken cancellationToken) =>
        BeginLockedAsync(connection, customerIds.Select(id => (CustomerResource(id), $"customer '{id}'")).ToList(), cancellationToken);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

    public override Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken) =>
        BeginLockedAsync(connection, [("orchestrator:migrations", "the schema migrations")], cancellationToken);

    public override TimeParameter Time(DateTimeOffset? value) => new(value, asText: false);

    // 2627: PRIMARY KEY or UNIQUE constraint; 2601: unique index.
    public override bool IsDuplicateKey(Exception exception) => exception is SqlException { Number: 2627 or 2601 };

    // Errors of the server or the connection rather than of the statement: timeout (-2), network and login (53, 121,
    // 233, 4060, 10053, 10054, 10060, 10061), deadlock victim (1205), log or disk full (9002, 1105), Azure's
    // throttling and failover (40197, 40501, 40613, 49918-49920); severity 20+ ends the connection.
    private static readonly HashSet<int> UnavailableNumbers = [-2, 53, 121, 233, 1105, 1205, 4060, 9002, 10053, 10054, 10060, 10061, 40197, 40501, 40613, 49918, 49919, 49920];

    public override string? Unavailable(Exception exception) => exception switch
    {
        SqlException e when UnavailableNumbers.Contains(e.Number) || e.Class >= 20 => e.Message,
        // The connection pool found no free connection in time.
        InvalidOperationException e when e.Message.Contains("pool", StringComparison.OrdinalIgnoreCase) => e.Message,
        _ => base.Unavailable(exception),
    };

    /// <summary>sp_getapplock names are at most 255 characters and compared in binary; long customer ids are hashed.</summary>
    internal static string CustomerResource(string customerId)
    {
        var resource = "orchestrator:customer:" + customerId;
        return resource.Length <= MaxResourceLength
            ? resource
            : "orchestrator:customer#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(customerId)));
    }

    // Locks are taken in the order given (the store sorts customer ids ordinally), the same in every worker, so two
    // batches that share customers wait for each other instead of deadlocking.
    private async Task<DbTransaction> BeginLockedAsync(DbConnection connection, IReadOnlyList<(string Resource, string What)> locks, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        try
        {
            var lockTimeoutMs = CommandTimeoutSeconds * 1000;
            foreach (var (resource, what) in locks)
            {
                // The command may run a little longer than the lock wait, so that the lock's own timeout (a clear result) comes first.
                var result = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                    SqlServerSql.GetAppLock, new { resource, lockTimeoutMs }, transaction, CommandTimeoutSeconds + 5, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (result < 0)
                    throw new TimeoutException($"Could not lock {what} within {CommandTimeoutSeconds}s (sp_getapplock returned {result}); another unit of work holds it.");
            }
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
