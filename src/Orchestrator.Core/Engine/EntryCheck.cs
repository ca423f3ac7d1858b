namespace Orchestrator.Core.Engine;

/// <summary>What the entry rule says about one event for one journey.</summary>
public enum EntryVerdict
{
    Enters,

    /// <summary><c>entry.when</c> is false for this event.</summary>
    ConditionFalse,

    /// <summary>An instance with the same key is still active.</summary>
    AlreadyActive,

    /// <summary><c>reentry: never</c> and an instance with the same key ended before.</summary>
    ReentryNever,

    /// <summary><c>reentry: after</c> and the previous entry is too recent; see <see cref="EntryCheck.Until"/>.</summary>
    ReentryTooEarly,
}

/// <summary>The entry rule's answer, with what a person needs to understand it.</summary>
public sealed record EntryCheck(EntryVerdict Verdict, string Key, JourneyInstance? Other, string? ConditionValues)
{
    /// <summary>For <see cref="EntryVerdict.ReentryTooEarly"/>: from when the same key may enter again.</summary>
    public DateTimeOffset? Until { get; init; }
}
