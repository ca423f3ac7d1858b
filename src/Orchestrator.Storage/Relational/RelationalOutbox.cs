using System.Data.Common;
using Dapper;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The outbox: sends are queued by the unit of work that decided them; status changes and the outcome they record
/// are written in one transaction, and a send's outcome of a kind is recorded once (a unique index on
/// <c>outcomes(send_key, kind)</c> backs the check).
/// </summary>
internal sealed class RelationalOutbox(StorageDialect dialect, TimeProvider time) : IOutbox
{
    private const string AbandonedReason = "worker stopped while sending; not resent";

    public Task<IReadOnlyList<ClaimedSend>> ClaimAsync(string workerId, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return dialect.WriteAsync<IReadOnlyList<ClaimedSend>>(async connection =>
        {
            var rows = await connection.QueryAsync<SendRow>(dialect.Command(dialect.Sql.ClaimSends, new
            {
                workerId,
                now = dialect.Time(now),
                max,
            }, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new ClaimedSend(ToEmail(r), r.Attempts)).OrderBy(c => c.Email.At).ThenBy(c => c.Email.SendKey, StringComparer.Ordinal).ToList();
        }, cancellationToken);
    }

    public Task MarkSentAsync(IReadOnlyList<EmailToSend> emails, DateTimeOffset now, CancellationToken cancellationToken) =>
        dialect.WriteInTransactionAsync(async (connection, transaction) =>
        {
            foreach (var email in emails)
                await ChangeInAsync(connection, transaction, email, dialect.Sql.MarkSent, new { sendKey = email.SendKey, now = dialect.Time(now) },
                    email.SentOutcome(), now, mustExist: true, cancellationToken).ConfigureAwait(false);
            return emails.Count;
        }, cancellationToken);

    public Task MarkFailedAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeAsync(email, dialect.Sql.MarkFailed, new { sendKey = email.SendKey, reason, now = dialect.Time(now) },
            Reported(email, OutcomeKind.Failed, reason), now, mustExist: false, cancellationToken);

    // The same statement as a bounce event's: a second suppression of one address changes nothing.
    public Task SuppressAddressAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        dialect.WriteAsync(connection => connection.ExecuteAsync(dialect.Command(dialect.Sql.InsertSuppression, new
            {
                address = AddressSuppression.Normalize(email.To),
                customerId = email.CustomerId,
                reason = AddressSuppression.Bounced + " (mailbox unknown: " + reason + ")",
                at = dialect.Time(now),
            }, null, cancellationToken)), cancellationToken);

    public Task RetryLaterAsync(EmailToSend email, string reason, DateTimeOffset retryAt, bool attempted, CancellationToken cancellationToken) =>
        dialect.WriteAsync(connection => connection.ExecuteAsync(dialect.Command(dialect.Sql.RetryLater, new
        {
            sendKey = email.SendKey,
            reason,
            attempted = attempted ? 1 : 0,
            retryAt = dialect.Time(retryAt),
            now = dialect.Time(time.GetUtcNow()),
        }, null, cancellationToken)), cancellationToken);

    public Task<IReadOnlyList<HandOff>> HandOffsAsync(string customerId, DateTimeOffset since, CancellationToken cancellationToken) =>
        dialect.ReadAsync<IReadOnlyList<HandOff>>(async connection =>
        {
            var rows = await connection.QueryAsync<HandOffRow>(dialect.Command(dialect.Sql.SelectHandOffs, new
            {
                customerId,
                since = dialect.Time(since),
            }, null, cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => new HandOff(r.SendKey, StoredTime.Read(r.At))).ToList();
        }, cancellationToken);

    // The deferral's outcome is stored without the send key: a send can be held at hand-off more than once.
    public Task DeferAsync(EmailToSend email, SendDeferral deferral, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeAsync(email, dialect.Sql.DeferSend, new { sendKey = email.SendKey, until = dialect.Time(deferral.Until), now = dialect.Time(now) },
            email.DeferredAtHandOff(deferral, now), now, mustExist: false, cancellationToken, keyed: false);

    public Task<int> MarkAbandonedAsync(string? workerId, DateTimeOffset abandonedBefore, DateTimeOffset now, CancellationToken cancellationToken) =>
        dialect.WriteInTransactionAsync(async (connection, transaction) =>
        {
            var abandoned = (await connection.QueryAsync<SendRow>(dialect.Command(dialect.Sql.MarkAbandoned, new
            {
                workerId,
                abandonedBefore = dialect.Time(abandonedBefore),
                now = dialect.Time(now),
            }, transaction, cancellationToken)).ConfigureAwait(false)).Select(ToEmail).ToList();
            foreach (var email in abandoned)
                await InsertOutcomeAsync(connection, transaction, email, Reported(email, OutcomeKind.Unknown, AbandonedReason), now, cancellationToken).ConfigureAwait(false);
            return abandoned.Count;
        }, cancellationToken);

    private Task<int> ChangeAsync(EmailToSend email, string update, object parameters, Outcome outcome, DateTimeOffset now, bool mustExist, CancellationToken cancellationToken, bool keyed = true) =>
        dialect.WriteInTransactionAsync((connection, transaction) => ChangeInAsync(connection, transaction, email, update, parameters, outcome, now, mustExist, cancellationToken, keyed),
            cancellationToken);

    /// <summary>A send's status change and the outcome it records, in <paramref name="transaction"/>.</summary>
    private async Task<int> ChangeInAsync(DbConnection connection, DbTransaction transaction, EmailToSend email, string update, object parameters, Outcome outcome,
        DateTimeOffset now, bool mustExist, CancellationToken cancellationToken, bool keyed = true)
    {
        var changed = await connection.ExecuteAsync(dialect.Command(update, parameters, transaction, cancellationToken)).ConfigureAwait(false);
        if (changed == 0 && mustExist)
            throw new InvalidOperationException($"Send '{email.SendKey}' is not in the outbox.");
        if (changed > 0)
            await InsertOutcomeAsync(connection, transaction, email, outcome, now, cancellationToken, keyed).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// The outcome takes the send's place in its decision (revision, seq are read from the send's row). A keyed outcome
    /// carries the send key and is recorded once per kind.
    /// </summary>
    private Task<int> InsertOutcomeAsync(DbConnection connection, DbTransaction transaction, EmailToSend email, Outcome outcome, DateTimeOffset now, CancellationToken cancellationToken, bool keyed = true) =>
        connection.ExecuteAsync(dialect.Command(dialect.Sql.InsertSendOutcome,
            OutcomeRecord.Parameters(dialect, outcome, email.SendKey, keyed ? email.SendKey : null, revision: 0, seq: 0, dialect.Time(now)),
            transaction, cancellationToken));

    private static Outcome Reported(EmailToSend email, string kind, string reason) => new(
        email.At, email.JourneyId, email.Version, email.CustomerId, email.InstanceId, email.StepId, kind, email.Variant,
        new Dictionary<string, object?>(StringComparer.Ordinal) { ["subject"] = email.Subject, ["to"] = email.To, ["reason"] = reason });

    private static EmailToSend ToEmail(SendRow row) => new()
    {
        SendKey = row.SendKey,
        At = StoredTime.Read(row.At),
        JourneyId = row.JourneyId,
        Version = row.Version,
        InstanceId = row.InstanceId,
        StepId = row.StepId,
        CustomerId = row.CustomerId,
        Variant = row.Variant,
        To = row.ToAddress,
        From = row.FromAddress,
        Subject = row.Subject,
        Preheader = row.Preheader,
        Html = row.HtmlBody,
        Text = row.TextBody,
        OutcomeIndex = row.OutcomeIndex,
        SendWindow = StoredWindow.Read(row.WindowDays, row.WindowFrom, row.WindowTo),
        TimeZone = row.TimeZone,
    };
}
