using Microsoft.Extensions.Options;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Worker.Journeys;

/// <summary>
/// Holds the journeys in force and reloads them when a file changes. New versions apply to new entries; instances
/// stay on their version unless the journey says <c>on_change: migrate</c>. Every version put in force is stored in
/// the database with its text, and every stored version is loaded at start, so pinned customers finish on their
/// version after a restart or on another worker. A broken file is reported with <c>file:line:col</c> and the last
/// good version of its journey keeps running: the one this process ran, else the one stored as in force last.
/// </summary>
public sealed partial class JourneyCatalogHost : IJourneyCatalogSource, IHostedService, IDisposable
{
    private readonly string _folder;
    private readonly bool _watch;
    private readonly IJourneyVersionStore _versions;
    private readonly TimeProvider _time;
    private readonly ILogger<JourneyCatalogHost> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, JourneyDefinition> _lastGoodByFile = new(StringComparer.Ordinal);
    private JourneyCatalog _current = new([]);
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;

    public JourneyCatalogHost(IOptions<JourneysOptions> options, IHostEnvironment environment, IJourneyVersionStore versions, TimeProvider time,
        ILogger<JourneyCatalogHost> logger)
    {
        _folder = Path.GetFullPath(options.Value.Folder, environment.ContentRootPath);
        _watch = options.Value.Watch;
        _versions = versions;
        _time = time;
        _logger = logger;
    }

    public JourneyCatalog Current => Volatile.Read(ref _current);

    /// <summary>Problems of the last load, for the health endpoint and the overview page.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; private set; } = [];

    /// <summary>
    /// Versions that active customers are pinned to and this worker has not loaded (not stored, or no longer
    /// parsing): those customers are held, neither moved nor ended, until the version is back.
    /// </summary>
    public IReadOnlyList<HeldVersion> Held { get; private set; } = [];

    /// <summary>Why the stored versions could not be read or written at the last load, or null.</summary>
    public string? VersionStoreProblem { get; private set; }

    /// <summary>
    /// Loads the files and the stored versions (the database is migrated by then: hosted services start after the
    /// storage's starting phase), before the intake and the scheduler start.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken).ConfigureAwait(false);
        if (_watch && Directory.Exists(_folder))
        {
            _debounce = new Timer(_ => _ = ReloadInBackgroundAsync());
            _watcher = new FileSystemWatcher(_folder) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            // Editors save in several steps (temp file, rename); wait for the burst to end before reloading.
            FileSystemEventHandler changed = (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
            _watcher.Changed += changed;
            _watcher.Created += changed;
            _watcher.Deleted += changed;
            _watcher.Renamed += (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReloadFailed(_logger, ex);
        }
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            VersionStoreProblem = null;
            var stored = await ReadStoredAsync(cancellationToken).ConfigureAwait(false);
            var result = JourneyLoader.LoadFolder(_folder);
            foreach (var diagnostic in result.Diagnostics)
            {
                if (diagnostic.Severity == DiagnosticSeverity.Error)
                    LogError(_logger, diagnostic.ToString());
                else
                    LogWarning(_logger, diagnostic.ToString());
            }
            var byFile = result.Journeys.ToDictionary(j => j.SourceFile, StringComparer.Ordinal);
            foreach (var broken in result.BrokenFiles)
            {
                if ((_lastGoodByFile.GetValueOrDefault(broken) ?? stored.LastInForce(Path.GetFileName(broken))) is { } lastGood)
                {
                    byFile[broken] = lastGood;
                    LogKeptLastGood(_logger, broken, lastGood.Id, lastGood.Version);
                }
            }
            // A journey id must not come from two files (a renamed file with an old copy kept): the valid new one wins.
            var latest = byFile.Values.GroupBy(j => j.Id, StringComparer.Ordinal).Select(g => g.First()).ToList();
            _lastGoodByFile = byFile;
            Diagnostics = result.Diagnostics;
            var catalog = new JourneyCatalog(latest, _current.AllVersions.Concat(stored.All));
            Volatile.Write(ref _current, catalog);
            var names = string.Join(", ", latest.Select(j => $"{j.Id}@{j.Version}"));
            LogLoaded(_logger, latest.Count, names);
            await RecordInForceAsync(latest, stored, catalog, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<StoredVersions> ReadStoredAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stored = StoredVersions.Parse(await _versions.LoadAllAsync(cancellationToken).ConfigureAwait(false), _folder);
            foreach (var problem in stored.Problems)
                LogStoredProblem(_logger, problem.Message);
            return stored;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The files still run; customers pinned to versions only the database has are held, and health says why.
            VersionStoreProblem = $"the stored journey versions could not be read: {ex.GetBaseException().Message}";
            LogVersionStoreFailed(_logger, VersionStoreProblem);
            return StoredVersions.None;
        }
    }

    private async Task RecordInForceAsync(List<JourneyDefinition> latest, StoredVersions stored, JourneyCatalog catalog, CancellationToken cancellationToken)
    {
        try
        {
            await _versions.MarkInForceAsync(latest, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            var active = await _versions.ActiveVersionsAsync(cancellationToken).ConfigureAwait(false);
            Held = active.Where(a => catalog.Find(a.JourneyId, a.Version) is null)
                .Select(a => new HeldVersion(a.JourneyId, a.Version, a.Active,
                    stored.Problems.FirstOrDefault(p => p.JourneyId == a.JourneyId && p.Version == a.Version)?.Message
                    ?? "this version is not stored (it ran before versions were kept in the database)"))
                .ToList();
            foreach (var held in Held)
                LogHeld(_logger, held.Active, held.JourneyId, held.Version, held.Reason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            VersionStoreProblem = $"the stored journey versions could not be written: {ex.GetBaseException().Message}";
            LogVersionStoreFailed(_logger, VersionStoreProblem);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_watcher is not null)
            _watcher.EnableRaisingEvents = false;
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Diagnostic}")]
    private static partial void LogError(ILogger logger, string diagnostic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Diagnostic}")]
    private static partial void LogWarning(ILogger logger, string diagnostic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File} has errors: journey {JourneyId} keeps running on its last good version {Version}")]
    private static partial void LogKeptLastGood(ILogger logger, string file, string journeyId, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} journeys in force: {Journeys}")]
    private static partial void LogLoaded(ILogger logger, int count, string journeys);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}; customers pinned to it are held")]
    private static partial void LogStoredProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} customer(s) in journey {JourneyId} are held: their version {Version} is not loaded ({Reason}); they wait, neither moved nor ended")]
    private static partial void LogHeld(ILogger logger, int count, string journeyId, string version, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}")]
    private static partial void LogVersionStoreFailed(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloading the journeys failed; the journeys in force stay as they were")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}

/// <summary>A version active customers are pinned to that the worker has not loaded, and why.</summary>
public sealed record HeldVersion(string JourneyId, string Version, int Active, string Reason);
