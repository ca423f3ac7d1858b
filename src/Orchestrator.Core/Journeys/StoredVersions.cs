namespace Orchestrator.Core.Journeys;

/// <summary>
/// The stored journey versions parsed again (docs/journey-format.md, Versions): every version that has been in force,
/// so pinned customers finish on theirs, and per journey file the version that ran last, for a file that is broken
/// when a worker starts.
/// </summary>
public sealed class StoredVersions
{
    private readonly Dictionary<string, JourneyDefinition> _lastInForceByFile = new(StringComparer.Ordinal);

    private StoredVersions(IReadOnlyList<JourneyDefinition> all, IReadOnlyList<StoredVersionProblem> problems)
    {
        All = all;
        Problems = problems;
    }

    public static StoredVersions None { get; } = new([], []);

    /// <summary>Every stored version that still parses.</summary>
    public IReadOnlyList<JourneyDefinition> All { get; }

    /// <summary>Stored versions that no longer parse (a rule this build added), one line each; their customers are held.</summary>
    public IReadOnlyList<StoredVersionProblem> Problems { get; }

    /// <summary>
    /// Parses each stored version as if its file lay in <paramref name="folder"/>. A version whose text now gives
    /// errors, or another hash, is left out and named in <see cref="Problems"/>: running it under another version's
    /// name would break the pin.
    /// </summary>
    public static StoredVersions Parse(IEnumerable<StoredJourneyVersion> stored, string folder)
    {
        var all = new List<JourneyDefinition>();
        var problems = new List<StoredVersionProblem>();
        var lastInForce = new Dictionary<string, (DateTimeOffset At, JourneyDefinition Journey)>(StringComparer.Ordinal);
        foreach (var version in stored)
        {
            var result = JourneyLoader.LoadStored(version.Source, folder);
            if (result.Journeys is not [var journey])
            {
                var first = result.Errors.FirstOrDefault()?.Message ?? "it does not parse";
                problems.Add(new(version.JourneyId, version.Version, $"stored version {version.Version} of journey '{version.JourneyId}' ({version.Source.FileName}) no longer loads: {first}"));
                continue;
            }
            if (journey.Id != version.JourneyId || journey.Version != version.Version)
            {
                problems.Add(new(version.JourneyId, version.Version, $"stored version {version.Version} of journey '{version.JourneyId}' parses as {journey.Id}@{journey.Version}: its stored text was altered"));
                continue;
            }
            all.Add(journey);
            if (!lastInForce.TryGetValue(version.Source.FileName, out var seen) || version.LastInForceAt > seen.At)
                lastInForce[version.Source.FileName] = (version.LastInForceAt, journey);
        }
        var parsed = new StoredVersions(all, problems);
        foreach (var (file, last) in lastInForce)
            parsed._lastInForceByFile[file] = last.Journey;
        return parsed;
    }

    /// <summary>The version of the journey file named <paramref name="fileName"/> that was in force last, if stored.</summary>
    public JourneyDefinition? LastInForce(string fileName) => _lastInForceByFile.GetValueOrDefault(fileName);
}

/// <summary>A stored version that could not be loaded again, and why.</summary>
public sealed record StoredVersionProblem(string JourneyId, string Version, string Message);
