using System.ComponentModel.DataAnnotations;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Orchestrator.Storage;

public enum StorageProvider
{
    /// <summary>A SQLite file in WAL mode: nothing to install, one worker process at a time writes.</summary>
    Sqlite,

    /// <summary>SQL Server (read committed snapshot on is recommended): several workers share the state.</summary>
    SqlServer,
}

/// <summary>Where journey state, outcomes, wakeups and the outbox live (section <c>Orchestrator:Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Orchestrator:Storage";

    /// <summary>The default SQLite database, relative to the content root (the worker) or the current folder (the CLI).</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/orchestrator.db";

    /// <summary>Default <see cref="StorageProvider.Sqlite"/>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Default for SQLite <see cref="DefaultSqliteConnectionString"/> (its folder is created when missing);
    /// required for SQL Server.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a statement, or a unit of work waiting for another one of the same customer, may take, in seconds. Default 30.</summary>
    [Range(1, 3_600)]
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long the HTML and text of a send are kept after it was sent or failed (a duration: <c>7d</c>); then they are
    /// emptied by the hourly cleanup. The outbox needs them only until the hand-off, and the outcomes keep subject and
    /// recipient; about 4 KB a send, most of the database otherwise. Default 7d.
    /// </summary>
    public string SendBodyRetention { get; set; } = "7d";

    public TimeSpan SendBodyRetentionSpan => Orchestrator.Core.Journeys.Duration.Parse(SendBodyRetention);

    /// <summary>Apply pending schema migrations when the host starts. Default true; with false, run <c>orchestrator db migrate</c> before the workers start.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>The connection string in effect: <see cref="ConnectionString"/>, or the SQLite default.</summary>
    public string GetEffectiveConnectionString() => !string.IsNullOrWhiteSpace(ConnectionString)
        ? ConnectionString
        : Provider == StorageProvider.Sqlite
            ? DefaultSqliteConnectionString
            : throw new InvalidOperationException($"{SectionName}:ConnectionString is required for provider {Provider}");
}

/// <summary>Cross-field checks; every failure is reported, not just the first.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
            failures.Add($"{StorageOptions.SectionName}:Provider '{options.Provider}' is not one of {string.Join(", ", Enum.GetNames<StorageProvider>())}");
        else if (options.Provider == StorageProvider.SqlServer && string.IsNullOrWhiteSpace(options.ConnectionString))
            failures.Add($"{StorageOptions.SectionName}:ConnectionString is required when Provider is SqlServer (e.g. \"Server=localhost;Database=orchestrator;User Id=...;Password=...;TrustServerCertificate=true\")");
        else if (!string.IsNullOrWhiteSpace(options.ConnectionString) && ConnectionStringError(options.Provider, options.ConnectionString) is { } error)
            failures.Add($"{StorageOptions.SectionName}:ConnectionString is not a valid {options.Provider} connection string: {error}");
        if (!Orchestrator.Core.Journeys.Duration.TryParse(options.SendBodyRetention, out _))
            failures.Add($"{StorageOptions.SectionName}:SendBodyRetention '{options.SendBodyRetention}' is not a duration: {Orchestrator.Core.Journeys.Duration.Help}");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static string? ConnectionStringError(StorageProvider provider, string connectionString)
    {
        try
        {
            if (provider == StorageProvider.Sqlite)
            {
                var sqlite = new SqliteConnectionStringBuilder(connectionString);
                if (string.IsNullOrWhiteSpace(sqlite.DataSource) || sqlite.DataSource == ":memory:" || sqlite.Mode == SqliteOpenMode.Memory)
                    return "Data Source must name a file (each unit of work opens its own connection, so an in-memory database would be empty)";
            }
            else
            {
                if (string.IsNullOrWhiteSpace(new SqlConnectionStringBuilder(connectionString).DataSource))
                    return "Server (Data Source) is missing";
            }
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return ex.Message;
        }
    }
}
