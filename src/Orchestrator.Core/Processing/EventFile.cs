using Orchestrator.Contracts;

namespace Orchestrator.Core.Processing;

/// <summary>A line of an event file that <see cref="EventJson"/> rejected; printed as the compiler-style file:line:1: reason.</summary>
public sealed record RejectedLine(string File, int Line, string Error)
{
    public override string ToString() => $"{File}:{Line}:1: {Error}";
}

/// <summary>
/// The one reader of JSONL event files (the simulator, the benchmarks, the worker's demo): a blank line is skipped,
/// a bad line is handed to <c>rejected</c> and skipped, and the rest still counts.
/// </summary>
public static class EventFile
{
    /// <param name="limits">The sizes allowed (the configured <see cref="EventLimits"/>); null: the defaults.</param>
    public static List<CustomerEvent> Read(string path, Action<RejectedLine> rejected, EventLimits? limits = null) =>
        Parse(path, File.ReadLines(path), rejected, limits);

    /// <summary>The lines already read (the worker reads them asynchronously); <paramref name="path"/> names them in errors.</summary>
    /// <param name="limits">The sizes allowed (the configured <see cref="EventLimits"/>); null: the defaults.</param>
    public static List<CustomerEvent> Parse(string path, IEnumerable<string> lines, Action<RejectedLine> rejected, EventLimits? limits = null)
    {
        var events = new List<CustomerEvent>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (EventJson.TryParse(line, out var evt, out var error, limits))
                events.Add(evt!);
            else
                rejected(new RejectedLine(path, number, error!));
        }
        return events;
    }
}
