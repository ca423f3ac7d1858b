using System.Globalization;
using System.Text;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Pages;

/// <summary>
/// The journey map as a Mermaid flowchart: the CLI's <c>graph</c> prints it, the journey page draws it with mermaid.
/// </summary>
public static class JourneyMap
{
    /// <summary>
    /// The designed graph; with a report, the journey map drawn from what happened: reached, waiting now and
    /// conversion on every step, the count on every edge taken, steps nobody reached greyed out.
    /// </summary>
    public static string ToMermaid(JourneyDefinition journey, JourneyReport? report = null)
    {
        var text = new StringBuilder();
        var ids = journey.Steps.Select((s, i) => (s.Id, i)).ToDictionary(p => p.Id, p => $"s{p.i}", StringComparer.Ordinal);
        text.AppendLine("flowchart TD");
        text.AppendLine(CultureInfo.InvariantCulture, $"  start([\"{Label($"{journey.Name}\nentry: {journey.Entry.Event}" + (journey.Entry.When is { } w ? $"\nwhen {w.Source}" : "") + (report is null ? "" : $"\nentered {report.Entered}"))}\"])");
        text.AppendLine(CultureInfo.InvariantCulture, $"  done([\"{(report is null ? "completed" : $"completed {report.Ended.Completed}")}\"])");
        text.AppendLine(CultureInfo.InvariantCulture, $"  start --> {ids[journey.Steps[0].Id]}");
        var steps = report?.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var edges = report?.Edges.ToDictionary(e => (e.From, e.To));
        // Live counts go under the step's own text; an edge's count after its label.
        string Live(string stepId) => steps is not null && steps.TryGetValue(stepId, out var f)
            ? $"\nreached {f.Reached}" + (f.WaitingNow > 0 ? $" · waiting {f.WaitingNow}" : "") + $" · conv {100 * f.Conversion:0.#}%"
            : "";
        for (var i = 0; i < journey.Steps.Count; i++)
        {
            var step = journey.Steps[i];
            var id = ids[step.Id];
            string Target(string? stepId) => stepId is null ? "done" : ids.GetValueOrDefault(stepId, "done");
            string Arrow(string? label, string? to)
            {
                var count = edges is not null && to is not null && edges.TryGetValue((step.Id, to), out var e) ? e.Count.ToString(CultureInfo.InvariantCulture) : null;
                var text = label is null ? count : count is null ? label : $"{label}: {count}";
                return text is null ? " --> " : $" -- \"{Label(text)}\" --> ";
            }
            // The shape and text of a node are how the map presents each kind; where its edges go is the graph's.
            var node = step switch
            {
                EmailStep email => $"[/\"{Label($"{step.Id}{Live(step.Id)}\nemail: {email.Template}")}\"/]",
                WaitStep wait => $"([\"{Label($"{step.Id}{Live(step.Id)}\nwait {Duration.Format(wait.Duration)}")}\"])",
                WaitUntilStep until => $"([\"{Label($"{step.Id}{Live(step.Id)}\nwait until {until.Time:HH\\:mm}{DaysOf(until)}")}\"])",
                WaitForStep waitFor => $"{{{{\"{Label($"{step.Id}{Live(step.Id)}\nwait for {waitFor.Event}" + (waitFor.Timeout is { } t ? $" up to {Duration.Format(t)}" : ""))}\"}}}}",
                BranchStep => $"{{\"{Label($"{step.Id}{Live(step.Id)}\nbranch")}\"}}",
                SplitStep => $"{{\"{Label($"{step.Id}{Live(step.Id)}\nsplit")}\"}}",
                ExitStep => $"([\"{Label($"{step.Id}{Live(step.Id)}\nexit")}\"])",
                // A kind without a shape of its own yet is still drawn, with its edges, as a plain box.
                _ => $"[\"{Label($"{step.Id}{Live(step.Id)}\n{step.Kind}")}\"]",
            };
            text.AppendLine(CultureInfo.InvariantCulture, $"  {id}{node}");
            var successors = journey.Graph.Successors(step);
            if (successors.Count == 0)
                text.AppendLine(CultureInfo.InvariantCulture, $"  {id} --> done");
            foreach (var edge in successors)
                text.AppendLine(CultureInfo.InvariantCulture, $"  {id}{Arrow(edge.Label, edge.To)}{Target(edge.To)}");
        }
        if (report is not null)
        {
            text.AppendLine("  classDef unreached fill:#eeeeee,color:#999999,stroke:#bbbbbb,stroke-dasharray:4 3");
            foreach (var unreached in report.UnreachedSteps.Where(ids.ContainsKey))
                text.AppendLine(CultureInfo.InvariantCulture, $"  class {ids[unreached]} unreached");
            text.AppendLine(CultureInfo.InvariantCulture, $"  %% from the store: entered {report.Entered}, active {report.Active}, converted {report.Conversion.Converted} ({100 * report.Conversion.Rate:0.#}%); as of {Iso.Format(report.Now)}");
        }
        // The goal and the exit criteria apply at every step, so they hang off the start with dotted lines ("at any
        // time") instead of off one step.
        if (journey.Goal is { } goal)
        {
            var converted = report is null ? "" : $"\nconverted {report.Conversion.Converted} ({100 * report.Conversion.Rate:0.#}%)";
            text.AppendLine(CultureInfo.InvariantCulture, $"  goal[[\"{Label("goal: " + goal.Event + (goal.Within is { } within ? " within " + Duration.Format(within) : "") + converted)}\"]]");
            text.AppendLine("  start -. any time .-> goal");
            text.AppendLine("  classDef goal fill:#e3f4e1,stroke:#3c8d40");
            text.AppendLine("  class goal goal");
        }
        for (var i = 0; i < journey.Exits.Count; i++)
        {
            var exit = journey.Exits[i];
            var count = report is null ? "" : $"\nexited {report.Ended.Exited.GetValueOrDefault(exit.Event)}";
            text.AppendLine(CultureInfo.InvariantCulture, $"  exit{i}[\"{Label("exits on " + exit.Event + (exit.When is { } exitWhen ? " when " + exitWhen.Source : "") + count)}\"]");
            text.AppendLine(CultureInfo.InvariantCulture, $"  start -. any time .-> exit{i}");
        }
        return text.ToString();
    }

    private static string DaysOf(WaitUntilStep until) =>
        until.Days is null ? "" : " on " + string.Join(",", until.Days.Order().Select(d => d.ToString()[..3].ToLowerInvariant()));

    // Mermaid's entity codes keep quotes and the comparisons of conditions (total >= 20) from being read as syntax or HTML.
    private static string Label(string value) => value.Replace("\"", "#quot;", StringComparison.Ordinal).Replace("<", "#lt;", StringComparison.Ordinal)
        .Replace(">", "#gt;", StringComparison.Ordinal).Replace("\n", "<br/>", StringComparison.Ordinal);
}
