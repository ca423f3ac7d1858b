using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Storage;

namespace Orchestrator.Cli.Commands;

/// <summary>What every command shares: exit codes, the journeys option, settings and diagnostics output.</summary>
internal static class CliSupport
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int InvalidJourneys = 2;

    public static Option<string> JourneysOption() => new("--journeys", "-j")
    {
        Description = "Folder with the journey files (*.yaml) and templates/",
        DefaultValueFactory = _ => "journeys",
    };

    public static Option<string?> ConfigOption() => new("--config")
    {
        Description = "appsettings.json to read the worker's settings from, e.g. Orchestrator:Sending and Orchestrator:Intake:Limits (default: ./appsettings.json when present); Orchestrator__* environment variables override it",
    };

    public static Option<string?> StoreOption() => new("--store")
    {
        Description = "SQLite store file to read (default: Orchestrator:Storage of appsettings.json, e.g. the demo's data/orchestrator.db)",
    };

    /// <summary>
    /// The store a read command looks at: <paramref name="storeFile"/> (a SQLite file that must exist), else the
    /// worker's <c>Orchestrator:Storage</c> from appsettings.json and the environment, relative to that file's folder.
    /// </summary>
    public static JourneyStorage? OpenStore(string? storeFile, string? configPath, TextWriter errors)
    {
        YieldToTheWorker();
        StorageOptions options;
        string baseDirectory;
        if (storeFile is not null)
        {
            if (!File.Exists(storeFile))
            {
                errors.WriteLine($"{storeFile}: no such store (a SQLite file written by the worker or by simulate --store)");
                return null;
            }
            options = new StorageOptions { ConnectionString = $"Data Source={Path.GetFullPath(storeFile)}" };
            baseDirectory = Directory.GetCurrentDirectory();
        }
        else
        {
            var path = ConfigPath(configPath);
            options = Section<StorageOptions>(configPath, StorageOptions.SectionName);
            baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (options.Provider == StorageProvider.Sqlite)
            {
                var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.GetEffectiveConnectionString()).DataSource;
                if (!File.Exists(Path.GetFullPath(file, baseDirectory)))
                {
                    errors.WriteLine($"{Path.GetFullPath(file, baseDirectory)}: no store yet (run the worker, e.g. with --demo, or pass --store <file>)");
                    return null;
                }
            }
        }
        try
        {
            var storage = JourneyStorage.Create(options, TimeProvider.System, baseDirectory);
            // A store of an older build gets the tables the analysis reads; nothing is applied when it is current.
            storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
            return storage;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
                errors.WriteLine(failure);
            return null;
        }
    }

    /// <summary>
    /// Commands that read a store run below normal priority: on the worker's machine (SQLite) a report competes with the
    /// worker for the same cores, and reading the past must not slow down deciding the present. Lock-wise they never
    /// block it (WAL, their own connections); this is about CPU.
    /// </summary>
    private static void YieldToTheWorker()
    {
        try
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            self.PriorityClass = System.Diagnostics.ProcessPriorityClass.BelowNormal;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or PlatformNotSupportedException or InvalidOperationException)
        {
            // Not allowed here: run at normal priority.
        }
    }

    /// <summary>Sending rules from appsettings.json and ORCHESTRATOR__* style environment variables, as the worker reads them.</summary>
    public static SendingOptions LoadSending(string? configPath)
    {
        var options = Section<SendingOptions>(configPath, SendingOptions.SectionName);
        if (options.FrequencyCap is { } cap && !Duration.TryParse(cap.Period, out _))
            throw new InvalidOperationException($"{SendingOptions.SectionName}:FrequencyCap:Period '{cap.Period}' is not a duration: {Duration.Help}");
        return options;
    }

    /// <summary>Orchestrator:Analysis from appsettings.json and the environment; a bad duration is reported and the default used.</summary>
    public static Core.Analysis.AnalysisOptions LoadAnalysis(string? configPath)
    {
        var options = Section<Core.Analysis.AnalysisOptions>(configPath, Core.Analysis.AnalysisOptions.SectionName);
        if (options.Problems().FirstOrDefault() is { } problem)
            throw new InvalidOperationException(problem);
        return options;
    }

    /// <summary>
    /// The event size limits (<c>Orchestrator:Intake:Limits</c>) from appsettings.json and the environment, as the worker
    /// reads them; null, with every problem written, when one is out of its range (the worker would not start).
    /// </summary>
    public static Core.Processing.EventLimits? LoadLimits(string? configPath, TextWriter errors)
    {
        var limits = Section<Core.Processing.EventLimits>(configPath, Core.Processing.EventLimits.SectionName);
        var problems = limits.SettingProblems();
        foreach (var problem in problems)
            errors.WriteLine(problem);
        return problems.Count == 0 ? limits : null;
    }

    /// <summary>The worker's storage as appsettings.json and the environment configure it, relative paths from that file's folder.</summary>
    public static JourneyStorage ConfiguredStorage(string? configPath)
    {
        var options = Section<StorageOptions>(configPath, StorageOptions.SectionName);
        return JourneyStorage.Create(options, TimeProvider.System, Path.GetDirectoryName(Path.GetFullPath(ConfigPath(configPath)))!);
    }

    private static string ConfigPath(string? configPath) => configPath ?? Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");

    /// <summary>One section of appsettings.json and ORCHESTRATOR__* style environment variables, as the worker reads it.</summary>
    private static T Section<T>(string? configPath, string sectionName) where T : new()
    {
        var builder = new ConfigurationBuilder();
        var path = ConfigPath(configPath);
        if (File.Exists(path))
            builder.AddJsonFile(Path.GetFullPath(path), optional: false);
        builder.AddEnvironmentVariables();
        var options = new T();
        builder.Build().GetSection(sectionName).Bind(options);
        return options;
    }

    /// <summary>Loads and prints every diagnostic as file:line:col: message, in file order; the caller checks <see cref="LoadResult.HasErrors"/>.</summary>
    public static LoadResult Load(string folder, TextWriter errors)
    {
        var result = JourneyLoader.LoadFolder(folder);
        foreach (var diagnostic in result.Diagnostics.OrderBy(d => d.Location.File, StringComparer.Ordinal).ThenBy(d => d.Location.Line).ThenBy(d => d.Location.Column))
            errors.WriteLine(diagnostic.ToString());
        return result;
    }

    /// <summary>
    /// The folder's journeys as the versions in force, with every version the store keeps (journey_versions), so that
    /// customers on an earlier version are explained by the version they ran.
    /// </summary>
    public static JourneyCatalog CatalogWithStoredVersions(LoadResult loaded, string folder, JourneyStorage storage)
    {
        var stored = StoredVersions.Parse(storage.Versions.LoadAllAsync(CancellationToken.None).GetAwaiter().GetResult(), Path.GetFullPath(folder));
        return new JourneyCatalog(loaded.Journeys, stored.All);
    }

    /// <summary>A journey by id, or by the path of its file.</summary>
    public static JourneyDefinition? FindJourney(string folder, string idOrPath, TextWriter errors, out int exitCode)
    {
        exitCode = Ok;
        if (File.Exists(idOrPath))
            folder = Path.GetDirectoryName(idOrPath) is { Length: > 0 } dir ? dir : ".";
        var result = Load(folder, errors);
        if (result.HasErrors)
        {
            exitCode = InvalidJourneys;
            return null;
        }
        var journey = result.Journeys.FirstOrDefault(j => j.Id == idOrPath || Path.GetFullPath(j.SourceFile) == Path.GetFullPath(idOrPath));
        if (journey is null)
        {
            errors.WriteLine($"no journey '{idOrPath}' in {folder}; known: {string.Join(", ", result.Journeys.Select(j => j.Id))}");
            exitCode = Failed;
        }
        return journey;
    }
}
