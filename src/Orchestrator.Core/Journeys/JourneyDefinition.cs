using Fluid;
using Orchestrator.Core.Liquid;

namespace Orchestrator.Core.Journeys;

/// <summary>One loaded version of a journey file (see docs/journey-format.md).</summary>
public sealed class JourneyDefinition
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public string? Phase { get; init; }

    /// <summary>Hash of the file and the templates it uses: instances are pinned to it.</summary>
    public required string Version { get; init; }

    public required string SourceFile { get; init; }
    public required EntryDefinition Entry { get; init; }
    public GoalDefinition? Goal { get; init; }
    public IReadOnlyList<ExitCriterion> Exits { get; init; } = [];
    public SendWindow? SendWindow { get; init; }
    public TimeZoneInfo? TimeZone { get; init; }
    public OnChange OnChange { get; init; } = OnChange.Pin;

    /// <summary>Which journey goes first when the frequency cap lets only some send (see <see cref="JourneyCatalog.CompareForCap"/>); default 0.</summary>
    public int Priority { get; init; }

    public required IReadOnlyList<Step> Steps { get; init; }
    public required IReadOnlyDictionary<string, EmailTemplate> Templates { get; init; }

    /// <summary>The text this version was parsed from, to store with it; null for journeys built in code.</summary>
    public JourneySource? Source { get; init; }

    private Dictionary<string, int>? _index;

    public int IndexOf(string stepId)
    {
        _index ??= Steps.Select((s, i) => (s.Id, i)).GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        return _index.TryGetValue(stepId, out var i) ? i : -1;
    }

    public Step? FindStep(string stepId) => IndexOf(stepId) is var i and >= 0 ? Steps[i] : null;

    private JourneyGraph? _graph;

    /// <summary>Where the journey goes from each step, built on first use (a definition never changes after loading).</summary>
    public JourneyGraph Graph => _graph ??= new JourneyGraph(Steps);
}

public enum OnChange
{
    /// <summary>Active instances stay on the version they entered with (the default).</summary>
    Pin,

    /// <summary>Active instances move to the new version at the step with the same id.</summary>
    Migrate,
}

public enum ReentryKind
{
    Never,
    Always,
    After,
}

public sealed record Reentry(ReentryKind Kind, TimeSpan After)
{
    public static readonly Reentry Never = new(ReentryKind.Never, TimeSpan.Zero);
}

public sealed record EntryDefinition(string Event, LiquidExpression? When, LiquidExpression? Key, Reentry Reentry);

public sealed record GoalDefinition(string Event, LiquidExpression? When, TimeSpan? Within, bool Exit);

public sealed record ExitCriterion(string Event, LiquidExpression? When);

/// <summary>Local opening hours for sends: <see cref="From"/> inclusive to <see cref="To"/> exclusive on <see cref="Days"/>.</summary>
public sealed record SendWindow(IReadOnlySet<DayOfWeek> Days, TimeOnly From, TimeOnly To);

/// <summary>A step of a journey. <see cref="Next"/> is the explicit <c>next</c>, if any.</summary>
public abstract record Step(string Id, string? Next, SourceLocation Location)
{
    public abstract string Kind { get; }
}

public sealed record EmailStep(string Id, string? Next, SourceLocation Location, string Template, IFluidTemplate? Subject, string? SubjectSource) : Step(Id, Next, Location)
{
    public override string Kind => "email";
}

public sealed record WaitStep(string Id, string? Next, SourceLocation Location, TimeSpan Duration) : Step(Id, Next, Location)
{
    public override string Kind => "wait";
}

public sealed record WaitUntilStep(string Id, string? Next, SourceLocation Location, TimeOnly Time, IReadOnlySet<DayOfWeek>? Days) : Step(Id, Next, Location)
{
    public override string Kind => "wait_until";
}

public sealed record WaitForStep(string Id, string? Next, SourceLocation Location, string Event, LiquidExpression? When, TimeSpan? Timeout, string? OnEvent, string? OnTimeout) : Step(Id, Next, Location)
{
    public override string Kind => "wait_for";
}

public sealed record BranchCase(LiquidExpression When, string Next, SourceLocation Location);

public sealed record BranchStep(string Id, string? Next, SourceLocation Location, IReadOnlyList<BranchCase> Cases, string? Else) : Step(Id, Next, Location)
{
    public override string Kind => "branch";
}

/// <summary>One arm of a split; <see cref="Control"/> marks the arm the others are compared with in reports.</summary>
public sealed record SplitVariant(string Variant, int Weight, string? Next, SourceLocation Location, bool Control = false);

public sealed record SplitStep(string Id, string? Next, SourceLocation Location, IReadOnlyList<SplitVariant> Variants) : Step(Id, Next, Location)
{
    public override string Kind => "split";
}

public sealed record ExitStep(string Id, string? Next, SourceLocation Location) : Step(Id, Next, Location)
{
    public override string Kind => "exit";
}
