using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Ports;

/// <summary>
/// Durable state behind the engine: profiles and instances, the outcome log, the inbox of processed event ids with
/// the event log of their payloads, feedback answers, wakeups and the outbox of sends. Everything one event decides is saved in one unit of work.
/// </summary>
public interface IJourneyStore
{
    /// <summary>Starts a unit of work for one customer. Implementations serialize units of the same customer
    /// (a row lock or an optimistic revision check), also across processes.</summary>
    Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>
    /// Starts one transaction for the units of several customers (group commit: one durable write for many decisions).
    /// The customers' locks are taken up front in ordinal order, so two workers' batches cannot deadlock.
    /// </summary>
    Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken);
}

/// <summary>
/// Units of work that become durable together. Disposed without <see cref="CommitAsync"/> it changes nothing, and so
/// does a batch one of whose units wrote and was then disposed without its commit: a unit cannot be undone alone.
/// </summary>
public interface IJourneyBatch : IAsyncDisposable
{
    /// <summary>A unit for one decision of a customer named at the start, run one after another inside the batch: it sees
    /// what the earlier ones saved. Its <see cref="IJourneyUnitOfWork.CommitAsync"/> closes it; the batch's commit makes it durable.</summary>
    Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>One atomic change for one customer; disposed without <see cref="CommitAsync"/> it changes nothing.</summary>
public interface IJourneyUnitOfWork : IAsyncDisposable
{
    /// <summary>Adds the event to the inbox and its payload to the event log; false when its <c>eventId</c> was processed before.</summary>
    Task<bool> TryAddToInboxAsync(CustomerEvent evt, CancellationToken cancellationToken);

    /// <summary>The customer's state, or null for a customer never seen.</summary>
    Task<CustomerState?> LoadCustomerAsync(CancellationToken cancellationToken);

    /// <summary>The send with this key (any customer's), for feedback attribution; null when there is none.</summary>
    Task<SendReference?> FindSendAsync(string sendKey, CancellationToken cancellationToken);

    /// <summary>This customer's latest email sent (decided) at or after <paramref name="since"/> and at or before <paramref name="until"/>.</summary>
    Task<SendReference?> LastSentAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Which of these normalized addresses (<see cref="AddressSuppression"/>) are suppressed for every customer,
    /// with the reason (a bounce, an unsupported mailbox, an unsubscribe), whoever's it was.</summary>
    Task<IReadOnlyDictionary<string, string>> SuppressedAmongAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken);

    /// <summary>Stores the new state, appends the outcomes, replaces the customer's wakeups and queues the sends.</summary>
    Task SaveAsync(Decision decision, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
