using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.E2E;

/// <summary>
/// The sample journeys and events squeezed into real time: every duration and every gap between events is divided
/// by <see cref="Factor"/> (three weeks of events take about a minute), send windows and local-time waits become
/// short waits. The simulator's prediction for exactly these inputs is what the worker must do.
/// </summary>
internal sealed partial class Scenario
{
    public const double Factor = 30_000;

    public required string Folder { get; init; }
    public required string JourneysFolder { get; init; }
    public required string EventsFile { get; init; }
    public required IReadOnlyList<CustomerEvent> Events { get; init; }
    public required SendingOptions Sending { get; init; }
    public required JourneyCatalog Catalog { get; init; }
    public required SimulationResult Expected { get; init; }
    public required DateTimeOffset Until { get; init; }

    /// <summary>The sample events (<c>samples/events.jsonl</c>), one JSON object a line.</summary>
    public static async Task<IReadOnlyList<string>> SampleEventLinesAsync() =>
        (await File.ReadAllLinesAsync(Path.Combine(RepoPaths.Root, "samples", "events.jsonl"))).Where(l => l.Trim().Length > 0).ToList();

    /// <summary>The squeezed sample journeys with <paramref name="eventLines"/> (by default the sample events), their
    /// first event at <paramref name="start"/>, and the simulator's prediction up to <see cref="Until"/>
    /// (the last event plus <paramref name="horizon"/>, by default 40 s).</summary>
    public static async Task<Scenario> CreateAsync(string folder, DateTimeOffset start, IReadOnlyList<string>? eventLines = null, TimeSpan? horizon = null)
    {
        var journeys = Path.Combine(folder, "journeys");
        Directory.CreateDirectory(Path.Combine(journeys, "templates"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "journeys", "templates")))
            File.Copy(file, Path.Combine(journeys, "templates", Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "journeys"), "*.yaml"))
            await File.WriteAllTextAsync(Path.Combine(journeys, Path.GetFileName(file)), Squeeze(await File.ReadAllTextAsync(file)));

        var loaded = JourneyLoader.LoadFolder(journeys);
        if (loaded.HasErrors)
            throw new InvalidOperationException("squeezed journeys are invalid:\n" + string.Join("\n", loaded.Errors));

        var lines = eventLines ?? await SampleEventLinesAsync();
        var first = lines.Select(l => DateTimeOffset.Parse(JsonNode.Parse(l)!["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)).Min();
        var shifted = new List<(DateTimeOffset At, string Line)>();
        foreach (var line in lines)
        {
            var node = JsonNode.Parse(line)!.AsObject();
            var at = DateTimeOffset.Parse(node["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var squeezed = start + TimeSpan.FromTicks((long)((at - first).Ticks / Factor));
            // Whole milliseconds: every store keeps them exactly.
            squeezed = new DateTimeOffset(squeezed.UtcTicks - squeezed.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
            node["occurredAt"] = squeezed.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            shifted.Add((squeezed, node.ToJsonString()));
        }
        // Published in occurredAt order, as the simulator replays them.
        var ordered = shifted.OrderBy(s => s.At.UtcTicks).Select(s => s.Line).ToList();
        var eventsFile = Path.Combine(folder, "events.jsonl");
        await File.WriteAllLinesAsync(eventsFile, ordered);
        var events = ordered.Select(l => EventJson.TryParse(l, out var e, out _) ? e! : throw new InvalidOperationException(l)).ToList();

        var sending = new SendingOptions { DefaultFrom = "Larkspur <hello@larkspur.example>", FrequencyCap = new FrequencyCapOptions { Count = 3, Period = "3s" } };
        var until = events[^1].OccurredAt + (horizon ?? TimeSpan.FromSeconds(40));
        var catalog = new JourneyCatalog(loaded.Journeys);
        var expected = await Simulator.RunAsync(catalog, events, sending, until);
        return new Scenario
        {
            Folder = folder,
            JourneysFolder = journeys,
            EventsFile = eventsFile,
            Events = events,
            Sending = sending,
            Catalog = catalog,
            Expected = expected,
            Until = until,
        };
    }

    /// <summary>The settings of a worker on this scenario under <see cref="Folder"/>: RabbitMQ with 4 partitions (the
    /// production shape: customers spread over queues), the SMTP server on <paramref name="smtpPort"/>, the scenario's
    /// sending rules.</summary>
    public Dictionary<string, string> WorkerSettings(int httpPort, string queueName, int smtpPort, string workerId, string quartzFile = "quartz.db")
    {
        var settings = WorkerProcess.Settings(Folder, JourneysFolder, httpPort);
        settings["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(Folder, "data", quartzFile)}";
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = queueName;
        settings["Orchestrator__Messaging__Partitions"] = Partitions.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__Host"] = "127.0.0.1";
        settings["Orchestrator__Email__Port"] = smtpPort.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__Security"] = "None";
        settings["Orchestrator__Email__WorkerId"] = workerId;
        settings["Orchestrator__Sending__DefaultFrom"] = Sending.DefaultFrom;
        settings["Orchestrator__Sending__FrequencyCap__Count"] = Sending.FrequencyCap!.Count.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Sending__FrequencyCap__Period"] = Sending.FrequencyCap.Period;
        return settings;
    }

    public const int Partitions = 4;

    /// <summary>Healthy with every sample journey loaded.</summary>
    public static bool Ready(JsonElement health) =>
        health.GetProperty("status").GetString() == "ok" && health.GetProperty("journeys").GetArrayLength() == 4;

    [GeneratedRegex(@"^send_window:\n(?:[ \t]+.*\n)+", RegexOptions.Multiline)]
    private static partial Regex SendWindow();

    [GeneratedRegex(@"wait_until:\n(?:([ \t]+)(?:time|days):.*\n)+")]
    private static partial Regex WaitUntil();

    [GeneratedRegex(@"\b(wait|timeout|within|after):? ([1-9][0-9]*)(s|m|h|d|w)\b")]
    private static partial Regex Durations();

    internal static string Squeeze(string yaml)
    {
        yaml = yaml.ReplaceLineEndings("\n");
        yaml = SendWindow().Replace(yaml, "");
        yaml = WaitUntil().Replace(yaml, "wait: 2s\n");
        return Durations().Replace(yaml, m =>
        {
            var original = Duration.Parse(m.Groups[2].Value + m.Groups[3].Value);
            var seconds = Math.Max(1, (int)Math.Round(original.TotalSeconds / Factor));
            var separator = m.Groups[1].Value == "after" ? " " : ": ";
            return $"{m.Groups[1].Value}{separator}{seconds}s";
        });
    }
}
