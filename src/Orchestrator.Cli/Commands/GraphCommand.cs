using System.CommandLine;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Journeys;
using Orchestrator.Pages;

namespace Orchestrator.Cli.Commands;

/// <summary>Draws a journey as a Mermaid flowchart (GitHub, GitLab and most wikis render it).</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var journey = new Argument<string>("journey") { Description = "Journey id or file" };
        var journeys = CliSupport.JourneysOption();
        var live = new Option<bool>("--live") { Description = "Put live counts on the map from the worker's store (appsettings.json), as --store does" };
        var store = CliSupport.StoreOption();
        var config = CliSupport.ConfigOption();
        var command = new Command("graph", "Print the journey as a Mermaid flowchart; with --store, the map of what happens: counts on every step and edge")
        {
            journey, journeys, store, live, config,
        };
        command.SetAction(parse => Run(parse.GetValue(journeys)!, parse.GetValue(journey)!, Console.Out, Console.Error,
            parse.GetValue(store), parse.GetValue(live) || parse.GetValue(store) is not null, parse.GetValue(config)));
        return command;
    }

    public static int Run(string folder, string journeyId, TextWriter output, TextWriter errors, string? storeFile = null, bool live = false, string? config = null)
    {
        var journey = CliSupport.FindJourney(folder, journeyId, errors, out var exitCode);
        if (journey is null)
            return exitCode;
        JourneyReport? report = null;
        if (live)
        {
            if (CliSupport.OpenStore(storeFile, config, errors) is not { } storage)
                return CliSupport.Failed;
            report = JourneyReportBuilder.BuildAsync(journey, storage.Analysis, new ReportFilter(DateTimeOffset.UtcNow), CliSupport.LoadAnalysis(config), CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        output.Write(JourneyMap.ToMermaid(journey, report));
        return CliSupport.Ok;
    }
}
