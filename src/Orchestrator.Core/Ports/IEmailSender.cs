using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Ports;

public enum SendStatus
{
    Sent,

    /// <summary>Worth trying again later (4xx reply, connection trouble).</summary>
    TransientFailure,

    /// <summary>Will never succeed as is (5xx reply, bad address).</summary>
    PermanentFailure,
}

/// <summary>What delivering one email gave; <see cref="Reply"/> is the server's answer for failures.</summary>
/// <param name="MailboxUnknown">The receiving server refused the recipient permanently (no such user): the address is
/// suppressed for every customer, as a permanent bounce suppresses it.</param>
public sealed record SendResult(SendStatus Status, string? Reply, bool MailboxUnknown = false)
{
    public static readonly SendResult Ok = new(SendStatus.Sent, null);
}

/// <summary>Delivers one rendered email. Its <see cref="EmailToSend.SendKey"/> is the Message-ID.</summary>
public interface IEmailSender
{
    Task<SendResult> SendAsync(EmailToSend email, CancellationToken cancellationToken);
}
