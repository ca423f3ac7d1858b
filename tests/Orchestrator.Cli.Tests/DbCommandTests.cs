using Microsoft.Data.Sqlite;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

/// <summary><c>orchestrator db migrate</c> on the database appsettings.json names: a fresh SQLite file gets every migration, a current one none.</summary>
public sealed class DbCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orch-db").FullName;

    public void Dispose() => Directory.Delete(_folder, true);

    [Fact]
    public async Task Migrate_applies_what_the_configured_database_lacks_and_then_nothing()
    {
        var config = Path.Combine(_folder, "appsettings.json");
        await File.WriteAllTextAsync(config, """{"Orchestrator":{"Storage":{"Provider":"Sqlite","ConnectionString":"Data Source=data/store.db"}}}""");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(0, DbCommand.Migrate(config, output, errors));
        Assert.Equal(0, DbCommand.Migrate(config, output, errors));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var database = Path.Combine(_folder, "data", "store.db");
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(version, ', ') FROM (SELECT version FROM schema_migrations ORDER BY version)";
        var versions = (string)(await command.ExecuteScalarAsync())!;
        Assert.Equal($"Sqlite: applied migration(s) {versions}; the schema is at {versions.Split(", ")[^1]}", lines[0].Trim());
        Assert.Equal($"Sqlite: the schema is current (migration {versions.Split(", ")[^1]})", lines[1].Trim());
        Assert.Empty(errors.ToString());
    }

    [Fact]
    public void A_database_folder_that_cannot_be_created_fails_with_the_reason()
    {
        var blocker = Path.Combine(_folder, "data");
        File.WriteAllText(blocker, "a file where the folder should be");
        var config = Path.Combine(_folder, "appsettings.json");
        File.WriteAllText(config, """{"Orchestrator":{"Storage":{"ConnectionString":"Data Source=data/store.db"}}}""");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(1, DbCommand.Migrate(config, output, errors));
        Assert.Contains($"the folder {blocker} for the SQLite database cannot be created", errors.ToString(), StringComparison.Ordinal);
    }
}
