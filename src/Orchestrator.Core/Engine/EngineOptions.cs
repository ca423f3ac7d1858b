using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Core.Engine;

/// <summary>Sending rules shared by every journey (appsettings section <c>Orchestrator:Sending</c>).</summary>
public sealed class SendingOptions
{
    public const string SectionName = "Orchestrator:Sending";

    /// <summary>Sender when a template has no <c>from</c>. Default: <c>Orchestrator &lt;no-reply@example.com&gt;</c>.</summary>
    [Required]
    public string DefaultFrom { get; set; } = "Orchestrator <no-reply@example.com>";

    /// <summary>At most this many marketing emails per customer per period, across all journeys; null: no cap.</summary>
    public FrequencyCapOptions? FrequencyCap { get; set; }
}

public sealed class FrequencyCapOptions
{
    /// <summary>Emails allowed per period. Default 3.</summary>
    [Range(1, 1000)]
    public int Count { get; set; } = 3;

    /// <summary>A journey-language duration such as <c>1d</c>. Default <c>1d</c>.</summary>
    [Required]
    public string Period { get; set; } = "1d";
}
