using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Simulation;

/// <summary>
/// The journey store in memory: the simulator's, and the reference the database providers are tested against.
/// One unit of work at a time; changes are applied on commit only.
/// </summary>
public sealed class InMemoryJourneyStore : IJourneyStore, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, CustomerState> _customers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inbox = new(StringComparer.Ordinal);
    private readonly List<Decision> _decisions = [];
    private readonly Dictionary<string, SendReference> _sends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SendReference>> _sendsByCustomer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _suppressed = new(StringComparer.Ordinal);

    /// <summary>Every committed decision, in commit order.</summary>
    public IReadOnlyList<Decision> Decisions => _decisions;

    public IEnumerable<CustomerState> Customers => _customers.Values;

    public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Unit(this, customerId);
    }

    public async Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Taken while the gate is held: the snapshot a rollback puts back.
        return new Batch(this);
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// Holds the store for its units, which apply at their own commit so that later units see them; disposed without its
    /// commit, the batch puts back what the store held when it began (as a database rolls back the batch's transaction).
    /// </summary>
    private sealed class Batch(InMemoryJourneyStore store) : IJourneyBatch
    {
        private readonly Dictionary<string, CustomerState> _customers = new(store._customers, StringComparer.Ordinal);
        private readonly HashSet<string> _inbox = new(store._inbox, StringComparer.Ordinal);
        private readonly int _decisions = store._decisions.Count;
        private readonly Dictionary<string, SendReference> _sends = new(store._sends, StringComparer.Ordinal);
        private readonly Dictionary<string, List<SendReference>> _sendsByCustomer = store._sendsByCustomer.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
        private readonly Dictionary<string, string> _suppressed = new(store._suppressed, StringComparer.Ordinal);
        private readonly List<(CustomerState State, long Revision)> _revisions = [];
        private bool _committed;
        private bool _released;

        public Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken) =>
            Task.FromResult<IJourneyUnitOfWork>(new Unit(store, customerId, this));

        /// <summary>A unit of this batch is about to apply its decision: the state's revision is put back too on rollback.</summary>
        public void Applying(CustomerState state) => _revisions.Add((state, state.Revision));

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            _committed = true;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (_released)
                return ValueTask.CompletedTask;
            _released = true;
            if (!_committed)
            {
                Restore(store._customers, _customers);
                Restore(store._sends, _sends);
                Restore(store._sendsByCustomer, _sendsByCustomer);
                Restore(store._suppressed, _suppressed);
                store._inbox.Clear();
                store._inbox.UnionWith(_inbox);
                store._decisions.RemoveRange(_decisions, store._decisions.Count - _decisions);
                foreach (var (state, revision) in _revisions)
                    state.Revision = revision;
            }
            store._gate.Release();
            return ValueTask.CompletedTask;
        }

        private static void Restore<TValue>(Dictionary<string, TValue> target, Dictionary<string, TValue> saved)
        {
            target.Clear();
            foreach (var (key, value) in saved)
                target[key] = value;
        }
    }

    private sealed class Unit(InMemoryJourneyStore store, string customerId, Batch? batch = null) : IJourneyUnitOfWork
    {
        private string? _eventId;
        private Decision? _decision;
        private bool _released;

        public Task<bool> TryAddToInboxAsync(CustomerEvent evt, CancellationToken cancellationToken)
        {
            _eventId = evt.EventId;
            return Task.FromResult(!store._inbox.Contains(evt.EventId));
        }

        public Task<SendReference?> FindSendAsync(string sendKey, CancellationToken cancellationToken) =>
            Task.FromResult(store._sends.GetValueOrDefault(sendKey));

        // Every decided send counts as sent here, as it does in the simulator's outcomes.
        public Task<SendReference?> LastSentAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) =>
            Task.FromResult(store._sendsByCustomer.GetValueOrDefault(customerId)?
                .Where(s => s.At >= since && s.At <= until)
                .OrderBy(s => s.At).LastOrDefault());

        public Task<IReadOnlyDictionary<string, string>> SuppressedAmongAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(addresses.Where(store._suppressed.ContainsKey).Distinct(StringComparer.Ordinal)
                .ToDictionary(a => a, a => store._suppressed[a], StringComparer.Ordinal));

        public Task<CustomerState?> LoadCustomerAsync(CancellationToken cancellationToken) =>
            Task.FromResult(store._customers.GetValueOrDefault(customerId));

        public Task SaveAsync(Decision decision, CancellationToken cancellationToken)
        {
            _decision = decision;
            return Task.CompletedTask;
        }

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            if (_eventId is not null)
                store._inbox.Add(_eventId);
            if (_decision is not null)
            {
                batch?.Applying(_decision.State);
                _decision.State.Revision++;
                store._customers[customerId] = _decision.State;
                store._decisions.Add(_decision);
                // As the database stores do: the first suppression of an address stays; a resubscribe lifts only an unsubscribe.
                if (_decision.State.BouncedAddress is { Length: > 0 } bounced)
                    store._suppressed.TryAdd(AddressSuppression.Normalize(bounced), AddressSuppression.Bounced);
                if (_decision.State.SubscriptionChange is { Unsubscribed: true } unsubscribed)
                    store._suppressed.TryAdd(unsubscribed.Address, AddressSuppression.UnsubscribedReason);
                else if (_decision.State.SubscriptionChange is { Unsubscribed: false } resubscribed
                         && store._suppressed.GetValueOrDefault(resubscribed.Address) == AddressSuppression.UnsubscribedReason)
                    store._suppressed.Remove(resubscribed.Address);
                foreach (var send in _decision.Sends)
                {
                    var reference = new SendReference(send.SendKey, send.CustomerId, send.JourneyId, send.Version, send.StepId, send.InstanceId, send.At);
                    if (store._sends.TryAdd(send.SendKey, reference))
                        (store._sendsByCustomer.TryGetValue(send.CustomerId, out var list) ? list : store._sendsByCustomer[send.CustomerId] = []).Add(reference);
                }
            }
            Release();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Release();
            return ValueTask.CompletedTask;
        }

        private void Release()
        {
            if (_released)
                return;
            _released = true;
            if (batch is null)
                store._gate.Release();
        }
    }
}
