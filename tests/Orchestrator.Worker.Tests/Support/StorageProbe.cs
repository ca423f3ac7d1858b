using Microsoft.Data.Sqlite;
using Orchestrator.Core.Engine;
using Orchestrator.Storage;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>Reads the worker's SQLite database from outside the worker, as an analyst would.</summary>
internal static class StorageProbe
{
    public static async Task<IReadOnlyList<Outcome>> ReadOutcomesAsync(string database)
    {
        if (!File.Exists(database))
            return [];
        var storage = JourneyStorage.Create(new StorageOptions { Provider = StorageProvider.Sqlite, ConnectionString = $"Data Source={database}", MigrateOnStart = false }, TimeProvider.System);
        try
        {
            return await storage.Outcomes.ReadOutcomesAsync(CancellationToken.None);
        }
        catch (SqliteException)
        {
            return []; // the worker has not created its tables yet
        }
    }

    public static async Task<int> PendingSendsAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sends WHERE status IN ('queued', 'sending')";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row of <paramref name="sql"/>, as text; empty while the table does not exist.</summary>
    public static async Task<IReadOnlyList<string>> ColumnAsync(string database, string sql)
    {
        if (!File.Exists(database))
            return [];
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }
        catch (SqliteException)
        {
            return []; // the worker has not created its tables yet
        }
        return values;
    }
}
