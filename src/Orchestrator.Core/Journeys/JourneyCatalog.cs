namespace Orchestrator.Core.Journeys;

/// <summary>
/// Every journey version the engine may meet: the latest version of each journey (the one new customers enter)
/// and the earlier versions that pinned instances still run on.
/// </summary>
public sealed class JourneyCatalog
{
    private readonly Dictionary<string, JourneyDefinition> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Id, string Version), JourneyDefinition> _versions = [];
    private readonly Dictionary<string, List<JourneyDefinition>> _byEntryEvent = new(StringComparer.Ordinal);

    public JourneyCatalog(IEnumerable<JourneyDefinition> latest, IEnumerable<JourneyDefinition>? earlierVersions = null)
    {
        foreach (var journey in earlierVersions ?? [])
            _versions[(journey.Id, journey.Version)] = journey;
        // In cap order, so that EnteredBy tries the entries of one event in that order.
        foreach (var journey in latest.Order(Comparer<JourneyDefinition>.Create((a, b) => CompareForCap(a.Priority, a.Id, b.Priority, b.Id))))
        {
            _latest[journey.Id] = journey;
            _versions[(journey.Id, journey.Version)] = journey;
            if (!_byEntryEvent.TryGetValue(journey.Entry.Event, out var list))
                _byEntryEvent[journey.Entry.Event] = list = [];
            list.Add(journey);
        }
    }

    public IReadOnlyCollection<JourneyDefinition> Latest => _latest.Values;

    public IEnumerable<JourneyDefinition> AllVersions => _versions.Values;

    public JourneyDefinition? LatestOf(string journeyId) => _latest.GetValueOrDefault(journeyId);

    public JourneyDefinition? Find(string journeyId, string version) => _versions.GetValueOrDefault((journeyId, version));

    /// <summary>
    /// The order in which journeys compete for a customer's inbox when the frequency cap lets only some of them send:
    /// higher <c>priority</c> first, then the journey id (ordinal), so the winner never depends on file names or event ids.
    /// The one rule for entries of one event, instances one event resumes and timers due at the same instant.
    /// </summary>
    public static int CompareForCap(int priorityA, string idA, int priorityB, string idB) =>
        priorityA != priorityB ? priorityB.CompareTo(priorityA) : string.CompareOrdinal(idA, idB);

    /// <summary>The journey's priority as its latest version says (the marketer's current intent, also for instances
    /// pinned to an earlier version), else the pinned version's; 0 for a journey no longer known.</summary>
    public int PriorityOf(string journeyId, string version) => (LatestOf(journeyId) ?? Find(journeyId, version))?.Priority ?? 0;

    /// <summary>The journeys <paramref name="eventType"/> can start, in <see cref="CompareForCap"/> order.</summary>
    public IReadOnlyList<JourneyDefinition> EnteredBy(string eventType) =>
        _byEntryEvent.TryGetValue(eventType, out var list) ? list : [];

    private HashSet<string>? _usedTypes;

    /// <summary>Whether any version enters, converts, exits or resumes on <paramref name="eventType"/>.</summary>
    public bool Uses(string eventType) => (_usedTypes ??= _versions.Values
        .SelectMany(j => new[] { j.Entry.Event, j.Goal?.Event }
            .Concat(j.Exits.Select(e => e.Event))
            .Concat(j.Steps.OfType<WaitForStep>().Select(w => w.Event)))
        .OfType<string>()
        .ToHashSet(StringComparer.Ordinal)).Contains(eventType);

    /// <summary>A new catalog with <paramref name="latest"/> as the current versions, keeping every version known so far.</summary>
    public JourneyCatalog WithLatest(IEnumerable<JourneyDefinition> latest) => new(latest, _versions.Values);
}
