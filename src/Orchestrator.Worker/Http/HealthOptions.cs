using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Worker.Http;

/// <summary>
/// When the parts that lose nothing by waiting are reported degraded (section <c>Orchestrator:Health</c>): the mail
/// server, the outbox and the timers. Degraded keeps <c>/health/ready</c> at 200: mail waits in the outbox and timers in
/// their table, and a restart would fix neither.
/// </summary>
public sealed class HealthOptions
{
    public const string SectionName = "Orchestrator:Health";

    /// <summary>The mail server is degraded once hand-offs have failed without one accepted for this many seconds.
    /// Default 300.</summary>
    [Range(1, 86_400)]
    public int SmtpFailingForSeconds { get; set; } = 300;

    /// <summary>... or once this many hand-offs in a row have failed (a refused mailbox does not count). Default 10.</summary>
    [Range(1, 100_000)]
    public int SmtpFailuresInARow { get; set; } = 10;

    /// <summary>The outbox is degraded when its oldest due send has waited longer than this many seconds to go out.
    /// Default 300.</summary>
    [Range(1, 86_400)]
    public int OutboxWaitSeconds { get; set; } = 300;

    /// <summary>The timers are degraded when the oldest due wakeup is later than this many seconds. Default 300.</summary>
    [Range(1, 86_400)]
    public int WakeupLatenessSeconds { get; set; } = 300;

    /// <summary>How long one reading of the backlog (two indexed counts) serves health checks and scrapes, in seconds,
    /// so frequent probes do not each query the database. 0 reads every time. Default 5.</summary>
    [Range(0, 300)]
    public int BacklogCacheSeconds { get; set; } = 5;
}
