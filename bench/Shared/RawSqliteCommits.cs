using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Bench;

/// <summary>
/// The raw part every store figure is read against: one-row write transactions on a fresh WAL file with SQLite's
/// default synchronous FULL, as the worker's store commits (every commit on disk before the answer). Compiled into
/// both benchmarks (the CLI's <c>bench store</c> and <c>bench/Orchestrator.Worker.Bench</c>), so both measure the same.
/// </summary>
internal static class RawSqliteCommits
{
    public static double PerSecond(int transactions)
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-raw").FullName;
        try
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "raw.db")};Pooling=false");
            connection.Open();
            using (var setup = connection.CreateCommand())
            {
                setup.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;";
                setup.ExecuteNonQuery();
            }
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < transactions; i++)
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO t (id, body) VALUES ($id, $body)";
                insert.Parameters.AddWithValue("$id", i.ToString(CultureInfo.InvariantCulture));
                insert.Parameters.AddWithValue("$body", "{\"a\":1}");
                insert.ExecuteNonQuery();
                transaction.Commit();
            }
            return transactions / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, true);
        }
    }
}
