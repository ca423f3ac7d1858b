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
    private readonly string _writerConnectionString;

    // SQLite has one writer at a time; this process's writers take turns here first.
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteDialect(string connectionString, int commandTimeoutSeconds) : base(commandTimeoutSeconds)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = commandTimeoutSeconds };
        _connectionString = builder.ToString();
        // The kept writer connection is not pooled: closed, it is gone, so one that wrote to a file deleted under it is
        // never handed out again when the file is restored.
        _writerConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        DataSource = builder.DataSource;
    }

    public string DataSource { get; }

    public override StorageProvider Provider => StorageProvider.Sqlite;

    public override SqlStatements Sql => SqliteSql.Statements;

    public override IReadOnlyList<Migration> Migrations => SqliteMigrations.All;

    // Set once the file was there: from then on a missing file is a deleted database, not one to create.
    private volatile bool _fileExisted;

    // The writer connection kept between writes (SqliteWriterConnection); only the holder of the writer turn touches it.
    private SqliteWriterConnection? _writerConnection;

    /// <summary>
    /// A pooled or kept connection keeps writing to a file deleted under it (the inode lives on) and everything it commits
    /// is lost when the process ends, so every open looks at the path first. Returns the file's full path, or null for a
    /// database that is not a file.
    /// </summary>
    private string? ThrowIfFileGone()
    {
        var file = IsFile ? Path.GetFullPath(DataSource) : null;
        if (file is not null && _fileExisted && !File.Exists(file))
        {
            throw new Orchestrator.Core.Ports.StoreUnavailableException(
                $"the SQLite database file {file} is gone (deleted or moved while the worker ran); nothing is recorded until it is back (restore it, or restart the worker to start a new one)");
        }
        return file;
    }

    public override async Task<DbConnection> OpenForWriteAsync(CancellationToken cancellationToken)
    {
        if (_writer.CurrentCount != 0)
            throw new InvalidOperationException("The SQLite writer connection is for the holder of the writer turn (WaitForWriterTurnAsync).");
        try
        {
            ThrowIfFileGone();
        }
        catch
        {
            // Whatever it held points at the file that is gone; a restored file gets a connection of its own.
            _writerConnection?.Close();
            _writerConnection = null;
            throw;
        }
        // One still lent while the caller holds the turn was never given back (its holder failed on the way out):
        // nobody can be using it, and nothing about it can be trusted.
        if (_writerConnection is { Reusable: true, Lent: false } kept)
            return kept.Lend();
        _writerConnection?.Close();
        _writerConnection = null;
        var connection = (SqliteConnection)await OpenAsync(_writerConnectionString, cancellationToken).ConfigureAwait(false);
        _writerConnection = new SqliteWriterConnection(connection, IsDuplicateKey);
        return _writerConnection.Lend();
    }

    /// <summary>Closes the kept writer connection (its statements finalized, its WAL checkpointed when it is the last
    /// connection), e.g. before a command-line tool hands its store file on.</summary>
    public override async Task CloseWriterAsync(CancellationToken cancellationToken)
    {
        using var turn = await WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        _writerConnection?.Close();
        _writerConnection = null;
    }

    public override Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => OpenAsync(_connectionString, cancellationToken);

    private async Task<DbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var file = ThrowIfFileGone();
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // PRAGMA busy_timeout, set through the C API: a writer waits this long for another one instead of failing.
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, CommandTimeoutSeconds * 1000);
            if (file is not null && !_fileExisted && File.Exists(file))
                _fileExisted = true;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>As the base, with the connection's busy timeout cut to <paramref name="timeout"/>: BEGIN IMMEDIATE waits in SQLite, not in .NET.</summary>
    public override async Task<string?> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var connection = (SqliteConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)timeout.TotalMilliseconds);
                using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
                transaction.Rollback();
                return null;
            }
        }
        catch (Exception ex) when (Unavailable(ex) is { } reason)
        {
            return $"the {Provider} database is unavailable: {reason}";
        }
    }

    public override Task<DbTransaction> BeginCustomerUnitAsync(DbConnection connection, IReadOnlyList<string> customerIds, CancellationToken cancellationToken) =>
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
            throw new TimeoutException($"database is locked or slow: waited {CommandTimeoutSeconds}s for this worker's other writes to {DataSource} to finish");
        return new WriterTurn(_writer);
    }

    // SQLite result codes of a database that cannot be used now, whatever the statement: BUSY, LOCKED, READONLY,
    // IOERR, CORRUPT, FULL, CANTOPEN, NOTADB (https://sqlite.org/rescode.html).
    private static readonly HashSet<int> UnavailableCodes = [5, 6, 8, 10, 11, 13, 14, 26];

    public override string? Unavailable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: var code } sqlite && UnavailableCodes.Contains(code)
            ? $"{sqlite.Message} ({DataSource})"
            : base.Unavailable(exception);

    private bool IsFile => !string.IsNullOrEmpty(DataSource) && DataSource != ":memory:" && !DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
        && !_connectionString.Contains("Mode=Memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>Creates the database file's folder when it is missing (SQLite creates the file, not the folder).</summary>
    public void EnsureFolder()
    {
        if (!IsFile)
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(DataSource));
        if (string.IsNullOrEmpty(folder))
            return;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Orchestrator.Core.Ports.StoreUnavailableException($"the folder {folder} for the SQLite database cannot be created: {ex.Message}", ex);
        }
    }

    // Not deferred: Microsoft.Data.Sqlite issues BEGIN IMMEDIATE.
    private static Task<DbTransaction> BeginImmediate(DbConnection connection) => Task.FromResult<DbTransaction>(connection switch
    {
        SqliteWriterConnection writer => writer.BeginImmediate(),
        _ => ((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false),
    });

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
