using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Analysis;

/// <summary>One measure of a what-if replay: what the store recorded against what the changed journeys would do.</summary>
public sealed record WhatIfRow(string Journey, string? Step, string Measure, int Recorded, int Predicted)
{
    public int Change => Predicted - Recorded;
}

/// <summary>
/// Compares recorded outcomes with the outcomes of a replay of the same stored events through changed journeys:
/// per journey entries, conversions and ends, per email step sends, per step every other kind that differs. Only
/// instances that entered in the replayed window count on the recorded side, so both sides start from nothing.
/// </summary>
public static class WhatIf
{
    private static readonly string[] JourneyMeasures = [OutcomeKind.Entered, OutcomeKind.Converted, OutcomeKind.Completed, OutcomeKind.Exited];

    public static IReadOnlyList<WhatIfRow> Compare(IEnumerable<Outcome> recorded, IEnumerable<Outcome> predicted, DateTimeOffset since)
    {
        var entered = recorded.Where(o => o.Kind == OutcomeKind.Entered && o.At >= since).Select(o => (o.CustomerId, o.InstanceId)).ToHashSet();
        var before = Count(recorded.Where(o => entered.Contains((o.CustomerId, o.InstanceId))));
        var after = Count(predicted);
        var rows = new List<WhatIfRow>();
        foreach (var journey in before.Keys.Concat(after.Keys).Select(k => k.Journey).Distinct().Order(StringComparer.Ordinal))
        {
            foreach (var measure in JourneyMeasures)
                rows.Add(new WhatIfRow(journey, null, measure, before.GetValueOrDefault((journey, null, measure)), after.GetValueOrDefault((journey, null, measure))));
            var stepKeys = before.Keys.Concat(after.Keys).Where(k => k.Journey == journey && k.Step is not null).Distinct()
                .OrderBy(k => k.Step, StringComparer.Ordinal).ThenBy(k => k.Kind, StringComparer.Ordinal);
            foreach (var key in stepKeys)
            {
                var (b, a) = (before.GetValueOrDefault(key), after.GetValueOrDefault(key));
                // Sends always show; other step outcomes only where the change makes a difference.
                if (key.Kind == OutcomeKind.Sent || a != b)
                    rows.Add(new WhatIfRow(journey, key.Step, key.Kind, b, a));
            }
        }
        return rows;
    }

    /// <summary>Per journey (step null) the instance-level kinds; per step every kind.</summary>
    private static Dictionary<(string Journey, string? Step, string Kind), int> Count(IEnumerable<Outcome> outcomes)
    {
        var counts = new Dictionary<(string, string?, string), int>();
        foreach (var o in outcomes)
        {
            if (Array.IndexOf(JourneyMeasures, o.Kind) >= 0)
                counts[(o.JourneyId, null, o.Kind)] = counts.GetValueOrDefault((o.JourneyId, null, o.Kind)) + 1;
            if (o.StepId is not null && o.Kind != OutcomeKind.Entered)
                counts[(o.JourneyId, o.StepId, o.Kind)] = counts.GetValueOrDefault((o.JourneyId, o.StepId, o.Kind)) + 1;
        }
        return counts;
    }
}
