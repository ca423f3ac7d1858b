using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;

namespace Orchestrator.Email;

/// <summary>
/// Delivers the outbox: claims due sends, hands each to the <see cref="IEmailSender"/> (as many at once as there
/// are pooled connections) and records what happened: sent, failed with the server's reply, or queued again with
/// exponential backoff until <see cref="EmailOptions.MaxAttempts"/>. Just before a send is handed over, its send
/// window and the frequency cap are judged again at the real time (<see cref="SendRules"/>): a mail can be handed over
/// hours after it was decided, and one the rules hold goes back to the queue until they allow it.
/// </summary>
/// <remarks>
/// The worker calls <see cref="Wake"/> after committing a decision with sends, so a new email leaves at once
/// instead of at the next poll.
/// </remarks>
public sealed partial class OutboxDispatcher : BackgroundService
{
    // After the outbox itself failed (database down), wait this long before trying again, not just a poll interval.
    private static readonly TimeSpan OutboxErrorDelay = TimeSpan.FromSeconds(5);

    // Recording a send's result is tried again after these pauses (the last repeating) for a quarter of AbandonAfter,
    // so a sweep never reports 'unknown' a send whose result this worker still holds.
    private static readonly TimeSpan[] RecordRetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];
    private TimeSpan RecordRetryWindow => _options.AbandonAfter / 4;
    private CancellationToken _stopping;

    private readonly IOutbox _outbox;
    private readonly SentMarks _sentMarks;
    private readonly IEmailSender _sender;
    private readonly EmailOptions _options;
    private readonly FrequencyCap? _cap;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _logger;
    // Never disposed: Wake() may be called by the worker during shutdown, and without its AvailableWaitHandle a
    // SemaphoreSlim holds nothing to free.
    private readonly SemaphoreSlim _wake = new(0, 1);

    public OutboxDispatcher(IOutbox outbox, IEmailSender sender, IOptions<EmailOptions> options, IOptions<SendingOptions> sending, TimeProvider time, ILogger<OutboxDispatcher> logger)
    {
        _outbox = outbox;
        _sentMarks = new SentMarks(outbox, time);
        _sender = sender;
        _options = options.Value;
        _cap = FrequencyCap.From(sending.Value);
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after each claim: whether it came back full, i.e. more sends are due than one claim takes
    /// (the worker tells the timers through <see cref="Core.Processing.OutboxSignal.SenderClaimed"/>).</summary>
    public event Action<bool>? Claimed;

    /// <summary>What the hand-offs so far say of the mail server, for health.</summary>
    public MailServerState MailServer { get; } = new();

    /// <summary>Looks at the outbox now instead of at the end of the current poll interval. Cheap; call freely.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one pending wake-up covers any number of new sends.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        await Task.Yield();
        try
        {
            await MarkAbandonedAsync(stoppingToken).ConfigureAwait(false);
            var nextSweep = _time.GetUtcNow() + SweepInterval;
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_time.GetUtcNow() >= nextSweep)
                {
                    await SweepAbandonedAsync(stoppingToken).ConfigureAwait(false);
                    nextSweep = _time.GetUtcNow() + SweepInterval;
                }
                IReadOnlyList<ClaimedSend> batch;
                try
                {
                    batch = await _outbox.ClaimAsync(_options.WorkerId, _time.GetUtcNow(), _options.BatchSize, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogOutboxError(ex, "claim");
                    await Task.Delay(OutboxErrorDelay, _time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                Claimed?.Invoke(batch.Count >= _options.BatchSize);
                if (batch.Count == 0)
                {
                    await WaitForWorkAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var allowed = await HoldWhatTheRulesHoldAsync(batch).ConfigureAwait(false);
                // A full batch means more are probably due: claim again at once. Sends are not cancelled on shutdown
                // (see DeliverAsync), so this finishes within the SMTP timeouts.
                // A connection goes on to its next mail while its last one is being marked sent (SentMarks); the batch
                // is done once every mark is written.
                var marking = new System.Collections.Concurrent.ConcurrentQueue<Task>();
                await Parallel.ForEachAsync(allowed, new ParallelOptions { MaxDegreeOfParallelism = _options.PoolSize }, async (claimed, _) =>
                {
                    if (await DeliverAsync(claimed).ConfigureAwait(false) is { } accepted)
                        marking.Enqueue(RecordSentAsync(accepted.Email, accepted.Attempt));
                }).ConfigureAwait(false);
                await Task.WhenAll(marking).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task MarkAbandonedAsync(CancellationToken stoppingToken)
    {
        // Once per start: what a crashed worker left 'sending' is reported as 'unknown', never resent blindly.
        // Retried until the outbox answers, because claiming before this would leave those sends unreported.
        while (true)
        {
            try
            {
                var now = _time.GetUtcNow();
                var abandoned = await _outbox.MarkAbandonedAsync(_options.WorkerId, now - _options.AbandonAfter, now, stoppingToken).ConfigureAwait(false);
                if (abandoned > 0)
                    LogAbandoned(abandoned, _options.WorkerId, _options.AbandonAfter);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOutboxError(ex, "mark abandoned");
                await Task.Delay(OutboxErrorDelay, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    // Half the abandon time: a crashed worker's sends are reported within 1.5 × AbandonAfter by the workers still running.
    private TimeSpan SweepInterval => _options.AbandonAfter / 2;

    /// <summary>
    /// While running: another worker that crashed without coming back (its WorkerId never starts again) leaves sends
    /// 'sending'; the workers still running report them once they are older than AbandonAfter. Not this worker's own,
    /// which may be in flight; a failure waits for the next sweep.
    /// </summary>
    private async Task SweepAbandonedAsync(CancellationToken stoppingToken)
    {
        try
        {
            var now = _time.GetUtcNow();
            var abandoned = await _outbox.MarkAbandonedAsync(null, now - _options.AbandonAfter, now, stoppingToken).ConfigureAwait(false);
            if (abandoned > 0)
                LogAbandoned(abandoned, "another worker", _options.AbandonAfter);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogOutboxError(ex, "sweep abandoned");
        }
    }

    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var poll = Task.Delay(_options.PollInterval, _time, waiting.Token);
        var woken = _wake.WaitAsync(waiting.Token);
        await Task.WhenAny(poll, woken).ConfigureAwait(false);
        // Ends whichever is still waiting; a cancelled WaitAsync does not consume a later Wake().
        await waiting.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(poll, woken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The sends of the batch the rules let go now; the others are deferred with their reason. A customer's sends are
    /// judged in the batch's order (oldest first), each one let go counting against the cap of the next. Not
    /// cancellable, like delivery: a claimed send is best put back or sent, not left 'sending'.
    /// </summary>
    private async Task<List<ClaimedSend>> HoldWhatTheRulesHoldAsync(IReadOnlyList<ClaimedSend> batch)
    {
        var now = _time.GetUtcNow();
        var claimed = batch.Select(c => c.Email.SendKey).ToHashSet(StringComparer.Ordinal);
        var allowed = new List<ClaimedSend>(batch.Count);
        foreach (var sends in batch.GroupBy(c => c.Email.CustomerId, StringComparer.Ordinal))
        {
            List<DateTimeOffset> handedOff;
            try
            {
                // The batch's own sends are 'sending' already but not handed over yet: they count once let go.
                handedOff = _cap is null ? [] : [.. (await _outbox.HandOffsAsync(sends.Key, now - _cap.Period, CancellationToken.None).ConfigureAwait(false))
                    .Where(h => !claimed.Contains(h.SendKey)).Select(h => h.At)];
            }
            catch (Exception ex)
            {
                // Without the count the cap cannot be judged: the customer's sends wait, as after a transient failure.
                LogOutboxError(ex, "read hand-offs");
                foreach (var send in sends)
                    await RetryAfterOutboxErrorAsync(send.Email, ex).ConfigureAwait(false);
                continue;
            }
            foreach (var send in sends)
            {
                var email = send.Email;
                var deferral = SendRules.Judge(email.SendWindow, LocalClock.ZoneFor(email.TimeZone, null).Zone, _cap, handedOff, now);
                if (deferral is null)
                {
                    allowed.Add(send);
                    handedOff.Add(now);
                    continue;
                }
                try
                {
                    await _outbox.DeferAsync(email, deferral, now, CancellationToken.None).ConfigureAwait(false);
                    LogDeferred(email.SendKey, email.JourneyId, email.StepId, deferral.Reason, deferral.Until);
                    OrchestratorMetrics.Send("deferred");
                }
                catch (Exception ex)
                {
                    // Not handed over, and it stays 'sending': reported 'unknown', visible rather than sent out of its window.
                    LogRecordError(ex, email.SendKey, "deferred");
                }
            }
        }
        return allowed;
    }

    private async Task RetryAfterOutboxErrorAsync(EmailToSend email, Exception error)
    {
        try
        {
            // Not an attempt: the mail server was not tried, so a database that is down for a while costs no retries.
            await _outbox.RetryLaterAsync(email, $"hand-off check failed: {error.Message}", _time.GetUtcNow() + OutboxErrorDelay, attempted: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogRecordError(ex, email.SendKey, "queued");
        }
    }

    // Deliberately not cancellable: once claimed, a send is best finished and recorded, because one cut off in
    // the middle stays 'sending' and becomes 'unknown' at the next start. The SMTP timeouts bound how long it takes.
    /// <summary>Hands the send over and records a refusal or failure at once; a send the server accepted is returned,
    /// to be marked sent together with others (<see cref="RecordSentAsync"/>).</summary>
    private async Task<(EmailToSend Email, int Attempt)?> DeliverAsync(ClaimedSend claimed)
    {
        var email = claimed.Email;
        // Counted in the outbox, not here: a restart or another worker continues the count instead of starting it anew.
        var attempt = claimed.Attempts + 1;
        SendResult result;
        try
        {
            result = await _sender.SendAsync(email, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // IEmailSender reports failures as results; a throw is a bug, treated as transient so the email is not lost.
            result = new SendResult(SendStatus.TransientFailure, $"{ex.GetType().Name}: {ex.Message}");
        }
        MailServer.Record(result, _time.GetUtcNow());
        if (result.Status == SendStatus.Sent)
            return (email, attempt);
        await RecordWithRetriesAsync(email, result, attempt).ConfigureAwait(false);
        return null;
    }

    /// <summary>An accepted send marked sent with whatever other marks wait (<see cref="SentMarks"/>); if that
    /// transaction fails, this send is recorded alone, with its retries.</summary>
    private async Task RecordSentAsync(EmailToSend email, int attempt)
    {
        try
        {
            await _sentMarks.MarkAsync(email).ConfigureAwait(false);
            Sent(email, attempt);
        }
        catch (Exception ex)
        {
            LogRecordRetry(email.SendKey, SendStatus.Sent.ToString(), ex.Message);
            await RecordWithRetriesAsync(email, new SendResult(SendStatus.Sent, null), attempt).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The mail server's answer is a fact: a database that cannot record it now (full, locked) is asked again for a
    /// while, so a send known to be sent or refused is recorded as such instead of becoming 'unknown'.
    /// </summary>
    private async Task RecordWithRetriesAsync(EmailToSend email, SendResult result, int attempt)
    {
        var giveUpAt = _time.GetUtcNow() + RecordRetryWindow;
        for (var round = 0; ; round++)
        {
            try
            {
                await RecordAsync(email, result, attempt).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                if (_time.GetUtcNow() >= giveUpAt || _stopping.IsCancellationRequested)
                {
                    // The send stays 'sending' and will be reported 'unknown': visible, never silently repeated.
                    LogRecordError(ex, email.SendKey, result.Status.ToString());
                    return;
                }
                LogRecordRetry(email.SendKey, result.Status.ToString(), ex.Message);
                try
                {
                    await Task.Delay(RecordRetryDelays[Math.Min(round, RecordRetryDelays.Length - 1)], _time, _stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Shutting down: one last try above, then it is reported.
                }
            }
        }
    }

    private void Sent(EmailToSend email, int attempt)
    {
        LogSent(email.SendKey, email.JourneyId, email.StepId, attempt);
        OrchestratorMetrics.Send("sent");
    }

    private async Task RecordAsync(EmailToSend email, SendResult result, int attempt)
    {
        var now = _time.GetUtcNow();
        switch (result.Status)
        {
            case SendStatus.Sent:
                await _outbox.MarkSentAsync(email, now, CancellationToken.None).ConfigureAwait(false);
                Sent(email, attempt);
                break;
            case SendStatus.PermanentFailure:
                var reason = result.Reply ?? "permanent failure";
                await _outbox.MarkFailedAsync(email, reason, now, CancellationToken.None).ConfigureAwait(false);
                if (result.MailboxUnknown)
                    await _outbox.SuppressAddressAsync(email, reason, now, CancellationToken.None).ConfigureAwait(false);
                LogFailed(email.SendKey, email.JourneyId, email.StepId, attempt, reason);
                OrchestratorMetrics.Send("failed");
                break;
            default:
                var transient = result.Reply ?? "transient failure";
                if (attempt >= _options.MaxAttempts)
                {
                    var gaveUp = $"gave up after {attempt} attempts: {transient}";
                    await _outbox.MarkFailedAsync(email, gaveUp, now, CancellationToken.None).ConfigureAwait(false);
                    LogFailed(email.SendKey, email.JourneyId, email.StepId, attempt, gaveUp);
                    OrchestratorMetrics.Send("failed");
                }
                else
                {
                    var retryAt = now + RetryDelay(attempt);
                    await _outbox.RetryLaterAsync(email, transient, retryAt, attempted: true, CancellationToken.None).ConfigureAwait(false);
                    LogRetry(email.SendKey, attempt, _options.MaxAttempts, retryAt, transient);
                    OrchestratorMetrics.Send("retried");
                }
                break;
        }
    }

    internal TimeSpan RetryDelay(int failedAttempts)
    {
        var delays = _options.EffectiveRetryDelays;
        return delays[Math.Min(failedAttempts, delays.Count) - 1];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {SendKey} ({JourneyId}/{StepId}) on attempt {Attempt}")]
    private partial void LogSent(string sendKey, string journeyId, string stepId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Send {SendKey} ({JourneyId}/{StepId}) failed on attempt {Attempt}: {Reason}")]
    private partial void LogFailed(string sendKey, string journeyId, string stepId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Send {SendKey} attempt {Attempt} of {MaxAttempts} failed, retrying at {RetryAt}: {Reason}")]
    private partial void LogRetry(string sendKey, int attempt, int maxAttempts, DateTimeOffset retryAt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Send {SendKey} ({JourneyId}/{StepId}) held at hand-off by the {Reason} rule until {Until}")]
    private partial void LogDeferred(string sendKey, string journeyId, string stepId, string reason, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} sends left 'sending' by {WorkerId} or for over {AbandonAfter} are now 'unknown'")]
    private partial void LogAbandoned(int count, string workerId, TimeSpan abandonAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox {Operation} failed; trying again shortly")]
    private partial void LogOutboxError(Exception exception, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record result {Status} of send {SendKey} yet, trying again: {Reason}")]
    private partial void LogRecordRetry(string sendKey, string status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record result {Status} of send {SendKey}; it stays 'sending' and will be reported 'unknown'")]
    private partial void LogRecordError(Exception exception, string sendKey, string status);
}
