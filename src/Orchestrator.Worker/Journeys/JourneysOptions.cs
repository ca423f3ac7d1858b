using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Orchestrator.Worker.Journeys;

/// <summary>Where the journeys live (section <c>Orchestrator:Journeys</c>).</summary>
public sealed class JourneysOptions
{
    public const string SectionName = "Orchestrator:Journeys";

    /// <summary>Folder with the journey files and <c>templates/</c>, relative to the content root. Default <c>journeys</c>.</summary>
    [Required]
    public string Folder { get; set; } = "journeys";

    /// <summary>Reload when a file changes. Default true.</summary>
    public bool Watch { get; set; } = true;
}

/// <summary>A journeys folder that does not exist is a wrong setting, not an empty catalog: the worker does not start.</summary>
internal sealed class JourneysOptionsValidator(IHostEnvironment environment) : IValidateOptions<JourneysOptions>
{
    public ValidateOptionsResult Validate(string? name, JourneysOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Folder))
            return ValidateOptionsResult.Skip; // [Required] reports it
        var folder = Path.GetFullPath(options.Folder, environment.ContentRootPath);
        return Directory.Exists(folder)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{JourneysOptions.SectionName}:Folder: '{options.Folder}' does not exist (looked for {folder}); point it at the folder that holds the journey *.yaml files and templates/");
    }
}
