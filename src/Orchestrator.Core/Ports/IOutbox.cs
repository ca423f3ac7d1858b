using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Ports;

/// <summary>
/// Sends the engine decided, stored with the decision (status <c>queued</c>) and delivered by the sender.
/// A send is claimed as <c>sending</c> before it is handed to SMTP, so a crash in between is visible
/// (<c>unknown</c>) and never silently repeated.
/// </summary>
public interface IOutbox
{
    /// <summary>
    /// Marks up to <paramref name="max"/> queued sends due at or before <paramref name="now"/> as <c>sending</c> for
    /// <paramref name="workerId"/> and returns them, each with the attempts stored for it so far.
    /// </summary>
    Task<IReadOnlyList<ClaimedSend>> ClaimAsync(string workerId, DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>SMTP accepted it: status <c>sent</c> and the <c>sent</c> outcome, in one transaction.</summary>
    Task MarkSentAsync(EmailToSend email, DateTimeOffset now, CancellationToken cancellationToken) => MarkSentAsync([email], now, cancellationToken);

    /// <summary>SMTP accepted all of these: each <c>sent</c> with its outcome, all in one transaction (one commit for a
    /// batch of hand-offs). Every one must be in the outbox, or nothing is recorded.</summary>
    Task MarkSentAsync(IReadOnlyList<EmailToSend> emails, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Permanently refused (or out of retries): status <c>failed</c> and the <c>failed</c> outcome with the server's reply.</summary>
    Task MarkFailedAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The server said the address does not exist: no customer gets mail to it again (the suppressions the
    /// engine reads before every decision).</summary>
    Task SuppressAddressAsync(EmailToSend email, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// A transient failure: back to <c>queued</c>, to be tried again at <paramref name="retryAt"/>. With
    /// <paramref name="attempted"/> the send was handed to the mail server and the stored attempts grow by one; without,
    /// nothing was tried (the check before the hand-off failed) and they stay.
    /// </summary>
    Task RetryLaterAsync(EmailToSend email, string reason, DateTimeOffset retryAt, bool attempted, CancellationToken cancellationToken);

    /// <summary>
    /// The customer's mails handed to the mail server after <paramref name="since"/> (sent, still being sent, or
    /// <c>unknown</c>: possibly sent), each with its hand-off time: what the frequency cap counts at hand-off.
    /// </summary>
    Task<IReadOnlyList<HandOff>> HandOffsAsync(string customerId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// A claimed send the rules hold at hand-off: back to <c>queued</c>, due at the deferral's <c>until</c>, with a
    /// <c>deferred</c> outcome at <paramref name="now"/>. Not an attempt: nothing was tried.
    /// </summary>
    Task DeferAsync(EmailToSend email, SendDeferral deferral, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Sends left <c>sending</c> by a crashed worker (claimed by <paramref name="workerId"/>, or by anyone before
    /// <paramref name="abandonedBefore"/>) become <c>unknown</c>, with an <c>unknown</c> outcome: reported, not resent.
    /// A running worker's periodic sweep passes no <paramref name="workerId"/>: its own sends in flight are live.
    /// </summary>
    Task<int> MarkAbandonedAsync(string? workerId, DateTimeOffset abandonedBefore, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// A send claimed from the outbox and the attempts already made at it (each ended in a transient failure), as stored:
/// this claim's attempt is number <see cref="Attempts"/> + 1, whichever process or start made the earlier ones.
/// </summary>
public sealed record ClaimedSend(EmailToSend Email, int Attempts);

/// <summary>A mail handed to the mail server, and when.</summary>
public sealed record HandOff(string SendKey, DateTimeOffset At);
