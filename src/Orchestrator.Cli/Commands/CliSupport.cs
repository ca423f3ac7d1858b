using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

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
        Description = "appsettings.json to read Orchestrator:Sending from (default: ./appsettings.json when present)",
    };

    /// <summary>Sending rules from appsettings.json and ORCHESTRATOR__* style environment variables, as the worker reads them.</summary>
    public static SendingOptions LoadSending(string? configPath)
    {
        var builder = new ConfigurationBuilder();
        var path = configPath ?? Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        if (File.Exists(path))
            builder.AddJsonFile(Path.GetFullPath(path), optional: false);
        builder.AddEnvironmentVariables();
        var options = new SendingOptions();
        builder.Build().GetSection(SendingOptions.SectionName).Bind(options);
        if (options.FrequencyCap is { } cap && !Duration.TryParse(cap.Period, out _))
            throw new InvalidOperationException($"{SendingOptions.SectionName}:FrequencyCap:Period '{cap.Period}' is not a duration: {Duration.Help}");
        return options;
    }

    /// <summary>Loads and reports; null when there are errors (already printed as file:line:col: message).</summary>
    public static LoadResult Load(string folder, TextWriter errors)
    {
        var result = JourneyLoader.LoadFolder(folder);
        foreach (var diagnostic in result.Diagnostics.OrderBy(d => d.Location.File, StringComparer.Ordinal).ThenBy(d => d.Location.Line).ThenBy(d => d.Location.Column))
            errors.WriteLine(diagnostic.ToString());
        return result;
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
