using Orchestrator.Core.Analysis;

namespace Orchestrator.Core.Ports;

/// <summary>
/// The read side of the store for reports, traces and maps. Implementations read on their own connection and never
/// block the writers (WAL on SQLite, read committed snapshot on SQL Server).
/// </summary>
public interface IAnalysisReader
{
    /// <summary>Ids of the journeys that have outcomes.</summary>
    Task<IReadOnlyList<string>> ReadJourneyIdsAsync(CancellationToken cancellationToken);

    /// <summary>A journey's outcomes grouped by instance (customer, then instance), each instance's in decision order.</summary>
    IAsyncEnumerable<OutcomeFact> ReadJourneyOutcomesAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>Every <c>converted</c> outcome of every journey.</summary>
    Task<IReadOnlyList<ConversionFact>> ReadConversionsAsync(CancellationToken cancellationToken);

    /// <summary>The survey answers of one journey (touchpoint and journey level) and every relationship-level answer.</summary>
    Task<IReadOnlyList<FeedbackAnswer>> ReadFeedbackAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>One customer's survey answers, in time order.</summary>
    Task<IReadOnlyList<FeedbackAnswer>> ReadCustomerFeedbackAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Logged events of one type, in time order.</summary>
    Task<IReadOnlyList<LoggedEvent>> ReadEventsOfTypeAsync(string type, CancellationToken cancellationToken);

    /// <summary>A customer's logged events with their payloads, in arrival order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadCustomerEventsAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Every logged event that occurred at or after <paramref name="since"/>, in arrival order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadEventsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>A customer's outcomes, in the simulator's order.</summary>
    Task<IReadOnlyList<Engine.Outcome>> ReadCustomerOutcomesAsync(string customerId, CancellationToken cancellationToken);
}
