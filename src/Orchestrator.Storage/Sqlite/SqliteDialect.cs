using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Orchestrator.Storage.Relational;

namespace Orchestrator.Storage.Sqlite;

/// <summary>
/// SQLite in WAL mode. Every unit of work starts with BEGIN IMMEDIATE, which takes the database's one write lock
/// up front: units (of any customers) run one at a time, also across processes, and a deferred transaction's
/// "database is locked" on upgrade to writing (which no busy timeout retries) cannot happen.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim needs disposing only when its AvailableWaitHandle was used, which it never is here; the dialect lives as long as the process.")]
internal sealed class SqliteDialect : StorageDialect
{
    private readonly string _connectionString;

    // SQLite has one writer at a time; this process's writers take turns here first.
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteDialect(string connectionString, int commandTimeoutSeconds) : base(commandTimeoutSeconds)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = commandTimeoutSeconds };
        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
    }

    public string DataSource { get; }

    public override StorageProvider Provider => StorageProvider.Sqlite;

    public override SqlStatements Sql => SqliteSql.Statements;

    public override IReadOnlyList<Migration> Migrations => SqliteMigrations.All;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // PRAGMA busy_timeout, set through the C API: a writer waits this long for another one instead of failing.
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, CommandTimeoutSeconds * 1000);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override Task<DbTransaction> BeginCustomerUnitAsync(DbConnection connection, string customerId, CancellationToken cancellationToken) =>
        BeginImmediate(connection);

    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        BeginImmediate(connection);

    public override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // journal_mode cannot change inside a transaction; it is stored in the file, so once is enough.
        await connection.ExecuteAsync(Command(SqliteSql.EnableWal, null, null, cancellationToken)).ConfigureAwait(false);
        return await BeginImmediate(connection).ConfigureAwait(false);
    }

    public override TimeParameter Time(DateTimeOffset? value) => new(value, asText: true);

    // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
    public override bool IsDuplicateKey(Exception exception) => exception is SqliteException { SqliteExtendedErrorCode: 1555 or 2067 };

    public override async ValueTask<IDisposable?> WaitForWriterTurnAsync(CancellationToken cancellationToken)
    {
        if (!await _writer.WaitAsync(TimeSpan.FromSeconds(CommandTimeoutSeconds), cancellationToken).ConfigureAwait(false))
            throw new TimeoutException($"Waited {CommandTimeoutSeconds}s for another unit of work on {DataSource} to finish.");
        return new WriterTurn(_writer);
    }

    /// <summary>Creates the database file's folder when it is missing (SQLite creates the file, not the folder).</summary>
    public void EnsureFolder()
    {
        if (string.IsNullOrEmpty(DataSource) || DataSource == ":memory:" || DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(DataSource));
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
    }

    // Not deferred: Microsoft.Data.Sqlite issues BEGIN IMMEDIATE.
    private static Task<DbTransaction> BeginImmediate(DbConnection connection) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));

    private sealed class WriterTurn(SemaphoreSlim writer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                writer.Release();
        }
    }
}
