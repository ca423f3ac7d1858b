using Orchestrator.Core.Liquid;

namespace Orchestrator.Core.Journeys;

/// <summary>Rules <c>orchestrator validate</c> adds on top of loading: they warn a journey author, the worker runs the journeys anyway.</summary>
public static class TemplateReview
{
    /// <summary>
    /// The warnings of <c>orchestrator validate</c> for HTML templates of <paramref name="templates"/> without an
    /// <c>{{ unsubscribe_url }}</c>: marketing mail must let the reader leave from the body itself (not every mail
    /// client shows the <c>List-Unsubscribe</c> header's link). A review rule, not a load rule: the worker runs them.
    /// </summary>
    public static IReadOnlyList<Diagnostic> MissingUnsubscribeLinks(IEnumerable<EmailTemplate> templates, string templateFolder) =>
        templates.DistinctBy(t => t.Name).OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => Path.Combine(templateFolder, t.Name + ".liquid"))
            .Where(path => File.Exists(path) && !File.ReadAllText(path).Contains(Engine.UnsubscribeLink.TemplateName, StringComparison.Ordinal))
            .Select(path => new Diagnostic(DiagnosticSeverity.Warning, new SourceLocation(path, 1, 1),
                $"template '{Path.GetFileName(path)[..^".liquid".Length]}' has no {{{{ {Engine.UnsubscribeLink.TemplateName} }}}} link: marketing email must offer one in the body (the List-Unsubscribe header is not shown by every mail client)"))
            .ToList();

}
