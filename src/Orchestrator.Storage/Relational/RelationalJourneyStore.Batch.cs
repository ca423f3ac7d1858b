using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;


namespace Orchestrator.Storage.Relational;

/// <summary>The batch: one transaction for the units of several customers, committed once for all of them.</summary>
internal sealed partial class RelationalJourneyStore
{
    private sealed class Batch(StorageDialect dialect, TimeProvider time, OpenTransaction open, IReadOnlyList<string> customerIds) : IJourneyBatch
    {
        private readonly HashSet<string> _customers = new(customerIds, StringComparer.Ordinal);
        private readonly List<(CustomerState State, long Revision)> _saved = [];
        private Unit? _current;
        private string? _spoiled;
        private bool _committed;
        private bool _disposed;

        public Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            if (!_customers.Contains(customerId))
                throw new ArgumentException($"Customer '{customerId}' is not one of this batch's; its lock was not taken.", nameof(customerId));
            if (_current is not null)
                throw new InvalidOperationException("A batch runs one unit at a time; commit or dispose the unit before beginning the next.");
            _current = new Unit(dialect, time, open, customerId, this);
            return Task.FromResult<IJourneyUnitOfWork>(_current);
        }

        /// <summary>Called by a unit of this batch when it ends: committed, its state takes the new revision with the batch.</summary>
        public void Ended(Unit unit, bool committed, bool wrote, CustomerState? saved, long revision)
        {
            if (!ReferenceEquals(unit, _current))
                return;
            _current = null;
            if (committed && saved is not null)
                _saved.Add((saved, revision));
            else if (!committed && wrote)
                _spoiled ??= $"a unit of customer '{unit.CustomerId}' wrote and ended without its commit";
        }

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            ThrowIfDone();
            if (_current is not null)
                throw new InvalidOperationException("A unit of this batch is still open; commit or dispose it first.");
            if (_spoiled is not null)
                throw new InvalidOperationException($"Nothing of this batch can be committed: {_spoiled}, and a unit cannot be undone alone.");
            await open.Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _committed = true;
            foreach (var (state, revision) in _saved)
                state.Revision = revision;
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
                return;
            _disposed = true;
            await open.DisposeAsync().ConfigureAwait(false);
        }

        private void ThrowIfDone()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_committed)
                throw new InvalidOperationException("This batch is committed; begin another one.");
        }
    }
}
