using System.ComponentModel.DataAnnotations;

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
