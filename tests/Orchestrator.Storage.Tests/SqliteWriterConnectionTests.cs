using Dapper;
using Microsoft.Data.Sqlite;
using Orchestrator.Core.Ports;
using Orchestrator.Storage.Sqlite;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// The SQLite writer connection kept between writes: its statements stay prepared, and whatever could leave it in a
/// doubtful state (a failed statement, a transaction left open, the file gone) makes the next writer open a fresh one.
/// Real files; the statements on a connection are counted by SQLite itself (sqlite3_next_stmt).
/// </summary>
public sealed class SqliteWriterConnectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-writer-connection").FullName;
    private readonly SqliteDialect _dialect;

    public SqliteWriterConnectionTests()
    {
        _dialect = new SqliteDialect($"Data Source={Path.Combine(_folder, "store.db")}", commandTimeoutSeconds: 5);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless.
        }
    }

    private async Task<T> WriteAsync<T>(Func<SqliteWriterConnection, Task<T>> write)
    {
        using var turn = await _dialect.WaitForWriterTurnAsync(CancellationToken.None);
        await using var connection = await _dialect.OpenForWriteAsync(CancellationToken.None);
        return await write((SqliteWriterConnection)connection);
    }

    private Task<int> CreateTableAsync() => WriteAsync(CreateTableOnAsync);

    private static Task<int> CreateTableOnAsync(SqliteWriterConnection connection) =>
        connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");

    /// <summary>The statements SQLite holds prepared on the connection, by their SQL (sqlite3_next_stmt walks them).</summary>
    private static List<string> PreparedOn(SqliteConnection connection)
    {
        var statements = new List<string>();
        for (var stmt = SQLitePCL.raw.sqlite3_next_stmt(connection.Handle, null); stmt is not null && !stmt.IsInvalid; stmt = SQLitePCL.raw.sqlite3_next_stmt(connection.Handle, stmt))
            statements.Add(SQLitePCL.raw.sqlite3_sql(stmt).utf8_to_string());
        return statements;
    }

    [Fact]
    public async Task A_statement_stays_prepared_from_one_write_to_the_next_on_the_same_connection()
    {
        const string insert = "INSERT INTO t (id, name) VALUES (@id, @name)";
        var first = await WriteAsync(async c =>
        {
            // SQLitePCL tracks a connection's statements for sqlite3_next_stmt only from when it is asked to.
            c.Inner.Handle!.enable_sqlite3_next_stmt(true);
            await CreateTableOnAsync(c);
            await c.ExecuteAsync(insert, new { id = 1, name = "a" });
            return c.Inner;
        });
        var (second, prepared) = await WriteAsync(async c =>
        {
            var before = PreparedOn(c.Inner);
            await using (var transaction = c.BeginImmediate())
            {
                // Dapper runs a list as one command executed once per item.
                await c.ExecuteAsync(insert, new[] { new { id = 2, name = "b" }, new { id = 3, name = "c" } }, transaction);
                await transaction.CommitAsync();
            }
            return (c.Inner, before);
        });

        Assert.Same(first, second);
        Assert.Equal(1, prepared.Count(sql => sql == insert));
        Assert.Equal(1, PreparedOn(second).Count(sql => sql == insert));
        Assert.Equal(3, await WriteAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t")));
    }

    [Fact]
    public async Task A_failed_statement_closes_the_connection_and_the_next_writer_opens_a_fresh_one()
    {
        await CreateTableAsync();
        var before = await WriteAsync(c => Task.FromResult(c.Inner));
        await Assert.ThrowsAsync<SqliteException>(() => WriteAsync(c => c.ExecuteAsync("INSERT INTO no_such_table VALUES (1)")));

        var after = await WriteAsync(async c =>
        {
            await c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')");
            return c.Inner;
        });
        Assert.NotSame(before, after);
        Assert.Equal(System.Data.ConnectionState.Closed, before.State);
    }

    [Fact]
    public async Task A_duplicate_key_which_the_units_expect_keeps_the_connection()
    {
        await CreateTableAsync();
        var before = await WriteAsync(async c =>
        {
            await c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')");
            return c.Inner;
        });
        var duplicate = await Assert.ThrowsAsync<SqliteException>(() => WriteAsync(c => c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'again')")));
        Assert.True(_dialect.IsDuplicateKey(duplicate));

        Assert.Same(before, await WriteAsync(c => Task.FromResult(c.Inner)));
    }

    [Fact]
    public async Task One_given_back_inside_a_transaction_is_closed_and_what_the_transaction_wrote_is_rolled_back()
    {
        await CreateTableAsync();
        var left = await WriteAsync(async c =>
        {
            var transaction = c.BeginImmediate(); // never committed nor disposed: a defect the connection must not carry on
            await c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')", transaction: transaction);
            return c.Inner;
        });

        var (fresh, rows) = await WriteAsync(async c => (c.Inner, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t")));
        Assert.NotSame(left, fresh);
        Assert.Equal(0, rows);
    }

    [Fact]
    public async Task Only_the_holder_of_the_writer_turn_gets_it()
    {
        await CreateTableAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => _dialect.OpenForWriteAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_loan_never_given_back_is_not_lent_again_and_the_next_writer_gets_a_fresh_connection()
    {
        await CreateTableAsync();
        SqliteConnection leaked;
        using (await _dialect.WaitForWriterTurnAsync(CancellationToken.None))
            leaked = ((SqliteWriterConnection)await _dialect.OpenForWriteAsync(CancellationToken.None)).Inner; // never disposed

        var fresh = await WriteAsync(async c =>
        {
            await c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')");
            return c.Inner;
        });
        Assert.NotSame(leaked, fresh);
        Assert.Equal(System.Data.ConnectionState.Closed, leaked.State);
    }

    [Fact]
    public async Task A_commit_that_SQLite_already_rolled_back_fails_with_its_own_error_and_the_next_writer_works()
    {
        await CreateTableAsync();
        // As on a full disk: the COMMIT fails and SQLite rolls the transaction back by itself, behind
        // Microsoft.Data.Sqlite's back (its rollback hook is off during COMMIT), so disposing the transaction then fails too.
        var failed = await Assert.ThrowsAsync<SqliteException>(() => Relational.Database.WriteInTransactionAsync(_dialect, async (connection, transaction) =>
        {
            var handle = ((SqliteWriterConnection)connection).Inner.Handle!;
            await connection.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')", transaction: transaction);
            SQLitePCL.raw.sqlite3_rollback_hook(handle, null, null);
            Assert.Equal(0, SQLitePCL.raw.sqlite3_exec(handle, "ROLLBACK"));
            return 0;
        }, CancellationToken.None));

        Assert.Contains("cannot commit", failed.Message, StringComparison.Ordinal); // the COMMIT's error, not the rollback's
        await WriteAsync(c => c.ExecuteAsync("INSERT INTO t (id, name) VALUES (2, 'b')"));
        Assert.Equal(["2"], (await WriteAsync(c => c.QueryAsync<long>("SELECT id FROM t"))).Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_database_file_deleted_under_the_kept_connection_refuses_writes_instead_of_writing_to_the_lost_file()
    {
        await CreateTableAsync();
        await WriteAsync(c => c.ExecuteAsync("INSERT INTO t (id, name) VALUES (1, 'a')"));
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(_folder, "store.db*"))
            File.Delete(file);

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => WriteAsync(c => c.ExecuteAsync("INSERT INTO t (id, name) VALUES (2, 'b')")));
        Assert.Contains("is gone", refused.Message, StringComparison.Ordinal);
    }
}
