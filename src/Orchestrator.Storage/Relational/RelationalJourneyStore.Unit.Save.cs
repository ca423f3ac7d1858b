using System.Data;
using System.Data.Common;
using Dapper;
using Orchestrator.Core.Engine;


namespace Orchestrator.Storage.Relational;

/// <summary>Saving a decision: the customer with its revision check, its instances, outcomes, sends, wakeups, feedback and suppressions.</summary>
internal sealed partial class RelationalJourneyStore
{
    private sealed partial class Unit
    {
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
                    level = answer.Level.ToStored(),
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
        // An instance's row as values with equality, so the save can tell which rows changed; the ordinal is its place
        // in the customer's list (the engine's order, kept on load).
        private static StoredInstance Stored(JourneyInstance instance, int ordinal) => new(
            instance.Id, ordinal, instance.JourneyId, instance.Version, instance.Key, instance.EnteredAt, instance.EntryEventId,
            instance.EntryEventType, StateJson.WriteElement(instance.EntryProperties), instance.Status.ToStored(), instance.StepId,
            instance.Waiting.ToStored(), instance.WakeAt, instance.Variant, instance.ConvertedAt, instance.SendCount, instance.EndedAt,
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
            Status = StoredNames.ParseInstanceStatus(row.Status),
            StepId = row.StepId,
            Waiting = StoredNames.ParseWaitingFor(row.Waiting),
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
