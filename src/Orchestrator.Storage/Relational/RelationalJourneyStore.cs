using System.Data;
using System.Data.Common;
using Dapper;
using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The journey store on a relational database: each unit of work is one database transaction that holds the
/// customer's lock from <see cref="BeginAsync"/> to commit or dispose, and checks the customer's revision on save. A
/// batch is one transaction for the units of several customers: one commit (one fsync on SQLite) for all of them.
/// </summary>
internal sealed class RelationalJourneyStore(StorageDialect dialect, TimeProvider time) : IJourneyStore
{
    public async Task<IJourneyUnitOfWork> BeginAsync(string customerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return new Unit(dialect, time, await OpenAsync([customerId], cancellationToken).ConfigureAwait(false), customerId, batch: null);
    }

    public async Task<IJourneyBatch> BeginBatchAsync(IReadOnlyCollection<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        if (customerIds.Count == 0 || customerIds.Any(string.IsNullOrEmpty))
            throw new ArgumentException("A batch is for one or more customers, each with an id.", nameof(customerIds));
        var ordered = customerIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new Batch(dialect, time, await OpenAsync(ordered, cancellationToken).ConfigureAwait(false), ordered);
    }

    private async Task<OpenTransaction> OpenAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        var turn = await dialect.WaitForWriterTurnAsync(cancellationToken).ConfigureAwait(false);
        DbConnection? connection = null;
        try
        {
            connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await dialect.BeginCustomerUnitAsync(connection, customerIds, cancellationToken).ConfigureAwait(false);
            return new OpenTransaction(turn, connection, transaction);
        }
        catch
        {
            if (connection is not null)
                await connection.DisposeAsync().ConfigureAwait(false);
            turn?.Dispose();
            throw;
        }
    }

    /// <summary>A connection with its transaction and this process's writer turn; disposed uncommitted it rolls back and releases the locks.</summary>
    private sealed class OpenTransaction(IDisposable? turn, DbConnection connection, DbTransaction transaction) : IAsyncDisposable
    {
        public DbConnection Connection { get; } = connection;

        public DbTransaction Transaction { get; } = transaction;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Transaction.DisposeAsync().ConfigureAwait(false);
                await Connection.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                turn?.Dispose();
            }
        }
    }

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

    private sealed class Unit(StorageDialect dialect, TimeProvider time, OpenTransaction open, string customerId, Batch? batch)
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

        /// <summary>
        /// Writes the customer's instances: all of them after a delete when this unit did not load what is stored (a new
        /// customer, a state from elsewhere), else only those that were added, changed (any column, the place in the list
        /// included) or dropped. Most decisions change one instance of a few; rewriting all was most of their writes.
        /// </summary>
        private async Task SaveInstancesAsync(CustomerState state, CancellationToken cancellationToken)
        {
            var rows = state.Instances.Select(Stored).ToList();
            if (_stored is not { } stored)
            {
                await connection.ExecuteAsync(dialect.Command(_sql.DeleteInstances, new { customerId }, transaction, cancellationToken)).ConfigureAwait(false);
                if (rows.Count > 0)
                    await connection.ExecuteAsync(dialect.Command(_sql.InsertInstance, rows.Select(InstanceParameters), transaction, cancellationToken)).ConfigureAwait(false);
                return;
            }
            var kept = rows.Select(r => r.InstanceId).ToHashSet(StringComparer.Ordinal);
            var dropped = stored.Keys.Where(id => !kept.Contains(id)).Select(instanceId => new { customerId, instanceId }).ToList();
            if (dropped.Count > 0)
                await connection.ExecuteAsync(dialect.Command(_sql.DeleteInstance, dropped, transaction, cancellationToken)).ConfigureAwait(false);
            var changed = rows.Where(r => stored.TryGetValue(r.InstanceId, out var before) && before != r).Select(InstanceParameters).ToList();
            if (changed.Count > 0)
                await connection.ExecuteAsync(dialect.Command(_sql.UpdateInstance, changed, transaction, cancellationToken)).ConfigureAwait(false);
            var added = rows.Where(r => !stored.ContainsKey(r.InstanceId)).Select(InstanceParameters).ToList();
            if (added.Count > 0)
                await connection.ExecuteAsync(dialect.Command(_sql.InsertInstance, added, transaction, cancellationToken)).ConfigureAwait(false);
        }

        public async Task SaveAsync(Decision decision, CancellationToken cancellationToken)
        {
            ThrowIfDone();
            if (_saved is not null)
                throw new InvalidOperationException("A unit of work saves one decision; begin another unit for the next one.");
            var state = decision.State;
            if (!string.Equals(state.CustomerId, customerId, StringComparison.Ordinal))
                throw new ArgumentException($"The decision is for customer '{state.CustomerId}', this unit of work for '{customerId}'.", nameof(decision));

            var now = dialect.Time(time.GetUtcNow());
            var revision = state.Revision + 1;
            _wrote = true;
            await SaveCustomerAsync(state, revision, now, cancellationToken).ConfigureAwait(false);

            await SaveInstancesAsync(state, cancellationToken).ConfigureAwait(false);

            // Outcomes and sends get one running sequence within the decision, in the simulator's order
            // (RecordingOrder), so the sent outcomes the outbox records later still sort into place: (at, customer, revision, seq).
            var outcomes = new List<object>(decision.Outcomes.Count);
            var sends = new List<object>(decision.Sends.Count);
            var seq = 0;
            foreach (var (outcome, send) in decision.InRecordingOrder())
            {
                if (send is not null)
                    sends.Add(SendParameters(send, revision, seq++, now));
                else
                    outcomes.Add(OutcomeParameters(outcome!, revision, seq++, now));
            }
            if (outcomes.Count > 0)
                await connection.ExecuteAsync(dialect.Command(_sql.InsertOutcome, outcomes, transaction, cancellationToken)).ConfigureAwait(false);
            if (sends.Count > 0)
                await connection.ExecuteAsync(dialect.Command(_sql.InsertSend, sends, transaction, cancellationToken)).ConfigureAwait(false);

            await connection.ExecuteAsync(dialect.Command(_sql.DeleteWakeups, new { customerId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (decision.Wakeups.Count > 0)
            {
                await connection.ExecuteAsync(dialect.Command(_sql.InsertWakeup, decision.Wakeups.Select(w => new
                {
                    customerId = w.CustomerId,
                    instanceId = w.InstanceId,
                    dueAt = dialect.Time(w.DueAt),
                }), transaction, cancellationToken)).ConfigureAwait(false);
            }

            if (decision.Feedback is { } answer)
            {
                await connection.ExecuteAsync(dialect.Command(_sql.InsertFeedback, new
                {
                    eventId = answer.EventId,
                    customerId = answer.CustomerId,
                    at = dialect.Time(answer.At),
                    metric = answer.Metric,
                    score = answer.Score,
                    level = StoredEnum.Write(answer.Level),
                    attributed = answer.Attributed,
                    journeyId = answer.JourneyId,
                    version = answer.Version,
                    stepId = answer.StepId,
                    instanceId = answer.InstanceId,
                    sendKey = answer.SendKey,
                    comment = answer.Comment,
                    recordedAt = now,
                }, transaction, cancellationToken)).ConfigureAwait(false);
            }

            if (state.BouncedAddress is { Length: > 0 } bounced)
            {
                await connection.ExecuteAsync(dialect.Command(_sql.InsertSuppression, new
                {
                    address = AddressSuppression.Normalize(bounced),
                    customerId,
                    reason = AddressSuppression.Bounced,
                    at = now,
                }, transaction, cancellationToken)).ConfigureAwait(false);
            }
            if (state.SubscriptionChange is { } change)
            {
                await connection.ExecuteAsync(change.Unsubscribed
                    ? dialect.Command(_sql.InsertSuppression, new { address = change.Address, customerId, reason = AddressSuppression.UnsubscribedReason, at = now }, transaction, cancellationToken)
                    : dialect.Command(_sql.DeleteUnsubscribed, new { address = change.Address }, transaction, cancellationToken)).ConfigureAwait(false);
            }
            _saved = state;
            _savedRevision = revision;
        }

        private async Task SaveCustomerAsync(CustomerState state, long revision, TimeParameter now, CancellationToken cancellationToken)
        {
            var parameters = new
            {
                customerId,
                profileJson = StateJson.WriteProfile(state.Profile),
                unsubscribed = state.Unsubscribed,
                bouncedAddress = state.BouncedAddress,
                recentSendsJson = StateJson.WriteTimes(state.RecentSends),
                expectedRevision = state.Revision,
                revision,
                now,
            };
            int written;
            try
            {
                written = await connection.ExecuteAsync(dialect.Command(
                    state.Revision == 0 ? _sql.InsertCustomer : _sql.UpdateCustomer, parameters, transaction, cancellationToken)).ConfigureAwait(false);
            }
            catch (DbException ex) when (dialect.IsDuplicateKey(ex))
            {
                written = 0;
            }
            if (written == 1)
                return;
            var stored = await connection.ExecuteScalarAsync<long?>(dialect.Command(_sql.SelectRevision, new { customerId }, transaction, cancellationToken)).ConfigureAwait(false);
            throw new DBConcurrencyException(
                $"Customer '{customerId}' changed since it was loaded: the decision was made on revision {state.Revision}, the store holds "
                + (stored is { } s ? $"revision {s}" : "no such customer")
                + ". Nothing was saved; load the customer again and decide again.");
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

        // An instance's row as values with equality, so the save can tell which rows changed; the ordinal is its place
        // in the customer's list (the engine's order, kept on load).
        private static StoredInstance Stored(JourneyInstance instance, int ordinal) => new(
            instance.Id, ordinal, instance.JourneyId, instance.Version, instance.Key, instance.EnteredAt, instance.EntryEventId,
            instance.EntryEventType, StateJson.WriteElement(instance.EntryProperties), StoredEnum.Write(instance.Status), instance.StepId,
            StoredEnum.Write(instance.Waiting), instance.WakeAt, instance.Variant, instance.ConvertedAt, instance.SendCount, instance.EndedAt,
            instance.EndReason);

        private object InstanceParameters(StoredInstance row) => new
        {
            customerId,
            instanceId = row.InstanceId,
            ordinal = row.Ordinal,
            journeyId = row.JourneyId,
            version = row.Version,
            instanceKey = row.Key,
            enteredAt = dialect.Time(row.EnteredAt),
            entryEventId = row.EntryEventId,
            entryEventType = row.EntryEventType,
            entryPropertiesJson = row.EntryPropertiesJson,
            status = row.Status,
            stepId = row.StepId,
            waiting = row.Waiting,
            wakeAt = dialect.Time(row.WakeAt),
            variant = row.Variant,
            convertedAt = dialect.Time(row.ConvertedAt),
            sendCount = row.SendCount,
            endedAt = dialect.Time(row.EndedAt),
            endReason = row.EndReason,
        };

        private static JourneyInstance ToInstance(InstanceRow row) => new()
        {
            Id = row.InstanceId,
            JourneyId = row.JourneyId,
            Version = row.Version,
            CustomerId = row.CustomerId,
            Key = row.InstanceKey,
            EnteredAt = StoredTime.Read(row.EnteredAt),
            EntryEventId = row.EntryEventId,
            EntryEventType = row.EntryEventType,
            EntryProperties = StateJson.ReadElement(row.EntryPropertiesJson),
            Status = StoredEnum.Read<InstanceStatus>(row.Status),
            StepId = row.StepId,
            Waiting = StoredEnum.Read<WaitingFor>(row.Waiting),
            WakeAt = StoredTime.ReadNullable(row.WakeAt),
            Variant = row.Variant,
            ConvertedAt = StoredTime.ReadNullable(row.ConvertedAt),
            SendCount = row.SendCount,
            EndedAt = StoredTime.ReadNullable(row.EndedAt),
            EndReason = row.EndReason,
        };

        private object SendParameters(EmailToSend email, long revision, int seq, TimeParameter now) => new
        {
            sendKey = email.SendKey,
            at = dialect.Time(email.At),
            journeyId = email.JourneyId,
            version = email.Version,
            instanceId = email.InstanceId,
            stepId = email.StepId,
            customerId = email.CustomerId,
            variant = email.Variant,
            toAddress = email.To,
            fromAddress = email.From,
            subject = email.Subject,
            preheader = email.Preheader,
            htmlBody = email.Html,
            textBody = email.Text,
            outcomeIndex = email.OutcomeIndex,
            revision,
            seq,
            now,
            windowDays = StoredWindow.Days(email.SendWindow),
            windowFrom = StoredWindow.From(email.SendWindow),
            windowTo = StoredWindow.To(email.SendWindow),
            timeZone = email.TimeZone,
        };

        private object OutcomeParameters(Outcome outcome, long revision, int seq, TimeParameter now) =>
            OutcomeRecord.Parameters(dialect, outcome, sendKey: null, outcomeSendKey: null, revision, seq, now);
    }
}

/// <summary>An instance's row as stored, compared by value.</summary>
internal sealed record StoredInstance(
    string InstanceId, int Ordinal, string JourneyId, string Version, string Key, DateTimeOffset EnteredAt, string EntryEventId,
    string EntryEventType, string? EntryPropertiesJson, string Status, string? StepId, string Waiting, DateTimeOffset? WakeAt,
    string? Variant, DateTimeOffset? ConvertedAt, int SendCount, DateTimeOffset? EndedAt, string? EndReason);

/// <summary>Enums are stored by name in lower case, so the tables read well in analysis queries.</summary>
internal static class StoredEnum
{
    public static string Write<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static T Read<T>(string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new InvalidDataException($"'{value}' is not a stored {typeof(T).Name}");
}
