using System.CommandLine;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator trace &lt;customerId&gt;</c>: a customer's events, outcomes and answers in time order, and why.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var customer = new Argument<string>("customerId") { Description = "The customer's id, as events carry it" };
        var journeys = CliSupport.JourneysOption();
        var store = CliSupport.StoreOption();
        var config = CliSupport.ConfigOption();
        var format = new Option<string>("--format") { Description = "table (for reading) or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("trace", "Show one customer's events, outcomes and answers in time order, with the reason for each, and why a journey did not start or send")
        {
            customer, journeys, store, config, format,
        };
        command.SetAction(parse => Run(parse.GetValue(customer)!, parse.GetValue(journeys)!, parse.GetValue(store), parse.GetValue(config), parse.GetValue(format)!, Console.Out, Console.Error));
        return command;
    }

    public static int Run(string customerId, string journeysFolder, string? storeFile, string? config, string format, TextWriter output, TextWriter errors)
    {
        var loaded = CliSupport.Load(journeysFolder, errors);
        if (CliSupport.OpenStore(storeFile, config, errors) is not { } storage)
            return CliSupport.Failed;
        var trace = CustomerTraceBuilder.BuildAsync(customerId, CliSupport.CatalogWithStoredVersions(loaded, journeysFolder, storage), CliSupport.LoadSending(config), storage.Analysis, CancellationToken.None)
            .GetAwaiter().GetResult();
        if (format == "json")
        {
            output.WriteLine(ReportJson.Write(trace));
            return CliSupport.Ok;
        }
        output.WriteLine($"Customer {trace.CustomerId}");
        foreach (var note in trace.Notes)
            output.WriteLine("note: " + note);
        foreach (var line in trace.Lines)
        {
            var where = line.Journey is null ? "" : line.Journey + (line.Step is null ? "" : "/" + line.Step);
            var mark = line.Kind switch { CustomerTraceBuilder.EventLine => "event  ", CustomerTraceBuilder.WhyLine => "  why  ", CustomerTraceBuilder.FeedbackLine => "answer ", _ => "       " };
            output.WriteLine($"{CustomerTraceBuilder.Time(line.At),-22} {mark} {where,-34} {line.Text}");
        }
        output.WriteLine();
        output.WriteLine("By journey:");
        foreach (var journey in trace.Journeys)
        {
            output.WriteLine($"  {journey.Journey}: entered {journey.Entered}, sent {journey.Sent}");
            foreach (var why in journey.Why)
                output.WriteLine($"    why: {why}");
        }
        return CliSupport.Ok;
    }
}
