using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Email.Tests;

/// <summary>
/// A stand-in <see cref="IOutbox"/> for the dispatcher tests ONLY. The real outbox lives in Orchestrator.Storage
/// (SQLite / SQL Server), which was being written at the same time as this project; these tests should move to it
/// once it exists. This one keeps rows in memory and records every call, which is what the tests check.
/// </summary>
internal sealed class InMemoryTestOutbox : IOutbox
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly List<Call> _calls = [];

    public sealed record Call(string Operation, string SendKey, string? Reason, DateTimeOffset At);

    public sealed record AbandonCall(string? WorkerId, DateTimeOffset AbandonedBefore, DateTimeOffset Now);

    private sealed class Row(EmailToSend email, DateTimeOffset dueAt)
    {
        public EmailToSend Email { get; } = email;
        public string Status { get; set; } = "queued";
        public DateTimeOffset DueAt { get; set; } = dueAt;
        public DateTimeOffset? ClaimedAt { get; set; }
    }

    public List<AbandonCall> AbandonCalls { get; } = [];

    /// <summary>Every deferral at hand-off, in order.</summary>
    public List<SendDeferral> Deferrals { get; } = [];

    public IReadOnlyList<Call> Calls
    {
        get { lock (_gate) return [.. _calls]; }
    }

    /// <summary>Sends claimed and not yet recorded.</summary>
    public int InFlight
    {
        get { lock (_gate) return _rows.Values.Count(r => r.Status == "sending"); }
    }

    public void Enqueue(EmailToSend email, DateTimeOffset dueAt)
    {
        lock (_gate) _rows[email.SendKey] = new Row(email, dueAt);
    }

    public string StatusOf(string sendKey)
    {
        lock (_gate) return _rows[sendKey].Status;
    }

    public Task<IReadOnlyList<EmailToSend>> ClaimAsync(string workerId, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var due = _rows.Values.Where(r => r.Status == "queued" && r.DueAt <= now).OrderBy(r => r.DueAt).Take(max).ToList();
            foreach (var row in due)
            {
                row.Status = "sending";
                row.ClaimedAt = now;
                _calls.Add(new Call("claim", row.Email.SendKey, null, now));
            }
            return Task.FromResult<IReadOnlyList<EmailToSend>>([.. due.Select(r => r.Email)]);
        }
    }

    public Task MarkSentAsync(EmailToSend email, DateTimeOffset now, CancellationToken cancellationToken) =>
        Record(email, "sent", null, now);

    public Task MarkFailedAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        Record(email, "failed", reason, now);

    public Task SuppressAddressAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate) _calls.Add(new Call("suppress " + email.To, email.SendKey, reason, now));
        return Task.CompletedTask;
    }

    public Task RetryLaterAsync(EmailToSend email, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken)
    {
        lock (_gate) _rows[email.SendKey].DueAt = retryAt;
        return Record(email, "queued", reason, retryAt, "retry");
    }

    public Task<IReadOnlyList<HandOff>> HandOffsAsync(string customerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<HandOff>>([.. _rows.Values
                .Where(r => r.Email.CustomerId == customerId && r.Status is ("sending" or "sent") && r.ClaimedAt > since)
                .Select(r => new HandOff(r.Email.SendKey, r.ClaimedAt!.Value))]);
        }
    }

    public Task DeferAsync(EmailToSend email, SendDeferral deferral, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _rows[email.SendKey].DueAt = deferral.Until;
            _rows[email.SendKey].ClaimedAt = null;
            Deferrals.Add(deferral);
        }
        return Record(email, "queued", deferral.Reason, now, "deferred");
    }

    public Task<int> MarkAbandonedAsync(string? workerId, DateTimeOffset abandonedBefore, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate) AbandonCalls.Add(new AbandonCall(workerId, abandonedBefore, now));
        return Task.FromResult(0);
    }

    /// <summary>How many of the next results to record fail as a full disk would, before recording works again.</summary>
    public int FailingRecords { get; set; }

    private Task Record(EmailToSend email, string status, string? reason, DateTimeOffset at, string? operation = null)
    {
        lock (_gate)
        {
            if (FailingRecords > 0)
            {
                FailingRecords--;
                _calls.Add(new Call("record failed", email.SendKey, status, at));
                throw new IOException("database or disk is full");
            }
            var row = _rows[email.SendKey];
            if (row.Status != "sending")
                throw new InvalidOperationException($"{email.SendKey} is {row.Status}, not sending");
            row.Status = status;
            _calls.Add(new Call(operation ?? status, email.SendKey, reason, at));
        }
        return Task.CompletedTask;
    }
}
