using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Core.Analysis;

/// <summary>How reports are written as JSON, everywhere (CLI, web view): camelCase, enums as text, nulls kept.</summary>
public static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    public static string Write<T>(T value, bool indented = true) => JsonSerializer.Serialize(value, indented ? Indented : Options);

    /// <summary>The line of a journey in the list of all journeys.</summary>
    public static JourneySummary Summarize(JourneyReport report) => new(
        report.Journey, report.Name, report.Phase, report.Entered, report.Active, report.Conversion.Converted, report.Conversion.Rate,
        report.Experiments.SelectMany(e => e.Comparisons.Select(c => new SummaryVerdict(e.Step, c.Variant, c.Control, c.Verdict))).ToList(),
        report.Experience.Flag);
}
