using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Analysis;

/// <summary>
/// Every journey on one screen (<c>orchestrator report</c> without a journey, the web view's first page): a line per
/// journey file with its version in force and open verdicts, the journeys the store knows but no file describes, and
/// the journey files that do not load, with <c>file:line:col</c>. JSON contract as <see cref="JourneyReport"/>.
/// </summary>
public sealed record JourneyOverview(DateTimeOffset Now, IReadOnlyList<JourneySummary> Journeys, IReadOnlyList<string> WithoutFile, IReadOnlyList<string> JourneyErrors)
{
    /// <param name="journeys">The journeys in force, in the order to show them.</param>
    /// <param name="diagnostics">What loading the journey files said; its errors are listed.</param>
    public static async Task<JourneyOverview> BuildAsync(IReadOnlyList<JourneyDefinition> journeys, IReadOnlyList<Diagnostic> diagnostics,
        IAnalysisReader reader, ReportFilter filter, AnalysisOptions options, CancellationToken cancellationToken)
    {
        var reports = await JourneyReportBuilder.BuildAllAsync(journeys, reader, filter, options, cancellationToken).ConfigureAwait(false);
        var lines = reports.Select((report, i) => ReportJson.Summarize(report) with { CurrentVersion = journeys[i].Version }).ToList();
        var inStore = await reader.ReadJourneyIdsAsync(cancellationToken).ConfigureAwait(false);
        var withoutFile = inStore.Where(id => journeys.All(j => j.Id != id)).ToList();
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        return new JourneyOverview(filter.Now, lines, withoutFile, errors);
    }
}
