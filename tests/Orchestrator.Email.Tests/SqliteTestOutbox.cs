using Dapper;
using Microsoft.Data.Sqlite;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Storage;

namespace Orchestrator.Email.Tests;

/// <summary>
/// The outbox production runs (Storage's, on a SQLite file in a temporary folder), with every call the dispatcher makes
/// written down on its way through, which is what the dispatcher tests check. The rows are the real ones: claims,
/// retries, deferrals, hand-offs and attempt counts are Storage's SQL, not a copy of it.
/// </summary>
internal sealed class SqliteTestOutbox : IOutbox, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Call> _calls = [];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orchestrator-email-tests", Guid.NewGuid().ToString("N"));
    private readonly TimeProvider _time;
    private IOutbox _outbox;

    public sealed record Call(string Operation, string SendKey, string? Reason, DateTimeOffset At);

    public sealed record AbandonCall(string? WorkerId, DateTimeOffset AbandonedBefore, DateTimeOffset Now);

    public SqliteTestOutbox(TimeProvider time)
    {
        _time = time;
        Database = Path.Combine(_folder, "orchestrator.db");
        Storage = Open();
        Storage.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        _outbox = Storage.Outbox;
    }

    /// <summary>The SQLite file.</summary>
    public string Database { get; }

    /// <summary>The storage over <see cref="Database"/>; <see cref="Reopen"/> replaces it, as a restarted worker would.</summary>
    public JourneyStorage Storage { get; private set; }

    public List<AbandonCall> AbandonCalls { get; } = [];

    /// <summary>Every deferral at hand-off, in order.</summary>
    public List<SendDeferral> Deferrals { get; } = [];

    /// <summary>The clock times of every claim the dispatcher made, including those that found nothing due.</summary>
    public List<DateTimeOffset> ClaimTimes { get; } = [];

    public IReadOnlyList<Call> Calls
    {
        get { lock (_gate) return [.. _calls]; }
    }

    /// <summary>Whether the dispatcher has looked at the outbox at or after <paramref name="moment"/> on its clock.</summary>
    public bool ClaimedAtOrAfter(DateTimeOffset moment)
    {
        lock (_gate) return ClaimTimes.Any(t => t >= moment);
    }

    /// <summary>Sends claimed and not yet recorded.</summary>
    public int InFlight => (int)Scalar<long>("SELECT COUNT(*) FROM sends WHERE status = 'sending'");

    /// <summary>The send's status in the database.</summary>
    public string StatusOf(string sendKey) =>
        Scalar<string>("SELECT status FROM sends WHERE send_key = @sendKey", new { sendKey }) ?? throw new KeyNotFoundException(sendKey);

    /// <summary>The attempts stored for the send.</summary>
    public long AttemptsOf(string sendKey) => Scalar<long>("SELECT attempts FROM sends WHERE send_key = @sendKey", new { sendKey });

    /// <summary>
    /// Queues <paramref name="email"/> as the engine's unit of work does (with its customer's decision), due now:
    /// the storage stamps a new send with its clock, so <paramref name="dueAt"/> must be that clock's time.
    /// </summary>
    public void Enqueue(EmailToSend email, DateTimeOffset dueAt)
    {
        if (dueAt != _time.GetUtcNow())
            throw new ArgumentException($"a new send is due when it is queued, {_time.GetUtcNow():O}, not {dueAt:O}", nameof(dueAt));
        Task.Run(async () =>
        {
            await using var unit = await Storage.Store.BeginAsync(email.CustomerId, CancellationToken.None);
            var state = await unit.LoadCustomerAsync(CancellationToken.None) ?? CustomerState.New(email.CustomerId);
            await unit.SaveAsync(new Decision(state, [], [email], []), CancellationToken.None);
            await unit.CommitAsync(CancellationToken.None);
        }).GetAwaiter().GetResult();
    }

    /// <summary>A new storage over the same file, for a dispatcher that starts again.</summary>
    public void Reopen()
    {
        Storage = Open();
        _outbox = Storage.Outbox;
    }

    public async Task<IReadOnlyList<ClaimedSend>> ClaimAsync(string workerId, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var claimed = await _outbox.ClaimAsync(workerId, now, max, cancellationToken);
        lock (_gate)
        {
            ClaimTimes.Add(now);
            foreach (var send in claimed)
                _calls.Add(new Call("claim", send.Email.SendKey, null, now));
        }
        return claimed;
    }

    public Task MarkSentAsync(EmailToSend email, DateTimeOffset now, CancellationToken cancellationToken) => MarkSentAsync([email], now, cancellationToken);

    public async Task MarkSentAsync(IReadOnlyList<EmailToSend> emails, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            SentBatches.Add(emails.Count);
            if (FailingRecords > 0)
            {
                FailingRecords--;
                foreach (var email in emails)
                    _calls.Add(new Call("record failed", email.SendKey, "sent", now));
                throw new IOException("database or disk is full");
            }
        }
        foreach (var email in emails)
        {
            if (StatusOf(email.SendKey) is var before && before != "sending")
                throw new InvalidOperationException($"{email.SendKey} is {before}, not sending");
        }
        await _outbox.MarkSentAsync(emails, now, cancellationToken);
        lock (_gate)
        {
            foreach (var email in emails)
                _calls.Add(new Call("sent", email.SendKey, null, now));
        }
    }

    /// <summary>How many sends each call that marked sends sent carried, in order.</summary>
    public List<int> SentBatches { get; } = [];

    public Task MarkFailedAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        RecordAsync(email, "failed", reason, now, () => _outbox.MarkFailedAsync(email, reason, now, cancellationToken));

    public async Task SuppressAddressAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _outbox.SuppressAddressAsync(email, reason, now, cancellationToken);
        lock (_gate) _calls.Add(new Call("suppress " + email.To, email.SendKey, reason, now));
    }

    public Task RetryLaterAsync(EmailToSend email, string reason, DateTimeOffset retryAt, bool attempted, CancellationToken cancellationToken) =>
        RecordAsync(email, "queued", reason, retryAt, () => _outbox.RetryLaterAsync(email, reason, retryAt, attempted, cancellationToken), "retry");

    public Task<IReadOnlyList<HandOff>> HandOffsAsync(string customerId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (FailingHandOffs > 0)
            {
                FailingHandOffs--;
                throw new IOException("database is locked");
            }
        }
        return _outbox.HandOffsAsync(customerId, since, cancellationToken);
    }

    /// <summary>How many of the next reads of the hand-offs (the frequency cap's count) fail, before they work again.</summary>
    public int FailingHandOffs { get; set; }

    public Task DeferAsync(EmailToSend email, SendDeferral deferral, DateTimeOffset now, CancellationToken cancellationToken) =>
        RecordAsync(email, "queued", deferral.Reason, now, async () =>
        {
            await _outbox.DeferAsync(email, deferral, now, cancellationToken);
            lock (_gate) Deferrals.Add(deferral);
        }, "deferred");

    public async Task<int> MarkAbandonedAsync(string? workerId, DateTimeOffset abandonedBefore, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var abandoned = await _outbox.MarkAbandonedAsync(workerId, abandonedBefore, now, cancellationToken);
        lock (_gate) AbandonCalls.Add(new AbandonCall(workerId, abandonedBefore, now));
        return abandoned;
    }

    /// <summary>How many of the next results to record fail as a full disk would, before recording works again.</summary>
    public int FailingRecords { get; set; }

    private async Task RecordAsync(EmailToSend email, string status, string? reason, DateTimeOffset at, Func<Task> write, string? operation = null)
    {
        lock (_gate)
        {
            if (FailingRecords > 0)
            {
                FailingRecords--;
                _calls.Add(new Call("record failed", email.SendKey, status, at));
                throw new IOException("database or disk is full");
            }
        }
        var before = StatusOf(email.SendKey);
        if (before != "sending")
            throw new InvalidOperationException($"{email.SendKey} is {before}, not sending");
        await write();
        lock (_gate) _calls.Add(new Call(operation ?? status, email.SendKey, reason, at));
    }

    private JourneyStorage Open() =>
        JourneyStorage.Create(new StorageOptions { ConnectionString = $"Data Source={Database}" }, _time);

    private T? Scalar<T>(string sql, object? parameters = null)
    {
        using var connection = new SqliteConnection($"Data Source={Database}");
        connection.Open();
        return connection.ExecuteScalar<T>(sql, parameters);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless.
        }
    }
}
