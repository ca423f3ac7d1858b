using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;
using Orchestrator.Storage.Relational;
using Orchestrator.Storage.Sqlite;
using Orchestrator.Storage.SqlServer;

namespace Orchestrator.Storage;

/// <summary>
/// The database behind the worker and the CLI: Core's storage ports for the configured provider, and the schema
/// migrations. Usable without dependency injection: <c>JourneyStorage.Create(options, TimeProvider.System)</c>.
/// </summary>
public sealed class JourneyStorage
{
    private readonly StorageDialect _dialect;
    private readonly TimeProvider _time;
    private readonly GuardedJourneyStore _store;

    // Health answers quickly: a database that makes a write wait longer than this is reported, not waited for.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private JourneyStorage(StorageDialect dialect, TimeProvider time)
    {
        _dialect = dialect;
        _time = time;
        _store = new GuardedJourneyStore(new RelationalJourneyStore(dialect, time), dialect);
        Store = _store;
        Outbox = new RelationalOutbox(dialect, time);
        Wakeups = new RelationalWakeupStore(dialect);
        Outcomes = new RelationalOutcomeReader(dialect);
        Analysis = new RelationalAnalysisReader(dialect);
        Versions = new RelationalJourneyVersionStore(dialect);
        Backlog = new RelationalBacklogReader(dialect);
        IntakeHolds = new RelationalIntakeHoldStore(dialect);
    }

    public StorageProvider Provider => _dialect.Provider;

    /// <summary>Closes the connection SQLite keeps for writes (statements finalized, the WAL checkpointed when no other
    /// connection is open), so that a tool that wrote a store leaves one file; writing again opens it again.</summary>
    public Task CloseWriterAsync(CancellationToken cancellationToken) => _dialect.CloseWriterAsync(cancellationToken);

    /// <summary>For tests that look at rows directly.</summary>
    internal StorageDialect Dialect => _dialect;

    /// <summary>Profiles, instances, the inbox; one transaction per unit of work.</summary>
    public IJourneyStore Store { get; }

    public IOutbox Outbox { get; }

    public IWakeupStore Wakeups { get; }

    public IOutcomeReader Outcomes { get; }

    /// <summary>The read side for reports, traces and maps, on connections of its own.</summary>
    public IAnalysisReader Analysis { get; }

    /// <summary>The journey versions that have been in force, with their text.</summary>
    public IJourneyVersionStore Versions { get; }

    /// <summary>Queued sends and due wakeups, counted for health and gauges.</summary>
    public IBacklogReader Backlog { get; }

    /// <summary>The workers' intake holds, so that every worker's timers wait for every worker's backlog.</summary>
    public IIntakeHoldStore IntakeHolds { get; }

    /// <summary>
    /// Whether the database takes writes now (a write transaction begun and rolled back) and the last unit of work
    /// committed: null when both hold, else why not, for <c>/health</c>.
    /// </summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken) =>
        await _dialect.ProbeAsync(ProbeTimeout, cancellationToken).ConfigureAwait(false)
        ?? (_store.LastFailure is { } failure ? "the last unit of work failed: " + failure : null);

    /// <summary>Deletes events received before <paramref name="before"/> from the event log, in batches; returns how many.</summary>
    public Task<int> DeleteExpiredEventsAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        RetentionCleanup.RepeatAsync(_dialect, _dialect.Sql.DeleteExpiredEvents, before, batchSize, cancellationToken);

    /// <summary>Empties the bodies of sends sent or failed before <paramref name="before"/>, in batches; returns how many.</summary>
    public Task<int> PruneSendBodiesAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        RetentionCleanup.RepeatAsync(_dialect, _dialect.Sql.PruneSendBodies, before, batchSize, cancellationToken);

    /// <summary>The migration versions this build knows, in order.</summary>
    public IReadOnlyList<int> KnownMigrations => _dialect.Migrations.Select(m => m.Version).ToList();

    /// <summary>
    /// Applies the migrations the database lacks (creating the SQLite file's folder first) and returns their versions;
    /// empty when the schema is current. Safe to run at every start and from several processes at once.
    /// </summary>
    public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken)
    {
        return _dialect.Guard(() =>
        {
            if (_dialect is SqliteDialect sqlite)
                sqlite.EnsureFolder();
            return Migrator.MigrateAsync(_dialect, _time, cancellationToken);
        });
    }

    /// <summary>
    /// Storage for <paramref name="options"/>, validated as the host would. A relative SQLite path is resolved against
    /// <paramref name="baseDirectory"/> (default: the current folder).
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are not usable; the message lists every problem.</exception>
    public static JourneyStorage Create(StorageOptions options, TimeProvider time, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var failures = new List<string>();
        var annotations = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), annotations, validateAllProperties: true))
            failures.AddRange(annotations.Select(r => $"{StorageOptions.SectionName}: {r.ErrorMessage}"));
        if (new StorageOptionsValidator().Validate(null, options) is { Failed: true } result)
            failures.AddRange(result.Failures);
        if (failures.Count > 0)
            throw new OptionsValidationException(StorageOptions.SectionName, typeof(StorageOptions), failures);

        StorageDialect dialect = options.Provider switch
        {
            StorageProvider.SqlServer => new SqlServerDialect(options.GetEffectiveConnectionString(), options.CommandTimeoutSeconds),
            _ => new SqliteDialect(AbsoluteSqlitePath(options.GetEffectiveConnectionString(), baseDirectory), options.CommandTimeoutSeconds),
        };
        return new JourneyStorage(dialect, time);
    }

    private static string AbsoluteSqlitePath(string connectionString, string? baseDirectory)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (baseDirectory is not null && !builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            builder.DataSource = Path.GetFullPath(builder.DataSource, baseDirectory);
        return builder.ToString();
    }
}
