using Microsoft.Extensions.Logging;

namespace Orchestrator.Scheduling;

/// <summary>
/// Tells the log about timers that ran late, in one line a minute (how many customers, the worst lateness and whose)
/// rather than one line per customer: a backlog of 20,000 wakeups logged 5,400 warnings when each was its own line.
/// Outcomes carry their exact due time either way; the lateness histogram counts every timer.
/// </summary>
public sealed partial class LateTimers(TimeProvider time, ILogger<LateTimers> logger)
{
    /// <summary>Timers this much after their due time count as late: a poll interval and a busy moment are not.</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly object _lock = new();
    private DateTimeOffset? _toldAt;
    private int _count;
    private TimeSpan _worst;
    private string? _worstCustomer;

    /// <summary>The customer's timers ran <paramref name="lateness"/> after the earliest of them was due.</summary>
    public void Ran(string customerId, TimeSpan lateness)
    {
        if (lateness <= Threshold)
            return;
        lock (_lock)
        {
            _count++;
            if (lateness > _worst)
                (_worst, _worstCustomer) = (lateness, customerId);
        }
    }

    /// <summary>
    /// Logs what was late since the last line, unless a line was logged less than a minute ago: the first late timers
    /// after a quiet time are told at once, a backlog once a minute. Called after every round of the job.
    /// </summary>
    public void Tell()
    {
        var now = time.GetUtcNow();
        (int Count, TimeSpan Worst, string? Customer) summary;
        lock (_lock)
        {
            if (_count == 0 || (_toldAt is { } told && now - told < Period))
                return;
            summary = (_count, _worst, _worstCustomer);
            (_toldAt, _count, _worst, _worstCustomer) = (now, 0, TimeSpan.Zero, null);
        }
        LogLate(logger, summary.Count, Threshold.TotalSeconds, summary.Worst, summary.Customer);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timers of {Customers} customer(s) ran more than {Threshold} s late (the worst {Lateness}, customer {CustomerId}); outcomes are recorded at their due time. Told at most once a minute")]
    private static partial void LogLate(ILogger logger, int customers, double threshold, TimeSpan lateness, string? customerId);
}
