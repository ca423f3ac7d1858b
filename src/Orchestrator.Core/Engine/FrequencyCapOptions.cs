using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Core.Engine;

/// <summary>The cross-journey frequency cap of <see cref="SendingOptions.FrequencyCap"/>.</summary>
public sealed class FrequencyCapOptions
{
    /// <summary>Emails allowed per period. Default 3.</summary>
    [Range(1, 1000)]
    public int Count { get; set; } = 3;

    /// <summary>A journey-language duration such as <c>1d</c>. Default <c>1d</c>.</summary>
    [Required]
    public string Period { get; set; } = "1d";
}
