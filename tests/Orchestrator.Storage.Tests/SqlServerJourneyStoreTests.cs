using Dapper;
using Microsoft.Data.SqlClient;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// The contract on SQL Server, when <c>ORCHESTRATOR_TEST_SQLSERVER</c> holds a connection string whose login may create
/// databases; otherwise every test reports SKIPPED with that reason. Each test creates its own database (read committed
/// snapshot on, as recommended for production) and drops it afterwards.
/// </summary>
public sealed class SqlServerJourneyStoreTests : JourneyStoreContract
{
    public const string EnvironmentVariable = "ORCHESTRATOR_TEST_SQLSERVER";

    private static readonly string? ServerConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
    private readonly List<string> _databases = [];

    public override async Task InitializeAsync()
    {
        Skip.If(string.IsNullOrWhiteSpace(ServerConnectionString),
            $"{EnvironmentVariable} is not set; set it to a SQL Server connection string (a login that may create databases) to run the SQL Server suite");
        await base.InitializeAsync();
    }

    protected override async Task<JourneyStorage> CreateDatabaseAsync()
    {
        var name = "orchestrator_test_" + Guid.NewGuid().ToString("N");
        await using (var master = await OpenMasterAsync())
        {
            // The name is made here, never taken from input: DDL cannot take it as a parameter.
            await master.ExecuteAsync($"CREATE DATABASE [{name}];");
            await master.ExecuteAsync($"ALTER DATABASE [{name}] SET READ_COMMITTED_SNAPSHOT ON;");
        }
        _databases.Add(name);
        var connectionString = new SqlConnectionStringBuilder(ServerConnectionString) { InitialCatalog = name }.ConnectionString;
        return JourneyStorage.Create(new StorageOptions { Provider = StorageProvider.SqlServer, ConnectionString = connectionString }, Time);
    }

    public override async Task DisposeAsync()
    {
        if (_databases.Count == 0)
            return;
        SqlConnection.ClearAllPools();
        await using var master = await OpenMasterAsync();
        foreach (var name in _databases)
            await master.ExecuteAsync($"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}];");
    }

    private static async Task<SqlConnection> OpenMasterAsync()
    {
        var connection = new SqlConnection(new SqlConnectionStringBuilder(ServerConnectionString) { InitialCatalog = "master" }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
