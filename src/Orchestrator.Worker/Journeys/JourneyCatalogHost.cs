using Microsoft.Extensions.Options;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Worker.Journeys;

/// <summary>
/// Holds the journeys in force and reloads them when a file changes. New versions apply to new entries; instances
/// stay on their version unless the journey says <c>on_change: migrate</c>. A broken file is reported with
/// <c>file:line:col</c> and the last good version of its journey keeps running.
/// </summary>
public sealed partial class JourneyCatalogHost : IJourneyCatalogSource, IHostedService, IDisposable
{
    private readonly string _folder;
    private readonly bool _watch;
    private readonly ILogger<JourneyCatalogHost> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, JourneyDefinition> _lastGoodByFile = new(StringComparer.Ordinal);
    private JourneyCatalog _current = new([]);
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;

    public JourneyCatalogHost(IOptions<JourneysOptions> options, IHostEnvironment environment, ILogger<JourneyCatalogHost> logger)
    {
        _folder = Path.GetFullPath(options.Value.Folder, environment.ContentRootPath);
        _watch = options.Value.Watch;
        _logger = logger;
        Reload();
    }

    public JourneyCatalog Current => Volatile.Read(ref _current);

    /// <summary>Problems of the last load, for the health endpoint.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; private set; } = [];

    public void Reload()
    {
        lock (_gate)
        {
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
                if (_lastGoodByFile.TryGetValue(broken, out var lastGood))
                {
                    byFile[broken] = lastGood;
                    LogKeptLastGood(_logger, broken, lastGood.Id, lastGood.Version);
                }
            }
            // A journey id must not come from two files (a renamed file with an old copy kept): the valid new one wins.
            var latest = byFile.Values.GroupBy(j => j.Id, StringComparer.Ordinal).Select(g => g.First()).ToList();
            _lastGoodByFile = byFile;
            Diagnostics = result.Diagnostics;
            Volatile.Write(ref _current, _current.WithLatest(latest));
            var names = string.Join(", ", latest.Select(j => $"{j.Id}@{j.Version}"));
            LogLoaded(_logger, latest.Count, names);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_watch && Directory.Exists(_folder))
        {
            _debounce = new Timer(_ => Reload());
            _watcher = new FileSystemWatcher(_folder) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            // Editors save in several steps (temp file, rename); wait for the burst to end before reloading.
            FileSystemEventHandler changed = (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
            _watcher.Changed += changed;
            _watcher.Created += changed;
            _watcher.Deleted += changed;
            _watcher.Renamed += (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        }
        return Task.CompletedTask;
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
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Diagnostic}")]
    private static partial void LogError(ILogger logger, string diagnostic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Diagnostic}")]
    private static partial void LogWarning(ILogger logger, string diagnostic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File} has errors: journey {JourneyId} keeps running on its last good version {Version}")]
    private static partial void LogKeptLastGood(ILogger logger, string file, string journeyId, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} journeys in force: {Journeys}")]
    private static partial void LogLoaded(ILogger logger, int count, string journeys);
}
