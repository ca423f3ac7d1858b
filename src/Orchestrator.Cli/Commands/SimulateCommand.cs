using System.CommandLine;
using System.Globalization;
using Orchestrator.Cli.Output;
using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Cli.Commands;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var journeys = CliSupport.JourneysOption();
        var events = new Option<string?>("--events", "-e") { Description = "Events, one JSON object per line" };
        var replay = new Option<string?>("--replay")
        {
            Description = "What-if: replay the events stored in this SQLite store (the worker's, or one written by --store) through --journeys and compare with what was recorded",
        };
        var since = new Option<string?>("--since") { Description = "With --replay: only events that occurred at or after this ISO time, or this long ago (30d)" };
        var until = new Option<string?>("--until") { Description = "Run waits and timeouts due up to this ISO time (default: 30 days after the last event)" };
        var format = new Option<string>("--format") { Description = "jsonl (the contract) or table", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "table");
        var config = CliSupport.ConfigOption();
        var store = new Option<string?>("--store")
        {
            Description = "Also write the run into this new SQLite file with the worker's schema, for report, trace and graph --store",
        };
        var command = new Command("simulate", "Replay events through the journeys on a virtual clock and print every outcome; with --replay, what a changed journey would have done")
        {
            journeys, events, until, format, config, store, replay, since,
        };
        command.SetAction(parse =>
        {
            if ((parse.GetValue(events) is null) == (parse.GetValue(replay) is null))
            {
                Console.Error.WriteLine("give either --events <file.jsonl> or --replay <store>");
                return CliSupport.Failed;
            }
            return parse.GetValue(replay) is { } replayStore
                ? Replay(parse.GetValue(journeys)!, replayStore, parse.GetValue(since), parse.GetValue(until), parse.GetValue(format)!, parse.GetValue(config), TimeProvider.System, Console.Out, Console.Error)
                : Run(parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(until), parse.GetValue(format)!, parse.GetValue(config), Console.Out, Console.Error, parse.GetValue(store));
        });
        return command;
    }

    /// <summary>
    /// What-if: the stored events (from <paramref name="since"/>) through the journeys of <paramref name="journeysFolder"/>,
    /// compared per journey and step with what the store recorded for instances that entered in the same window.
    /// </summary>
    public static int Replay(string journeysFolder, string storeFile, string? since, string? until, string format, string? config, TimeProvider time, TextWriter output, TextWriter errors)
    {
        var loaded = CliSupport.Load(journeysFolder, errors);
        if (loaded.HasErrors)
            return CliSupport.InvalidJourneys;
        if (!ReportFilter.TryParseTime(since, time.GetUtcNow(), out var from) || !ReportFilter.TryParseTime(until, time.GetUtcNow(), out var end))
        {
            errors.WriteLine($"--since/--until: neither an ISO time (2026-03-01T00:00:00Z) nor a duration ({Duration.Help})");
            return CliSupport.Failed;
        }
        if (CliSupport.OpenStore(storeFile, config, errors) is not { } storage)
            return CliSupport.Failed;
        var start = from ?? DateTimeOffset.MinValue;
        var events = storage.Analysis.ReadEventsSinceAsync(start, CancellationToken.None).GetAwaiter().GetResult().Select(e => e.Event).ToList();
        var recorded = storage.Outcomes.ReadOutcomesAsync(CancellationToken.None).GetAwaiter().GetResult();
        // Compare like with like: the replay runs timers as far as the store has outcomes (at least to the last event).
        var horizon = end ?? new[] { recorded.Count == 0 ? (DateTimeOffset?)null : recorded.Max(o => o.At), events.Count == 0 ? null : events.Max(e => e.OccurredAt) }.Max();
        var predicted = Simulator.RunAsync(new JourneyCatalog(loaded.Journeys), events, CliSupport.LoadSending(config), horizon, analysis: CliSupport.LoadAnalysis(config))
            .GetAwaiter().GetResult();
        var rows = Core.Analysis.WhatIf.Compare(recorded, predicted.Outcomes, start);
        if (format == "jsonl")
        {
            foreach (var row in rows)
                output.WriteLine(Core.Analysis.ReportJson.Write(row, indented: false));
            return CliSupport.Ok;
        }
        output.WriteLine($"What-if: {events.Count} stored events{(from is null ? "" : $" since {Core.Engine.Iso.Format(start)}")} through {journeysFolder}, against what {storeFile} recorded");
        var table = rows.Select(r => new[]
        {
            r.Journey, r.Step ?? "(journey)", r.Measure, r.Recorded.ToString(CultureInfo.InvariantCulture), r.Predicted.ToString(CultureInfo.InvariantCulture),
            r.Change == 0 ? "" : (r.Change > 0 ? "+" : "") + r.Change.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        string[] header = ["journey", "step", "outcome", "recorded", "predicted", "change"];
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in table)
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        return CliSupport.Ok;
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
        // The worker's configured limits, so that simulate refuses (and takes) the events the worker would.
        if (CliSupport.LoadLimits(config, errors) is not { } limits)
            return CliSupport.Failed;
        var events = ReadEvents(eventsFile, errors, out var rejected, limits);
        Func<TimeProvider, (Core.Ports.IJourneyStore, Core.Ports.IOutbox)>? target = null;
        Storage.JourneyStorage? written = null;
        if (storeFile is not null)
        {
            target = clock =>
            {
                var storage = Storage.JourneyStorage.Create(new Storage.StorageOptions { ConnectionString = $"Data Source={Path.GetFullPath(storeFile)}" }, clock);
                storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
                written = storage;
                return (storage.Store, storage.Outbox);
            };
        }
        var result = Simulator.RunAsync(new JourneyCatalog(loaded.Journeys), events, CliSupport.LoadSending(config), end, target, CliSupport.LoadAnalysis(config)).GetAwaiter().GetResult();
        if (storeFile is not null)
        {
            // Every connection closed, the last one checkpoints the WAL: the store is the one file named.
            written?.CloseWriterAsync(CancellationToken.None).GetAwaiter().GetResult();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        if (format == "table")
            OutcomeWriter.WriteTable(result.Outcomes, output);
        else
            foreach (var outcome in result.Outcomes)
                output.WriteLine(Core.Engine.OutcomeJson.ToJsonLine(outcome));
        if (rejected > 0)
            errors.WriteLine($"{rejected} event line(s) rejected (see above); every other event was simulated");
        return rejected > 0 ? CliSupport.Failed : CliSupport.Ok;
    }

    /// <summary>Reads JSONL; a bad line is reported as file:line: reason and skipped, the rest still counts.</summary>
    /// <param name="limits">The sizes allowed: the configured ones (<see cref="CliSupport.LoadLimits"/>).</param>
    public static List<CustomerEvent> ReadEvents(string path, TextWriter errors, out int rejected, EventLimits limits)
    {
        var count = 0;
        var events = EventFile.Read(path, bad =>
        {
            count++;
            errors.WriteLine(bad);
        }, limits);
        rejected = count;
        return events;
    }
}
