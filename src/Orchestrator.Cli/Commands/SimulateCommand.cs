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
        var store = new Option<string?>("--store")
        {
            Description = "Also write the run into this new SQLite file with the worker's schema, for report, trace and graph --store",
        };
        var command = new Command("simulate", "Replay events through the journeys on a virtual clock and print every outcome")
        {
            journeys, events, until, format, config, store,
        };
        command.SetAction(parse => Run(
            parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(until), parse.GetValue(format)!, parse.GetValue(config),
            Console.Out, Console.Error, parse.GetValue(store)));
        return command;
    }

    public static int Run(string journeysFolder, string eventsFile, string? until, string format, string? config, TextWriter output, TextWriter errors, string? storeFile = null)
    {
        if (storeFile is not null && File.Exists(storeFile))
        {
            errors.WriteLine($"{storeFile}: already exists; simulate --store writes a new store (remove the file or name another)");
            return CliSupport.Failed;
        }
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
        Func<TimeProvider, (Core.Ports.IJourneyStore, Core.Ports.IOutbox)>? target = null;
        if (storeFile is not null)
        {
            target = clock =>
            {
                var storage = Storage.JourneyStorage.Create(new Storage.StorageOptions { ConnectionString = $"Data Source={Path.GetFullPath(storeFile)}" }, clock);
                storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
                return (storage.Store, storage.Outbox);
            };
        }
        var result = Simulator.RunAsync(new JourneyCatalog(loaded.Journeys), events, CliSupport.LoadSending(config), end, target, CliSupport.LoadAnalysis(config)).GetAwaiter().GetResult();
        if (storeFile is not null)
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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
