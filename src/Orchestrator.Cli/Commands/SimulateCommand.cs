using System.CommandLine;
using System.Globalization;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Cli.Commands;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var journeys = CliSupport.JourneysOption();
        var events = new Option<string>("--events", "-e") { Description = "Events, one JSON object per line", Required = true };
        var until = new Option<string?>("--until") { Description = "Run waits and timeouts due up to this ISO time (default: 30 days after the last event)" };
        var format = new Option<string>("--format") { Description = "jsonl (the contract) or table", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "table");
        var config = CliSupport.ConfigOption();
        var command = new Command("simulate", "Replay events through the journeys on a virtual clock and print every outcome")
        {
            journeys, events, until, format, config,
        };
        command.SetAction(parse => Run(
            parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(until), parse.GetValue(format)!, parse.GetValue(config),
            Console.Out, Console.Error));
        return command;
    }

    public static int Run(string journeysFolder, string eventsFile, string? until, string format, string? config, TextWriter output, TextWriter errors)
    {
        var loaded = CliSupport.Load(journeysFolder, errors);
        if (loaded.HasErrors)
            return CliSupport.InvalidJourneys;
        DateTimeOffset? end = null;
        if (until is not null)
        {
            if (!DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                errors.WriteLine($"--until '{until}' is not an ISO 8601 time such as 2026-04-01T00:00:00Z");
                return CliSupport.Failed;
            }
            end = parsed;
        }
        if (!File.Exists(eventsFile))
        {
            errors.WriteLine($"{eventsFile}: file not found");
            return CliSupport.Failed;
        }
        var events = ReadEvents(eventsFile, errors, out var rejected);
        var result = Simulator.RunAsync(new JourneyCatalog(loaded.Journeys), events, CliSupport.LoadSending(config), end).GetAwaiter().GetResult();
        if (format == "table")
            OutcomeWriter.WriteTable(result.Outcomes, output);
        else
            foreach (var outcome in result.Outcomes)
                output.WriteLine(OutcomeWriter.ToJsonLine(outcome));
        if (rejected > 0)
            errors.WriteLine($"{rejected} event line(s) rejected (see above); every other event was simulated");
        return rejected > 0 ? CliSupport.Failed : CliSupport.Ok;
    }

    /// <summary>Reads JSONL; a bad line is reported as file:line: reason and skipped, the rest still counts.</summary>
    public static List<CustomerEvent> ReadEvents(string path, TextWriter errors, out int rejected)
    {
        var events = new List<CustomerEvent>();
        rejected = 0;
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (EventJson.TryParse(line, out var evt, out var error))
            {
                events.Add(evt!);
            }
            else
            {
                rejected++;
                errors.WriteLine($"{path}:{number}:1: {error}");
            }
        }
        return events;
    }
}
