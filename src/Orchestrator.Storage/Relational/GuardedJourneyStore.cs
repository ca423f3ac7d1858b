using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The journey store as the ways in see it: a failure of the database itself (see <see cref="StorageDialect.Unavailable"/>)
/// becomes a <see cref="StoreUnavailableException"/>, so that an event is answered "try again" and never failed for it.
/// Other errors pass as they are.
/// </summary>
internal sealed class GuardedJourneyStore(IJourneyStore inner, StorageDialect dialect) : IJourneyStore
{
    private string? _lastFailure;

    /// <summary>Why the last unit of work failed on the database, until one commits again; null while units commit.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken) =>
        new Unit(await Watch(() => inner.BeginAsync(customerId, cancellationToken)).ConfigureAwait(false), this);

    public async Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken) =>
        new Batch(await Watch(() => inner.BeginBatchAsync(customerIds, cancellationToken)).ConfigureAwait(false), this);

    private async Task<T> Watch<T>(Func<Task<T>> call)
    {
        try
        {
            return await dialect.Guard(call).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            Volatile.Write(ref _lastFailure, ex.Message);
            throw;
        }
    }

    private sealed class Batch(IJourneyBatch inner, GuardedJourneyStore store) : IJourneyBatch
    {
        public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken) =>
            new Unit(await store.Watch(() => inner.BeginAsync(customerId, cancellationToken)).ConfigureAwait(false), store, inBatch: true);

        public Task CommitAsync(CancellationToken cancellationToken) =>
            store.Watch(async () =>
            {
                await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref store._lastFailure, null);
                return true;
            });

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class Unit(IJourneyUnitOfWork inner, GuardedJourneyStore store, bool inBatch = false) : IJourneyUnitOfWork
    {
        public Task<bool> TryAddToInboxAsync(CustomerEvent evt, CancellationToken cancellationToken) =>
            store.Watch(() => inner.TryAddToInboxAsync(evt, cancellationToken));

        public Task<CustomerState?> LoadCustomerAsync(CancellationToken cancellationToken) =>
            store.Watch(() => inner.LoadCustomerAsync(cancellationToken));

        public Task<SendReference?> FindSendAsync(string sendKey, CancellationToken cancellationToken) =>
            store.Watch(() => inner.FindSendAsync(sendKey, cancellationToken));

        public Task<SendReference?> LastSentAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) =>
            store.Watch(() => inner.LastSentAsync(since, until, cancellationToken));

        public Task<IReadOnlyDictionary<string, string>> SuppressedAmongAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken) =>
            store.Watch(() => inner.SuppressedAmongAsync(addresses, cancellationToken));

        public Task SaveAsync(Decision decision, CancellationToken cancellationToken) =>
            store.Watch(async () =>
            {
                await inner.SaveAsync(decision, cancellationToken).ConfigureAwait(false);
                return true;
            });

        public Task CommitAsync(CancellationToken cancellationToken) =>
            store.Watch(async () =>
            {
                await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
                // A unit of a batch is durable only with the batch's commit, which clears the failure.
                if (!inBatch)
                    Volatile.Write(ref store._lastFailure, null);
                return true;
            });

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
