using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Email.Tests;

/// <summary>
/// The dispatcher with a fake clock, a real SMTP server and Storage's outbox on a SQLite file (<see cref="SqliteTestOutbox"/>).
/// </summary>
public sealed class OutboxDispatcherTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly SqliteTestOutbox _outbox;

    public OutboxDispatcherTests() => _outbox = new SqliteTestOutbox(_time);

    public void Dispose() => _outbox.Dispose();

    private OutboxDispatcher Dispatcher(EmailOptions options, out SmtpEmailSender sender, SendingOptions? sending = null)
    {
        options.PollInterval = Poll;
        sender = TestEmails.SmtpSender(options, _time);
        return new OutboxDispatcher(_outbox, sender, Options.Create(options), Options.Create(sending ?? new SendingOptions()), _time, NullLogger<OutboxDispatcher>.Instance);
    }

    [Fact]
    public async Task Marks_abandoned_sends_once_at_start()
    {
        using var dispatcher = Dispatcher(TestEmails.Options(SmtpTestServer.FreePort(), o => o.AbandonAfter = TimeSpan.FromMinutes(15)), out var sender);
        await using var _ = sender;

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.AbandonCalls.Count > 0);
        for (var i = 0; i < 5; i++)
            _time.Advance(Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        var call = Assert.Single(_outbox.AbandonCalls);
        Assert.Equal(new SqliteTestOutbox.AbandonCall("test-worker", Start - TimeSpan.FromMinutes(15), Start), call);
    }

    [Fact]
    public async Task Keeps_reporting_sends_abandoned_by_other_workers_while_it_runs()
    {
        using var dispatcher = Dispatcher(TestEmails.Options(SmtpTestServer.FreePort(), o => o.AbandonAfter = TimeSpan.FromMinutes(2)), out var sender);
        await using var _ = sender;

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.AbandonCalls.Count > 0);
        // Every minute (half of AbandonAfter) a sweep that leaves this worker's own sends alone.
        await WaitUntil(() => _outbox.AbandonCalls.Count >= 3, advance: Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        var calls = _outbox.AbandonCalls.ToList();
        Assert.Equal("test-worker", calls[0].WorkerId);
        Assert.All(calls.Skip(1), c => Assert.Null(c.WorkerId));
        Assert.All(calls.Skip(1), c => Assert.Equal(c.Now - TimeSpan.FromMinutes(2), c.AbandonedBefore));
        Assert.True(calls[1].Now >= Start + TimeSpan.FromMinutes(1) && calls[2].Now >= calls[1].Now + TimeSpan.FromMinutes(1), string.Join(", ", calls));
    }

    [Fact]
    public async Task A_transient_failure_is_retried_after_the_backoff_and_then_sent()
    {
        var port = SmtpTestServer.FreePort(); // nothing listens yet: the first attempt fails to connect
        using var dispatcher = Dispatcher(TestEmails.Options(port), out var sender);
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("d0001"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Any(c => c.Operation == "retry"));
        var retry = _outbox.Calls.Single(c => c.Operation == "retry");
        Assert.Equal(Start + TimeSpan.FromSeconds(10), retry.At);
        Assert.Contains("ConnectionRefused", retry.Reason, StringComparison.Ordinal);

        await using var server = await SmtpTestServer.StartAsync(port);
        _time.Advance(TimeSpan.FromSeconds(9));
        await WaitUntil(() => _outbox.ClaimedAtOrAfter(_time.GetUtcNow())); // the dispatcher has looked at this moment
        Assert.Equal("queued", _outbox.StatusOf("d0001")); // not before its retry time
        await WaitUntil(() => _outbox.StatusOf("d0001") == "sent", advance: Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(["claim", "retry", "claim", "sent"], _outbox.Calls.Select(c => c.Operation));
        Assert.Equal("d0001@mail.test", server.LoadMessage(0).MessageId);
    }

    [Fact]
    public async Task A_permanent_failure_is_marked_failed_with_the_reply()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender);
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("d0002", to: "reject-permanent@example.com"), Start);
        _outbox.Enqueue(TestEmails.Create("d0003"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.StatusOf("d0002") == "failed" && _outbox.StatusOf("d0003") == "sent");
        await dispatcher.StopAsync(CancellationToken.None);

        var failed = _outbox.Calls.Single(c => c.Operation == "failed");
        Assert.Equal("550 5.1.1 <reject-permanent@example.com>: Recipient address rejected: User unknown", failed.Reason);
        Assert.Equal(Start, failed.At);
        Assert.DoesNotContain(_outbox.Calls, c => c.Operation == "retry");
        // "User unknown" to RCPT TO: the address is suppressed for every customer, the delivered one is not.
        Assert.Equal(["suppress reject-permanent@example.com"], _outbox.Calls.Where(c => c.Operation.StartsWith("suppress", StringComparison.Ordinal)).Select(c => c.Operation));
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_growing_delays_until_MaxAttempts_then_failed()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port, o =>
        {
            o.MaxAttempts = 4;
            o.RetryDelays = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];
        }), out var sender);
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("d0004", to: "reject-transient@example.com"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.StatusOf("d0004") == "failed", advance: TimeSpan.FromSeconds(1));
        await dispatcher.StopAsync(CancellationToken.None);

        var retries = _outbox.Calls.Where(c => c.Operation == "retry").ToList();
        var claims = _outbox.Calls.Where(c => c.Operation == "claim").Select(c => c.At).ToList();
        Assert.Equal(3, retries.Count);
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)], // the last delay repeats
            retries.Select((r, i) => r.At - claims[i]));
        Assert.Equal(4, claims.Count);
        var failed = _outbox.Calls.Single(c => c.Operation == "failed");
        Assert.Equal("gave up after 4 attempts: 451 4.7.1 <reject-transient@example.com>: Recipient address rejected: Try again later", failed.Reason);
    }

    [Fact]
    public async Task A_send_refused_transiently_across_a_restart_is_given_up_at_the_same_attempt_count()
    {
        await using var server = await SmtpTestServer.StartAsync();
        var options = TestEmails.Options(server.Port, o =>
        {
            o.MaxAttempts = 3;
            o.RetryDelays = [TimeSpan.FromSeconds(10)];
        });
        _outbox.Enqueue(TestEmails.Create("d0011", to: "reject-transient@example.com"), Start);

        // The first run makes one attempt, then the worker stops (a deployment, a crash after the retry was recorded).
        using (var first = Dispatcher(options, out var firstSender))
        {
            await using var _ = firstSender;
            await first.StartAsync(CancellationToken.None);
            await WaitUntil(() => _outbox.Calls.Any(c => c.Operation == "retry"));
            await first.StopAsync(CancellationToken.None);
        }
        Assert.Equal(1, _outbox.AttemptsOf("d0011"));

        // The next run, on a new storage over the same file, continues the count instead of starting it anew.
        _outbox.Reopen();
        using var second = Dispatcher(options, out var secondSender);
        await using var __ = secondSender;
        await second.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.StatusOf("d0011") == "failed", advance: TimeSpan.FromSeconds(1));
        await second.StopAsync(CancellationToken.None);

        Assert.Equal(3, _outbox.Calls.Count(c => c.Operation == "claim")); // MaxAttempts in all, not per run
        Assert.Equal(2, _outbox.Calls.Count(c => c.Operation == "retry"));
        Assert.Equal("gave up after 3 attempts: 451 4.7.1 <reject-transient@example.com>: Recipient address rejected: Try again later",
            _outbox.Calls.Single(c => c.Operation == "failed").Reason);
        Assert.Empty(server.MessageFiles);
    }

    [Fact]
    public async Task A_send_put_back_because_the_cap_could_not_be_judged_has_spent_no_attempt()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender,
            new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 3, Period = "1d" } });
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("d0012"), Start);
        _outbox.FailingHandOffs = 1;

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Any(c => c.Operation == "retry"));
        Assert.Equal(0, _outbox.AttemptsOf("d0012")); // the mail server was not tried
        await WaitUntil(() => _outbox.StatusOf("d0012") == "sent", advance: Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        var retry = _outbox.Calls.Single(c => c.Operation == "retry");
        Assert.StartsWith("hand-off check failed: database is locked", retry.Reason, StringComparison.Ordinal);
        Assert.Equal(["claim", "retry", "claim", "sent"], _outbox.Calls.Select(c => c.Operation));
        Assert.Equal(0, _outbox.AttemptsOf("d0012"));
    }

    [Fact]
    public async Task Wake_sends_a_new_email_without_waiting_for_the_poll_interval()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender);
        await using var _ = sender;

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.ClaimedAtOrAfter(Start)); // found nothing: now idle on the (fake, frozen) poll timer
        _outbox.Enqueue(TestEmails.Create("d0005"), Start);
        dispatcher.Wake();
        await WaitUntil(() => _outbox.StatusOf("d0005") == "sent");
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(Start, _time.GetUtcNow()); // the fake clock never moved
        Assert.Single(server.MessageFiles);
    }

    [Fact]
    public async Task Sends_a_batch_in_parallel_over_at_most_PoolSize_connections()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port, o => (o.PoolSize, o.BatchSize) = (2, 8)), out var sender);
        await using var _ = sender;
        for (var i = 0; i < 25; i++)
            _outbox.Enqueue(TestEmails.Create($"b{i:D3}", to: $"reader{i}@example.com"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Count(c => c.Operation == "sent") == 25);
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(25, server.MessageFiles.Count);
        Assert.InRange(server.Connections, 1, 2);
    }

    /// <summary>Each claim says whether it came back full (more due than one claim takes): the timers take smaller
    /// batches while it does (OutboxSignal), and their whole batch again once a claim comes back short.</summary>
    [Fact]
    public async Task Each_claim_tells_whether_the_sender_is_behind()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port, o => (o.PoolSize, o.BatchSize) = (2, 8)), out var sender);
        await using var _ = sender;
        var claims = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        dispatcher.Claimed += claims.Enqueue;
        for (var i = 0; i < 20; i++)
            _outbox.Enqueue(TestEmails.Create($"f{i:D3}", to: $"reader{i}@example.com"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Count(c => c.Operation == "sent") == 20 && claims.Count >= 3);
        await dispatcher.StopAsync(CancellationToken.None);

        // 8 and 8 of the 20: full, so behind; then the last 4: short, caught up; then nothing due: still caught up.
        Assert.Equal([true, true, false], claims.Take(3));
        Assert.All(claims.Skip(3), full => Assert.False(full));
    }

    /// <summary>Accepted sends are marked sent together, as many as wait for the database at once (one transaction, one
    /// turn at the writer that timers share); marks whose transaction the database refused are recorded each alone, every
    /// send once.</summary>
    [Fact]
    public async Task Accepted_sends_are_marked_together_and_alone_when_that_fails()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port, o => (o.PoolSize, o.BatchSize) = (4, 16)), out var sender);
        await using var _ = sender;
        for (var i = 0; i < 32; i++)
            _outbox.Enqueue(TestEmails.Create($"g{i:D3}", to: $"reader{i}@example.com"), Start);
        _outbox.FailingRecords = 1; // the first transaction of marks fails

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Count(c => c.Operation == "sent") == 32);
        await dispatcher.StopAsync(CancellationToken.None);

        var refused = _outbox.SentBatches[0];
        Assert.Equal(refused, _outbox.Calls.Count(c => c.Operation == "record failed"));
        // The refused ones once more, each alone; every mark in some transaction exactly once after that.
        Assert.Equal(32 + refused, _outbox.SentBatches.Sum());
        Assert.Equal(32, _outbox.Calls.Where(c => c.Operation == "sent").Select(c => c.SendKey).Distinct().Count());
        Assert.All(Enumerable.Range(0, 32), i => Assert.Equal("sent", _outbox.StatusOf($"g{i:D3}")));
        Assert.Equal(32, server.MessageFiles.Count);
    }

    [Fact]
    public async Task A_send_claimed_outside_its_window_is_not_handed_over_but_deferred_to_the_opening_and_sent_then()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender);
        await using var _ = sender;
        // Decided inside an 08:00-20:00 window, claimed at 09:00 UTC: 04:00 in New York (UTC-5 until 8 March 2026),
        // where the window opens at 08:00 local, 13:00 UTC.
        var window = new SendWindow(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(8, 0), new TimeOnly(20, 0));
        _outbox.Enqueue(TestEmails.Create("w0001") with { SendWindow = window, TimeZone = "America/New_York" }, Start);
        var opening = new DateTimeOffset(2026, 3, 2, 13, 0, 0, TimeSpan.Zero);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.Calls.Any(c => c.Operation == "deferred"));
        Assert.Equal(new SendDeferral("send-window", opening, "America/New_York"), Assert.Single(_outbox.Deferrals));
        Assert.Empty(server.MessageFiles);

        _time.Advance(opening - Start - TimeSpan.FromMinutes(1));
        await WaitUntil(() => _outbox.ClaimedAtOrAfter(_time.GetUtcNow())); // the dispatcher has looked at this moment
        Assert.Equal("queued", _outbox.StatusOf("w0001")); // not a minute before the opening
        await WaitUntil(() => _outbox.StatusOf("w0001") == "sent", advance: Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(["claim", "deferred", "claim", "sent"], _outbox.Calls.Select(c => c.Operation)); // no attempt, no retry
        var sent = _outbox.Calls.Single(c => c.Operation == "sent");
        Assert.InRange(sent.At, opening, opening + TimeSpan.FromSeconds(2));
        Assert.Equal("w0001@mail.test", server.LoadMessage(0).MessageId);
    }

    [Fact]
    public async Task With_a_cap_of_one_a_day_the_second_of_two_due_sends_is_deferred_by_the_cap_and_goes_a_day_later()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender,
            new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 1, Period = "1d" } });
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("c0001"), Start);
        _outbox.Enqueue(TestEmails.Create("c0002"), Start);

        await dispatcher.StartAsync(CancellationToken.None);
        await WaitUntil(() => _outbox.StatusOf("c0001") == "sent" && _outbox.Calls.Any(c => c.Operation == "deferred"));
        Assert.Equal(new SendDeferral("frequency-cap", Start + TimeSpan.FromDays(1), null), Assert.Single(_outbox.Deferrals));
        Assert.Equal("queued", _outbox.StatusOf("c0002"));
        Assert.Single(server.MessageFiles);

        _time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        await WaitUntil(() => _outbox.ClaimedAtOrAfter(_time.GetUtcNow())); // the dispatcher has looked at this moment
        Assert.Equal("queued", _outbox.StatusOf("c0002"));
        await WaitUntil(() => _outbox.StatusOf("c0002") == "sent", advance: Poll);
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(2, server.MessageFiles.Count);
        Assert.Equal(["claim", "claim", "deferred", "sent", "claim", "sent"], _outbox.Calls.Select(c => c.Operation));
    }

    /// <summary>
    /// Polls in real time; with <paramref name="advance"/>, also moves the fake clock on each round in which no send
    /// is in flight, so the clock never jumps between a claim and the retry time computed from it.
    /// </summary>
    [Fact]
    public async Task A_result_the_database_cannot_record_at_first_is_recorded_once_it_can_not_left_unknown()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var dispatcher = Dispatcher(TestEmails.Options(server.Port), out var sender);
        await using var _ = sender;
        _outbox.Enqueue(TestEmails.Create("d0009", to: "reject-permanent@example.com"), Start);
        _outbox.Enqueue(TestEmails.Create("d0010"), Start);
        _outbox.FailingRecords = 4; // the disk is full for a while, then has room again

        await dispatcher.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_outbox.StatusOf("d0009") != "failed" || _outbox.StatusOf("d0010") != "sent")
        {
            Assert.True(DateTime.UtcNow < deadline, "results never recorded: " + string.Join(", ", _outbox.Calls));
            await Task.Delay(20);
            _time.Advance(TimeSpan.FromMilliseconds(500)); // the retry pauses run on the dispatcher's clock
        }
        await dispatcher.StopAsync(CancellationToken.None);

        Assert.Equal(4, _outbox.Calls.Count(c => c.Operation == "record failed"));
        Assert.Equal("550 5.1.1 <reject-permanent@example.com>: Recipient address rejected: User unknown", _outbox.Calls.Single(c => c.Operation == "failed").Reason);
        Assert.Single(server.MessageFiles); // one accepted, one refused: neither handed over twice
        Assert.Equal(2, _outbox.Calls.Count(c => c.Operation == "claim"));
    }

    private async Task WaitUntil(Func<bool> condition, TimeSpan? advance = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met; outbox calls: " + string.Join(", ", _outbox.Calls));
            await Task.Delay(20);
            if (advance is { } step && _outbox.InFlight == 0)
                _time.Advance(step);
        }
    }
}
