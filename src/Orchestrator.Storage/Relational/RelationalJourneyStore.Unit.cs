using System.Data.Common;
using Dapper;
using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;


namespace Orchestrator.Storage.Relational;

/// <summary>A unit of work: its inbox, the reads a decision needs, loading the customer, commit and dispose.</summary>
internal sealed partial class RelationalJourneyStore
{
    private sealed partial class Unit(StorageDialect dialect, TimeProvider time, OpenTransaction open, string customerId, Batch? batch)
        : IJourneyUnitOfWork
    {
        private readonly SqlStatements _sql = dialect.Sql;
        private readonly DbConnection connection = open.Connection;
        private readonly DbTransaction transaction = open.Transaction;
        private CustomerState? _saved;
        private long _savedRevision;
        private Dictionary<string, StoredInstance>? _stored;
        private bool _wrote;
        private bool _committed;
        private bool _disposed;

        public string CustomerId => customerId;

        public async Task<bool> TryAddToInboxAsync(CustomerEvent evt, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            try
            {
                var receivedAt = dialect.Time(time.GetUtcNow());
                var added = await connection.ExecuteAsync(dialect.Command(_sql.InsertInbox, new
                {
                    eventId = evt.EventId,
                    customerId = evt.CustomerId,
                    eventType = evt.Type,
                    receivedAt,
                }, transaction, cancellationToken)).ConfigureAwait(false);
                if (added == 0)
                    return false;
                _wrote = true;
                // The event log: the payload, in the decision's transaction, so a replay sees exactly what was decided.
                await connection.ExecuteAsync(dialect.Command(_sql.InsertEvent, new
                {
                    eventId = evt.EventId,
                    customerId = evt.CustomerId,
                    eventType = evt.Type,
                    occurredAt = dialect.Time(evt.OccurredAt),
                    receivedAt,
                    propertiesJson = StateJson.WriteElement(evt.Properties),
                    customerJson = StateJson.WriteCustomerUpdate(evt.Customer),
                }, transaction, cancellationToken)).ConfigureAwait(false);
                return true;
            }
            catch (DbException ex) when (dialect.IsDuplicateKey(ex))
            {
                // Another unit inserted the same event id at the same moment and committed first.
                return false;
            }
        }

        public async Task<SendReference?> FindSendAsync(string sendKey, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            var row = await connection.QuerySingleOrDefaultAsync<SendReferenceRow>(
                dialect.Command(_sql.SelectSendByKey, new { sendKey }, transaction, cancellationToken)).ConfigureAwait(false);
            return row?.ToReference();
        }

        public async Task<IReadOnlyDictionary<string, string>> SuppressedAmongAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            var suppressed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var address in addresses)
            {
                if (await connection.QuerySingleOrDefaultAsync<string>(dialect.Command(_sql.SelectSuppressed, new { address }, transaction, cancellationToken)).ConfigureAwait(false) is { } reason)
                    suppressed[address] = reason;
            }
            return suppressed;
        }

        public async Task<SendReference?> LastSentAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            var row = await connection.QuerySingleOrDefaultAsync<SendReferenceRow>(dialect.Command(_sql.SelectLastSent, new
            {
                customerId,
                since = dialect.Time(since),
                until = dialect.Time(until),
            }, transaction, cancellationToken)).ConfigureAwait(false);
            return row?.ToReference();
        }

        public async Task<CustomerState?> LoadCustomerAsync(CancellationToken cancellationToken)
        {
            ThrowIfDone();
            var row = await connection.QuerySingleOrDefaultAsync<CustomerRow>(
                dialect.Command(_sql.SelectCustomer, new { customerId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (row is null)
                return null;
            var instances = (await connection.QueryAsync<InstanceRow>(
                dialect.Command(_sql.SelectInstances, new { customerId }, transaction, cancellationToken)).ConfigureAwait(false)).Select(ToInstance).ToList();
            // As stored: the save writes only the rows that come out different.
            _stored = instances.Select(Stored).ToDictionary(v => v.InstanceId, StringComparer.Ordinal);
            return new CustomerState
            {
                Profile = StateJson.ReadProfile(row.ProfileJson),
                Unsubscribed = row.Unsubscribed,
                BouncedAddress = row.BouncedAddress,
                RecentSends = StateJson.ReadTimes(row.RecentSendsJson),
                Instances = instances,
                Revision = row.Revision,
            };
        }
        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            ThrowIfDone();
            if (batch is null)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                if (_saved is not null)
                    _saved.Revision = _savedRevision;
            }
            _committed = true;
            batch?.Ended(this, committed: true, _wrote, _saved, _savedRevision);
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
                return;
            _disposed = true;
            if (batch is not null)
            {
                batch.Ended(this, _committed, _wrote, _saved, _savedRevision);
                return;
            }
            // Disposing an uncommitted transaction rolls it back and releases the customer's lock.
            await open.DisposeAsync().ConfigureAwait(false);
        }

        private void ThrowIfDone()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_committed)
                throw new InvalidOperationException("This unit of work is committed; begin another one.");
        }
    }
}
