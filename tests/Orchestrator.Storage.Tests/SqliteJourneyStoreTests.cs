using Dapper;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Storage.Tests;

/// <summary>The contract on SQLite: real files in WAL mode, in a temporary folder per test that is created on migrate.</summary>
public sealed class SqliteJourneyStoreTests : JourneyStoreContract
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orchestrator-storage-tests", Guid.NewGuid().ToString("N"));
    private int _databases;

    protected override Task<JourneyStorage> CreateDatabaseAsync()
    {
        var file = Path.Combine(_folder, "data", $"orchestrator-{++_databases}.db");
        return Task.FromResult(JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={file}" }, Time));
    }

    public override Task DisposeAsync()
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
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_database_is_a_file_in_wal_mode()
    {
        Assert.True(File.Exists(Path.Combine(_folder, "data", "orchestrator-1.db")));
        Assert.Equal("wal", await ScalarAsync<string>("PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task The_wakeup_claim_reads_due_rows_in_index_order_and_sorts_nothing()
    {
        // A sort (a temp b-tree) or a grouping would visit every due row at every claim: quadratic in a backlog.
        await using var connection = await Storage.Dialect.OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync("EXPLAIN QUERY PLAN " + Sqlite.SqliteSql.Statements.ClaimWakeups,
            new { now = "2026-03-02T08:00:00.0000000Z", leaseEnd = "2026-03-02T08:01:00.0000000Z", max = 200 });
        var plan = string.Join("\n", rows.Select(r => (string)((IDictionary<string, object>)r)["detail"]));
        Assert.Contains("ix_wakeups_due_at_customer_id", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_send_claim_reads_due_sends_in_index_order_and_sorts_nothing()
    {
        // Sends queued by one batch share their next_attempt_at, and the claim breaks the tie by send_key: without it in
        // the index every claim of 16 sorted every due send (a profile of 20,000 queued sends: 60% of the outbox's time).
        await using var connection = await Storage.Dialect.OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync("EXPLAIN QUERY PLAN " + Sqlite.SqliteSql.Statements.ClaimSends,
            new { workerId = "w", now = "2026-03-02T08:00:00.0000000Z", max = 16 });
        var plan = string.Join("\n", rows.Select(r => (string)((IDictionary<string, object>)r)["detail"]));
        Assert.Contains("ix_sends_status_next_attempt_at_send_key", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(Relational.SqlStatements.SelectOutboxBacklog), "ix_sends_status_next_attempt_at_send_key")]
    [InlineData(nameof(Relational.SqlStatements.SelectWakeupBacklog), "ix_wakeups_due_at_customer_id")]
    public async Task The_backlog_is_counted_from_an_index_alone(string statement, string index)
    {
        // Health and every scrape read it: with 100,000 queued sends a table scan would be the slowest query the worker runs.
        var sql = (string)typeof(Relational.SqlStatements).GetProperty(statement)!.GetValue(Sqlite.SqliteSql.Statements)!;
        await using var connection = await Storage.Dialect.OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync("EXPLAIN QUERY PLAN " + sql, new { now = "2026-03-02T08:00:00.0000000Z" });
        var plan = string.Join("\n", rows.Select(r => (string)((IDictionary<string, object>)r)["detail"]));
        Assert.Contains($"COVERING INDEX {index}", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_statement_compiles_against_the_migrated_schema()
    {
        await using var connection = (SqliteConnection)await Storage.Dialect.OpenAsync(CancellationToken.None);
        var failures = new List<string>();
        foreach (var (name, sql) in StatementCatalog.Sqlite())
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.Prepare();
            }
            catch (SqliteException ex)
            {
                failures.Add($"{name}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Times_are_stored_as_sortable_utc_text()
    {
        await SaveAsync(TestData.Decision(TestData.RichState("c-1"), wakeups: [new("c-1", "i-active", new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(1)).AddTicks(5))]));
        await using var connection = await Storage.Dialect.OpenAsync(CancellationToken.None);
        Assert.Equal("2026-03-02T08:30:00.0000005Z", await connection.ExecuteScalarAsync<string>("SELECT due_at FROM wakeups"));
    }

    [Fact]
    public async Task Json_columns_keep_text_readable()
    {
        await SaveAsync(TestData.Decision(TestData.RichState("c-1")));
        Assert.Contains("\"city\":\"Zürich\"", await ScalarAsync<string>("SELECT profile_json FROM customers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_key_is_recognized()
    {
        await using var connection = await Storage.Dialect.OpenAsync(CancellationToken.None);
        const string insert = "INSERT INTO inbox (event_id, customer_id, event_type, received_at) VALUES ('e-1', 'c-1', 't', 'x')";
        await connection.ExecuteAsync(insert);
        var duplicate = await Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync(insert));
        Assert.True(Storage.Dialect.IsDuplicateKey(duplicate));
    }
}
