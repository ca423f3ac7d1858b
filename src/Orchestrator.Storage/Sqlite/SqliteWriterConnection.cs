using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Storage.Sqlite;

/// <summary>
/// The process's one SQLite writer connection, kept open between units of work with one prepared command per SQL text.
/// <para>
/// Why: Microsoft.Data.Sqlite keeps a statement prepared only as long as its command object lives, and Dapper makes a
/// new command for every call, so every statement of every unit was compiled again: about a fifth of a decision's time
/// in the profile of <c>bench store</c> (docs/benchmarks.md). SQLite writes one transaction at a time anyway and this
/// process's writers already take turns (<see cref="SqliteDialect.WaitForWriterTurnAsync"/>), so one connection lent to
/// the turn's holder loses nothing, and its commands keep their statements from one unit to the next.
/// </para>
/// <para>
/// Lent by <see cref="SqliteDialect.OpenForWriteAsync"/> to the holder of the writer turn; disposing it gives it back.
/// Any failure of a statement other than a duplicate key (which the units expect and handle) marks it spoiled, and a
/// spoiled one, or one given back inside a transaction, is closed instead of kept: the next writer opens a fresh one.
/// </para>
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The commands are disposed with the inner connection in Close(); a lent connection's Dispose gives it back by design.")]
internal sealed class SqliteWriterConnection(SqliteConnection inner, Func<Exception, bool> expected) : DbConnection
{
    /// <summary>Enough for every statement the store has; SQL that Dapper expands (lists) beyond it is prepared per use.</summary>
    private const int MaxCachedCommands = 128;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly HashSet<SqliteCommand> _rented = [];
    private bool _lent;
    private bool _closed;

    public SqliteConnection Inner => inner;

    /// <summary>Whether it can be lent again: open, healthy, and not inside a transaction left behind.</summary>
    public bool Reusable => !_closed && !Spoiled && inner.State == ConnectionState.Open
        && SQLitePCL.raw.sqlite3_get_autocommit(inner.Handle) != 0;

    public bool Spoiled { get; private set; }

    /// <summary>Lent and not yet given back.</summary>
    public bool Lent => _lent;

    public SqliteWriterConnection Lend()
    {
        if (_lent)
            throw new InvalidOperationException("The SQLite writer connection is lent already; writers take turns (WaitForWriterTurnAsync) before they open it.");
        _lent = true;
        return this;
    }

    /// <summary>Gives it back; the dialect keeps it only while <see cref="Reusable"/>.</summary>
    private void GiveBack()
    {
        _lent = false;
        if (!Reusable)
            Close();
    }

    // DbConnection's DisposeAsync calls Dispose(), which lands here; Component's part only raises its Disposed event.
    protected override void Dispose(bool disposing)
    {
        if (disposing && _lent)
            GiveBack();
        base.Dispose(disposing);
    }

    /// <summary>Closes it for good: its prepared statements are finalized with their commands.</summary>
    public override void Close()
    {
        if (_closed)
            return;
        _closed = true;
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
        inner.Dispose();
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => throw new NotSupportedException("The writer connection keeps the connection string it was opened with.");
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => _closed ? ConnectionState.Closed : inner.State;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Open()
    {
        if (State != ConnectionState.Open)
            throw new InvalidOperationException("The writer connection is opened by the dialect, once.");
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    /// <summary>BEGIN IMMEDIATE (not deferred) on the inner connection.</summary>
    public SqliteTransaction BeginImmediate() => Watch(() => inner.BeginTransaction(IsolationLevel.Serializable, deferred: false));

    protected override DbCommand CreateDbCommand() => new Command(this);

    private SqliteCommand Rent(string sql)
    {
        if (_commands.TryGetValue(sql, out var cached) && _rented.Add(cached))
            return cached;
        var command = inner.CreateCommand();
        command.CommandText = sql;
        if (cached is null && _commands.Count < MaxCachedCommands)
        {
            _commands[sql] = command;
            _rented.Add(command);
        }
        return command;
    }

    private void Return(SqliteCommand command)
    {
        if (_rented.Remove(command))
        {
            command.Parameters.Clear();
            command.Transaction = null;
        }
        else
        {
            command.Dispose();
        }
    }

    private T Watch<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex) when (!expected(ex))
        {
            Spoiled = true;
            throw;
        }
    }

    /// <summary>What Dapper creates and disposes per call: the SQL text picks the kept command, disposing gives it back.</summary>
    private sealed class Command(SqliteWriterConnection connection) : DbCommand
    {
        private SqliteCommand? _inner;
        private DbTransaction? _transaction;
        private int? _timeout;

        private SqliteCommand Inner => _inner ?? throw new InvalidOperationException("Set CommandText first: it chooses the prepared command.");

        [AllowNull]
        public override string CommandText
        {
            get => _inner?.CommandText ?? string.Empty;
            set
            {
                if (_inner is not null)
                    connection.Return(_inner);
                _inner = connection.Rent(value ?? string.Empty);
            }
        }

        public override int CommandTimeout
        {
            get => _timeout ?? _inner?.CommandTimeout ?? 30;
            set => _timeout = value;
        }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                    throw new NotSupportedException("SQLite runs text commands only.");
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set => throw new NotSupportedException("A command of the writer connection stays with it.");
        }

        protected override DbParameterCollection DbParameterCollection => Inner.Parameters;

        protected override DbTransaction? DbTransaction
        {
            get => _transaction;
            set => _transaction = value;
        }

        public override void Cancel() => _inner?.Cancel();

        public override void Prepare() => Inner.Prepare();

        protected override DbParameter CreateDbParameter() => Inner.CreateParameter();

        private SqliteCommand Ready()
        {
            var command = Inner;
            command.Transaction = (SqliteTransaction?)_transaction;
            if (_timeout is { } timeout)
                command.CommandTimeout = timeout;
            return command;
        }

        public override int ExecuteNonQuery() => connection.Watch(() => Ready().ExecuteNonQuery());

        public override object? ExecuteScalar() => connection.Watch(() => Ready().ExecuteScalar());

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => connection.Watch(() => Ready().ExecuteReader(behavior));

        // Microsoft.Data.Sqlite runs its "async" calls synchronously; these keep Dapper's async path on the same code.
        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(ExecuteNonQuery());
        }

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(ExecuteScalar());
        }

        protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(ExecuteDbDataReader(behavior));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _inner is not null)
            {
                connection.Return(_inner);
                _inner = null;
            }
            base.Dispose(disposing);
        }
    }
}
