using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Ports;

/// <summary>
/// The journey versions that have been in force, with the text each was parsed from, so that no worker depends on
/// its own memory or on today's files to run the customers pinned to a version (docs/journey-format.md, Versions).
/// </summary>
public interface IJourneyVersionStore
{
    /// <summary>Records <paramref name="versions"/> as in force at <paramref name="now"/>: new ones with their text, known ones get the new time.</summary>
    Task MarkInForceAsync(IReadOnlyList<JourneyDefinition> versions, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every stored version.</summary>
    Task<IReadOnlyList<StoredJourneyVersion>> LoadAllAsync(CancellationToken cancellationToken);

    /// <summary>How many active instances each (journey, version) has.</summary>
    Task<IReadOnlyList<ActiveVersion>> ActiveVersionsAsync(CancellationToken cancellationToken);
}

/// <summary>A version customers are inside, and how many.</summary>
public sealed record ActiveVersion(string JourneyId, string Version, int Active);
