using System.CommandLine;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Journeys;
using Orchestrator.Pages;
using Orchestrator.Storage;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator report [journey]</c>: every figure of docs/analysis-contract.md for one journey, or a line per journey.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var journey = new Argument<string?>("journey") { Description = "Journey id; without it, a line per journey", Arity = ArgumentArity.ZeroOrOne };
        var journeys = CliSupport.JourneysOption();
        var store = CliSupport.StoreOption();
        var config = CliSupport.ConfigOption();
        var since = new Option<string?>("--since") { Description = "Only instances that entered at or after this ISO time, or this long ago (30d)" };
        var until = new Option<string?>("--until") { Description = "Only instances that entered before this ISO time, or this long ago" };
        var version = new Option<string?>("--version") { Description = "Only instances that entered with this version (or a prefix of it)" };
        var phase = new Option<string?>("--phase") { Description = "Only journeys with this phase label" };
        var format = new Option<string>("--format") { Description = "table (for reading), json (the contract) or html (one self-contained page with the map and charts, opens offline)", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "html");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of the terminal" };
        var command = new Command("report", "Report a journey's funnel, paths, experiments and experience from the store")
        {
            journey, journeys, store, config, since, until, version, phase, format, output,
        };
        command.SetAction(parse => Run(new Request(
            parse.GetValue(journey), parse.GetValue(journeys)!, parse.GetValue(store), parse.GetValue(config), parse.GetValue(since),
            parse.GetValue(until), parse.GetValue(version), parse.GetValue(phase), parse.GetValue(format)!, parse.GetValue(output)), TimeProvider.System, Console.Out, Console.Error));
        return command;
    }

    public sealed record Request(string? Journey, string JourneysFolder, string? Store, string? Config, string? Since, string? Until,
        string? Version, string? Phase, string Format, string? Output = null);

    public static int Run(Request request, TimeProvider time, TextWriter output, TextWriter errors)
    {
        var now = time.GetUtcNow();
        if (!ReportFilter.TryParseTime(request.Since, now, out var since) || !ReportFilter.TryParseTime(request.Until, now, out var until))
        {
            errors.WriteLine($"--since/--until: '{request.Since ?? request.Until}' is neither an ISO time (2026-03-01T00:00:00Z) nor a duration ({Duration.Help})");
            return CliSupport.Failed;
        }
        var loaded = CliSupport.Load(request.JourneysFolder, errors);
        var definitions = loaded.Journeys.Where(j => request.Phase is null || string.Equals(j.Phase, request.Phase, StringComparison.OrdinalIgnoreCase)).ToList();
        JourneyDefinition? single = null;
        if (request.Journey is not null)
        {
            single = loaded.Journeys.FirstOrDefault(j => j.Id == request.Journey);
            if (single is null)
            {
                errors.WriteLine($"no journey '{request.Journey}' in {request.JourneysFolder}; known: {string.Join(", ", loaded.Journeys.Select(j => j.Id))}");
                return CliSupport.Failed;
            }
        }
        if (CliSupport.OpenStore(request.Store, request.Config, errors) is not { } storage)
            return CliSupport.Failed;
        var options = CliSupport.LoadAnalysis(request.Config);
        var filter = new ReportFilter(now, request.Version, since, until);

        // Written in memory first: a report that fails leaves no half-written (or emptied) file behind.
        var target = request.Output is null ? output : new StringWriter();
        if (single is not null)
        {
            var report = JourneyReportBuilder.BuildAsync(single, storage.Analysis, filter, options, CancellationToken.None).GetAwaiter().GetResult();
            if (request.Format == "json")
                target.WriteLine(ReportJson.Write(report));
            else if (request.Format == "html")
                target.Write(JourneyPage.Write(single, report, PageMode.Export, new JourneyPage.FilterText(request.Version, request.Since, request.Until)));
            else
                ReportTable.Write(report, target);
            return Written(request, target, errors);
        }

        var overview = JourneyOverview.BuildAsync(definitions, loaded.Diagnostics, storage.Analysis, filter, options, CancellationToken.None).GetAwaiter().GetResult();
        if (request.Format == "json")
            target.WriteLine(ReportJson.Write(overview));
        else if (request.Format == "html")
            target.Write(OverviewPage.Write(overview, PageMode.Export, request.Phase));
        else
        {
            ReportTable.WriteList(overview.Journeys, target);
            if (overview.WithoutFile.Count > 0)
                target.WriteLine($"In the store but not in {request.JourneysFolder}: {string.Join(", ", overview.WithoutFile)} (no file to report them against)");
        }
        return Written(request, target, errors);
    }

    private static int Written(Request request, TextWriter target, TextWriter errors)
    {
        if (request.Output is null)
            return CliSupport.Ok;
        File.WriteAllText(request.Output, target.ToString(), new System.Text.UTF8Encoding(false));
        errors.WriteLine($"wrote {Path.GetFullPath(request.Output)}");
        return CliSupport.Ok;
    }
}
