using System.CommandLine;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The benchmarks' workload, written once: the sample events copied for many customers, each copy with event and
/// customer ids of its own (suffix <c>-{tag}{copy}</c>), in time order, and the options that choose it.
/// </summary>
internal static class BenchWorkload
{
    public static Option<string> EventsOption() => new("--events", "-e") { Description = "Sample events to copy", DefaultValueFactory = _ => "samples/events.jsonl" };

    public static Option<int> CopiesOption(int defaultCopies) => new("--copies") { Description = "How many copies of the sample customers", DefaultValueFactory = _ => defaultCopies };

    /// <summary><paramref name="copies"/> copies of <paramref name="sample"/>; the tag keeps two benchmarks' customers apart on one store.</summary>
    public static List<CustomerEvent> Copies(IReadOnlyList<CustomerEvent> sample, int copies, string tag = "") =>
        Enumerable.Range(0, copies)
            .SelectMany(copy => sample.Select(e => e with { EventId = $"{e.EventId}-{tag}{copy}", CustomerId = $"{e.CustomerId}-{tag}{copy}" }))
            .OrderBy(e => e.OccurredAt.UtcTicks)
            .ToList();

    /// <summary>The journeys of <paramref name="folder"/> and the copied events; false (errors written) when the journeys do not load.</summary>
    public static bool TryLoad(string folder, string eventsFile, int copies, TextWriter errors, out JourneyCatalog catalog, out List<CustomerEvent> workload)
    {
        var loaded = CliSupport.Load(folder, errors);
        catalog = new JourneyCatalog(loaded.HasErrors ? [] : loaded.Journeys);
        workload = loaded.HasErrors ? [] : Copies(EventFile.Read(eventsFile, errors.WriteLine).OrderBy(e => e.OccurredAt.UtcTicks).ToList(), copies);
        return !loaded.HasErrors;
    }
}
