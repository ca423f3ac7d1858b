using System.CommandLine;
using System.Globalization;
using System.Text;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Cli.Commands;

/// <summary>Draws a journey as a Mermaid flowchart (GitHub, GitLab and most wikis render it).</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var journey = new Argument<string>("journey") { Description = "Journey id or file" };
        var journeys = CliSupport.JourneysOption();
        var command = new Command("graph", "Print the journey as a Mermaid flowchart") { journey, journeys };
        command.SetAction(parse => Run(parse.GetValue(journeys)!, parse.GetValue(journey)!, Console.Out, Console.Error));
        return command;
    }

    public static int Run(string folder, string journeyId, TextWriter output, TextWriter errors)
    {
        var journey = CliSupport.FindJourney(folder, journeyId, errors, out var exitCode);
        if (journey is null)
            return exitCode;
        output.Write(ToMermaid(journey));
        return CliSupport.Ok;
    }

    public static string ToMermaid(JourneyDefinition journey)
    {
        var text = new StringBuilder();
        var ids = journey.Steps.Select((s, i) => (s.Id, i)).ToDictionary(p => p.Id, p => $"s{p.i}", StringComparer.Ordinal);
        text.AppendLine("flowchart TD");
        text.AppendLine(CultureInfo.InvariantCulture, $"  start([\"{Label($"{journey.Name}\nentry: {journey.Entry.Event}" + (journey.Entry.When is { } w ? $"\nwhen {w.Source}" : ""))}\"])");
        text.AppendLine("  done([\"completed\"])");
        text.AppendLine(CultureInfo.InvariantCulture, $"  start --> {ids[journey.Steps[0].Id]}");
        for (var i = 0; i < journey.Steps.Count; i++)
        {
            var step = journey.Steps[i];
            var id = ids[step.Id];
            var following = step.Next ?? (i + 1 < journey.Steps.Count ? journey.Steps[i + 1].Id : null);
            string Target(string? stepId) => stepId is null ? "done" : ids.GetValueOrDefault(stepId, "done");
            switch (step)
            {
                case EmailStep email:
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}[/\"{Label($"{step.Id}\nemail: {email.Template}")}\"/]");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} --> {Target(following)}");
                    break;
                case WaitStep wait:
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}([\"{Label($"{step.Id}\nwait {Duration.Format(wait.Duration)}")}\"])");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} --> {Target(following)}");
                    break;
                case WaitUntilStep until:
                    var days = until.Days is null ? "" : " on " + string.Join(",", until.Days.Order().Select(d => d.ToString()[..3].ToLowerInvariant()));
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}([\"{Label($"{step.Id}\nwait until {until.Time:HH\\:mm}{days}")}\"])");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} --> {Target(following)}");
                    break;
                case WaitForStep waitFor:
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}{{{{\"{Label($"{step.Id}\nwait for {waitFor.Event}" + (waitFor.Timeout is { } t ? $" up to {Duration.Format(t)}" : ""))}\"}}}}");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} -- \"{Label(waitFor.Event)}\" --> {Target(waitFor.OnEvent ?? following)}");
                    if (waitFor.Timeout is not null)
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {id} -- timeout --> {Target(waitFor.OnTimeout ?? following)}");
                    break;
                case BranchStep branch:
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}{{\"{Label($"{step.Id}\nbranch")}\"}}");
                    foreach (var c in branch.Cases)
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {id} -- \"{Label(c.When.Source)}\" --> {Target(c.Next)}");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} -- else --> {Target(branch.Else ?? following)}");
                    break;
                case SplitStep split:
                    var total = split.Variants.Sum(v => v.Weight);
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}{{\"{Label($"{step.Id}\nsplit")}\"}}");
                    foreach (var v in split.Variants)
                        text.AppendLine(CultureInfo.InvariantCulture, $"  {id} -- \"{Label($"{v.Variant} {100.0 * v.Weight / total:0.#}%")}\" --> {Target(v.Next ?? following)}");
                    break;
                case ExitStep:
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id}([\"{Label($"{step.Id}\nexit")}\"])");
                    text.AppendLine(CultureInfo.InvariantCulture, $"  {id} --> done");
                    break;
            }
        }
        foreach (var exit in journey.Exits)
            text.AppendLine("  %% exits on " + exit.Event + (exit.When is { } exitWhen ? " when " + exitWhen.Source : ""));
        if (journey.Goal is { } goal)
            text.AppendLine("  %% goal: " + goal.Event + (goal.Within is { } within ? " within " + Duration.Format(within) : ""));
        return text.ToString();
    }

    private static string Label(string value) => value.Replace("\"", "#quot;", StringComparison.Ordinal).Replace("\n", "<br/>", StringComparison.Ordinal);
}
