using System.CommandLine;
using System.Diagnostics;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Liquid;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// Measures the engine's decisions per second on one thread, in memory, over the sample events copied for many
/// customers; and, in the same run, the raw Liquid condition it builds on, so the figure reads as a ratio that
/// survives a noisy machine.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var journeys = CliSupport.JourneysOption();
        var events = BenchWorkload.EventsOption();
        var copies = BenchWorkload.CopiesOption(400);
        var command = new Command("bench", "Benchmark the engine: events decided per second on one core; 'bench report' for reports over a million rows")
        {
            journeys, events, copies, ReportBenchCommand.Create(), StoreBenchCommand.Create(),
        };
        command.SetAction(parse => Run(parse.GetValue(journeys)!, parse.GetValue(events)!, parse.GetValue(copies), Console.Out, Console.Error));
        return command;
    }

    public static int Run(string folder, string eventsFile, int copies, TextWriter output, TextWriter errors)
    {
        if (!BenchWorkload.TryLoad(folder, eventsFile, copies, errors, out var catalog, out var workload))
            return CliSupport.InvalidJourneys;
        var engine = new JourneyEngine(new SendingOptions { FrequencyCap = new FrequencyCapOptions() }, new VirtualClock(workload[^1].OccurredAt));

        Decide(engine, catalog, workload.Take(workload.Count / 10).ToList()); // warm-up: JIT and tiering
        // Best of three passes: on a shared machine the best pass is the one least disturbed by others.
        var passes = Enumerable.Range(0, 3).Select(_ => Decide(engine, catalog, workload)).OrderBy(p => p.Elapsed).ToList();
        var (elapsed, decisions) = passes[0];
        var perSecond = workload.Count / elapsed.TotalSeconds;
        var medianPerSecond = workload.Count / passes[1].Elapsed.TotalSeconds;

        var condition = LiquidExpression.Parse("event.properties.total >= 20 or customer.attributes.vip == true");
        var scopes = workload.Take(64).Select(e => new Scope()
            .Set("event", Scope.FromObject(new Dictionary<string, Fluid.Values.FluidValue> { ["properties"] = Scope.FromJson(e.Properties) }))
            .Set("customer", Scope.FromObject(new Dictionary<string, Fluid.Values.FluidValue> { ["attributes"] = Scope.FromJson(e.Customer?.Attributes) }))).ToArray();
        var raw = Stopwatch.StartNew();
        var truths = 0;
        for (var i = 0; i < workload.Count; i++)
            truths += condition.IsTrue(scopes[i % scopes.Length]) ? 1 : 0;
        raw.Stop();
        var rawPerSecond = workload.Count / raw.Elapsed.TotalSeconds;

        output.WriteLine($"engine: {workload.Count:N0} events for {workload.Select(e => e.CustomerId).Distinct().Count():N0} customers, {decisions:N0} outcomes+sends, in {elapsed.TotalMilliseconds:N0} ms on one thread");
        output.WriteLine($"engine: {perSecond:N0} events/s (best of 3 passes; median {medianPerSecond:N0})");
        output.WriteLine($"raw Liquid condition (Fluid): {rawPerSecond:N0} evaluations/s ({truths} true)");
        output.WriteLine($"ratio: one engine decision costs {rawPerSecond / perSecond:N1} raw condition evaluations");
        return CliSupport.Ok;
    }

    private static (TimeSpan Elapsed, long Decisions) Decide(JourneyEngine engine, JourneyCatalog catalog, List<CustomerEvent> events)
    {
        var states = new Dictionary<string, CustomerState>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long produced = 0;
        var clock = Stopwatch.StartNew();
        foreach (var evt in events)
        {
            if (!seen.Add(evt.EventId))
                continue;
            var decision = engine.HandleEvent(catalog, states.GetValueOrDefault(evt.CustomerId), evt);
            states[evt.CustomerId] = decision.State;
            produced += decision.Outcomes.Count + decision.Sends.Count;
        }
        clock.Stop();
        return (clock.Elapsed, produced);
    }
}
