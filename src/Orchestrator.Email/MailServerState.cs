using Orchestrator.Core.Ports;

namespace Orchestrator.Email;

/// <summary>
/// What the outbox dispatcher has seen of the mail server, in this process: the last hand-off it accepted, and the
/// failures since (how many in a row, since when, the last reply), for health and the consecutive-failures gauge.
/// A refusal of one mailbox (<see cref="SendResult.MailboxUnknown"/>) is the server working and changes nothing; any
/// other failure, transient or permanent, counts, and the next accepted mail ends the run.
/// </summary>
public sealed class MailServerState
{
    private readonly object _lock = new();
    private MailServerSnapshot _snapshot = MailServerSnapshot.Idle;

    public MailServerSnapshot Current
    {
        get
        {
            lock (_lock)
                return _snapshot;
        }
    }

    /// <summary>Called with the result of every hand-off, at <paramref name="at"/>.</summary>
    public void Record(SendResult result, DateTimeOffset at)
    {
        lock (_lock)
        {
            var s = _snapshot;
            if (result.Status == SendStatus.Sent)
                _snapshot = s with { LastSuccessAt = at, ConsecutiveFailures = 0, FailingSince = null };
            else if (!result.MailboxUnknown)
                _snapshot = s with
                {
                    ConsecutiveFailures = s.ConsecutiveFailures + 1,
                    FailingSince = s.FailingSince ?? at,
                    LastFailureAt = at,
                    LastFailure = result.Reply ?? result.Status.ToString(),
                };
        }
    }
}

/// <summary>The mail server as the dispatcher last saw it.</summary>
/// <param name="LastSuccessAt">When the server last accepted a mail; null when none was accepted since the start.</param>
/// <param name="ConsecutiveFailures">Failed hand-offs since the last accepted one.</param>
/// <param name="FailingSince">When the first of those failed; null while the last hand-off was accepted.</param>
/// <param name="LastFailureAt">When a hand-off last failed (kept after a success, for the record).</param>
/// <param name="LastFailure">That failure's reply or reason.</param>
public sealed record MailServerSnapshot(DateTimeOffset? LastSuccessAt, int ConsecutiveFailures, DateTimeOffset? FailingSince, DateTimeOffset? LastFailureAt, string? LastFailure)
{
    public static readonly MailServerSnapshot Idle = new(null, 0, null, null, null);

    /// <summary>Nothing was handed over yet since the start.</summary>
    public bool IsIdle => LastSuccessAt is null && LastFailureAt is null;
}
