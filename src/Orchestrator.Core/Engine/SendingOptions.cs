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
