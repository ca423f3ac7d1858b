using System.ComponentModel.DataAnnotations;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Analysis;

/// <summary>What the analysis keeps and how it attributes answers (appsettings section <c>Orchestrator:Analysis</c>).</summary>
public sealed class AnalysisOptions
{
    public const string SectionName = "Orchestrator:Analysis";

    /// <summary>How long accepted events are kept in the event log (a journey-language duration). Default <c>90d</c>.</summary>
    [Required]
    public string EventRetention { get; set; } = "90d";

    /// <summary>A journey-level answer belongs to the latest instance of the journey if it is active or ended at most this long ago. Default <c>14d</c>.</summary>
    [Required]
    public string JourneyWindow { get; set; } = "14d";

    /// <summary>A csat/ces answer without sendKey or journey belongs to the customer's last email sent at most this long before it. Default <c>3d</c>.</summary>
    [Required]
    public string TouchpointWindow { get; set; } = "3d";

    /// <summary>The event that counts as "retained" after a journey; null: each journey's goal event.</summary>
    public string? RetentionEvent { get; set; }

    /// <summary>How long after an instance ended a retention event still counts. Default <c>90d</c>.</summary>
    [Required]
    public string RetentionWindow { get; set; } = "90d";

    /// <summary>Rows the event-log cleanup deletes per statement, so it never holds the writer for long. Default 500.</summary>
    [Range(1, 100_000)]
    public int CleanupBatchSize { get; set; } = 500;

    /// <summary>Minutes between event-log cleanups. Default 60.</summary>
    [Range(1, 10_080)]
    public int CleanupIntervalMinutes { get; set; } = 60;

    public TimeSpan EventRetentionSpan => Duration.Parse(EventRetention);
    public TimeSpan JourneyWindowSpan => Duration.Parse(JourneyWindow);
    public TimeSpan TouchpointWindowSpan => Duration.Parse(TouchpointWindow);
    public TimeSpan RetentionWindowSpan => Duration.Parse(RetentionWindow);

    /// <summary>Every duration that does not parse, named as it is configured.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, value) in new[] { (nameof(EventRetention), EventRetention), (nameof(JourneyWindow), JourneyWindow), (nameof(TouchpointWindow), TouchpointWindow), (nameof(RetentionWindow), RetentionWindow) })
        {
            if (!Duration.TryParse(value, out _))
                yield return $"{SectionName}:{name}: '{value}' is not a duration: {Duration.Help}";
        }
    }
}
