using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Orchestrator.Scheduling;

public enum SchedulerStore
{
    /// <summary>Quartz's ADO store in a SQLite file: one worker (SQLite cannot be clustered).</summary>
    Sqlite,

    /// <summary>Quartz's ADO store on SQL Server; set <see cref="SchedulingOptions.Clustered"/> for several workers.</summary>
    SqlServer,
}

/// <summary>When due wakeups are looked for (section <c>Orchestrator:Scheduling</c>).</summary>
public sealed class SchedulingOptions
{
    public const string SectionName = "Orchestrator:Scheduling";

    /// <summary>Default <see cref="SchedulerStore.Sqlite"/>.</summary>
    public SchedulerStore Store { get; set; } = SchedulerStore.Sqlite;

    /// <summary>Quartz's database. Default <c>Data Source=data/quartz.db</c> (a file of its own, so Quartz's locks
    /// never wait on the journey store's writes).</summary>
    [Required]
    public string ConnectionString { get; set; } = "Data Source=data/quartz.db";

    /// <summary>Quartz clustering (SQL Server only): several workers share the schedule. Default false.</summary>
    public bool Clustered { get; set; }

    /// <summary>How often the due-wakeups job runs, in milliseconds. Default 1000: a wait fires at most about a second late,
    /// and its outcomes carry the exact due time either way.</summary>
    [Range(100, 60_000)]
    public int PollIntervalMilliseconds { get; set; } = 1_000;

    /// <summary>Customers claimed per batch; their timers are decided together, in one commit where nothing fails. Default 200.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Customers claimed per batch while the sender is working off due sends (<see cref="Core.Processing.OutboxSignal.SenderBehind"/>),
    /// when it is smaller than <see cref="BatchSize"/>. Default 32. On SQLite timers and sends share one writer: with
    /// 200-customer batches the sender got one write in per batch and sent 3% of raw MailKit's rate while timers
    /// drained; with 32, 12%, for a third fewer timers a second while both run (docs/benchmarks.md, "Sends").
    /// </summary>
    [Range(1, 10_000)]
    public int BatchSizeWhileSending { get; set; } = 32;

    /// <summary>How long a claimed wakeup stays reserved for the worker that claimed it, in seconds. Default 60.</summary>
    [Range(5, 3_600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>
    /// How long timers wait at most for event intake to catch up, in seconds. While a partition works off a backlog,
    /// timers due after the last event it took wait, so that no timer is decided before an older event of its customer
    /// still queued (see <c>IntakeProgress</c>); past this bound they run anyway (a publisher whose clock runs behind
    /// would otherwise hold every timer back). 0 turns the wait off. Default 900 (15 minutes).
    /// </summary>
    [Range(0, 86_400)]
    public int MaxWaitForIntakeSeconds { get; set; } = 900;
}

internal sealed class SchedulingOptionsValidator : IValidateOptions<SchedulingOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulingOptions options)
    {
        var failures = new List<string>();
        if (options.Clustered && options.Store == SchedulerStore.Sqlite)
            failures.Add($"{SchedulingOptions.SectionName}:Clustered needs Store SqlServer: SQLite cannot be clustered");
        if (options.LeaseSeconds * 1000 <= options.PollIntervalMilliseconds)
            failures.Add($"{SchedulingOptions.SectionName}:LeaseSeconds must be longer than PollIntervalMilliseconds, or claimed wakeups expire before they run");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
