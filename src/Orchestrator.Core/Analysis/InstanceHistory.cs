using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Analysis;

/// <summary>
/// One instance as the outcome log tells it, folded from its rows in decision order: when it entered, the steps it
/// went through, where it converted, how it ended, and which arm of each split it was assigned.
/// </summary>
public sealed class InstanceHistory
{
    public required string CustomerId { get; init; }
    public required string InstanceId { get; init; }

    /// <summary>The version it entered with.</summary>
    public required string Version { get; init; }
    public required DateTimeOffset EnteredAt { get; init; }

    /// <summary>Step ids in the order the instance went through them (a step repeated in a row counts once).</summary>
    public List<string> Path { get; } = [];

    public DateTimeOffset? ConvertedAt { get; set; }
    public string? ConversionEventId { get; set; }

    /// <summary><c>completed</c> or <c>exited</c>; null while active.</summary>
    public string? EndKind { get; set; }
    public string? EndReason { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The step of the instance's latest outcome: where an active instance is now.</summary>
    public string? CurrentStep { get; set; }

    /// <summary>Split step → the variant it was assigned and when.</summary>
    public Dictionary<string, (string Variant, DateTimeOffset At)> Assignments { get; } = new(StringComparer.Ordinal);

    public bool IsActive => EndKind is null;

    /// <summary>How it ended, as reports group it: <c>goal</c>, <c>completed</c>, <c>exited:&lt;reason&gt;</c> or <c>active</c>.</summary>
    public string EndLabel => EndKind switch
    {
        null => "active",
        OutcomeKind.Exited when EndReason == Engine.EndReason.Goal => "goal",
        OutcomeKind.Exited => "exited:" + (EndReason ?? "unknown"),
        _ => "completed",
    };

    /// <summary>
    /// Folds one instance's rows (all of one instance, in decision order); null when the rows hold no
    /// <c>entered</c> outcome (the instance began before the log did).
    /// </summary>
    public static InstanceHistory? Fold(IReadOnlyList<OutcomeFact> rows, Action<InstanceHistory, OutcomeFact, int>? eachRow = null)
    {
        var entered = rows.FirstOrDefault(r => r.Kind == OutcomeKind.Entered);
        if (entered is null)
            return null;
        var history = new InstanceHistory { CustomerId = entered.CustomerId, InstanceId = entered.InstanceId, Version = entered.Version, EnteredAt = entered.At };
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.StepId is { } step)
            {
                if (history.Path.Count == 0 || history.Path[^1] != step)
                    history.Path.Add(step);
                history.CurrentStep = step;
            }
            switch (row.Kind)
            {
                case OutcomeKind.Converted when history.ConvertedAt is null:
                    history.ConvertedAt = row.At;
                    history.ConversionEventId = row.EventId;
                    break;
                case OutcomeKind.Completed or OutcomeKind.Exited:
                    history.EndKind = row.Kind;
                    history.EndReason = row.Reason;
                    history.EndedAt = row.At;
                    break;
                case OutcomeKind.Assigned when row.StepId is not null && row.Variant is not null:
                    history.Assignments.TryAdd(row.StepId, (row.Variant, row.At));
                    break;
            }
            eachRow?.Invoke(history, row, i);
        }
        return history;
    }
}
