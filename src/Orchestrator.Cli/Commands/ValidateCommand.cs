using System.CommandLine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "Folder with journey files", DefaultValueFactory = _ => "journeys" };
        var command = new Command("validate", "Check every journey file and template; errors as file:line:col: message (exit 2 on errors)") { folder };
        command.SetAction(parse => Run(parse.GetValue(folder)!, Console.Out, Console.Error));
        return command;
    }

    public static int Run(string folder, TextWriter output, TextWriter errors)
    {
        var result = CliSupport.Load(folder, errors);
        if (Directory.Exists(folder) && result.Journeys.Count == 0 && result.BrokenFiles.Count == 0)
        {
            // "0 journey(s) valid" would let CI pass on a wrong path; a folder without journeys is never what was meant.
            errors.WriteLine($"{folder}:1:1: no journey files (*.yaml or *.yml) in this folder; pass the folder that holds your journeys, e.g. 'orchestrator validate journeys'");
            return CliSupport.InvalidJourneys;
        }
        var unsubscribe = TemplateReview.MissingUnsubscribeLinks(result.Journeys.SelectMany(j => j.Templates.Values), Path.Combine(folder, "templates"));
        foreach (var warning in unsubscribe)
            errors.WriteLine(warning.ToString());
        var errorCount = result.Errors.Count();
        var warningCount = result.Diagnostics.Count - errorCount + unsubscribe.Count;
        if (errorCount > 0)
        {
            errors.WriteLine($"{errorCount} error(s), {warningCount} warning(s) in {result.BrokenFiles.Count} file(s)");
            return CliSupport.InvalidJourneys;
        }
        foreach (var journey in result.Journeys)
            output.WriteLine($"ok  {journey.Id,-24} {journey.Steps.Count,3} steps  version {journey.Version}  {journey.SourceFile}");
        output.WriteLine($"{result.Journeys.Count} journey(s) valid, {warningCount} warning(s)");
        return CliSupport.Ok;
    }
}
