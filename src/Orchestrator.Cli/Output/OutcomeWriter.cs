using System.Globalization;
using Orchestrator.Core.Engine;

namespace Orchestrator.Cli.Output;

/// <summary>Prints outcomes as a table for people; the JSON lines are Core's <see cref="OutcomeJson"/>, which the store tests compare too.</summary>
public static class OutcomeWriter
{
    public static void WriteTable(IReadOnlyList<Outcome> outcomes, TextWriter output)
    {
        var rows = outcomes.Select(o => new[]
        {
            Iso.Format(o.At), o.CustomerId, o.JourneyId, o.StepId ?? "-", o.Kind, o.Variant ?? "-",
            o.Detail is null ? "" : string.Join(" ", o.Detail.Select(d => $"{d.Key}={Convert.ToString(d.Value, CultureInfo.InvariantCulture)}")),
        }).ToList();
        string[] header = ["at", "customer", "journey", "step", "outcome", "variant", "detail"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => i == header.Length - 1 ? h : h.PadRight(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select((w, i) => new string('-', i == header.Length - 1 ? Math.Max(6, Math.Min(w, 40)) : w))));
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
    }
}
