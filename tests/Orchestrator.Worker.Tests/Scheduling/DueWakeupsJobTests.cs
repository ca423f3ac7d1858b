using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Scheduling;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Scheduling;

/// <summary>
/// <see cref="DueWakeupsJob"/> run directly (as Quartz would fire it), on a fake clock and a real SQLite database: what
/// it claims, when, in how many rounds, and how far event intake lets it go.
/// </summary>
public sealed class DueWakeupsJobTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Due = T0.AddHours(1);

    private readonly FakeTimeProvider _time = new(T0);
    private readonly TempStorage _temp;
    private readonly GroupCommit _commits;

    public DueWakeupsJobTests()
    {
        _temp = new TempStorage(_time);
        _temp.Write("reminder.yaml", """
            id: reminder
            name: Reminder
            entry:
              event: signed.up
            steps:
              - id: pause
                wait: 1h
              - id: hello
                email: { template: hello }
            """);
        _temp.Write(Path.Combine("templates", "hello.liquid"), "---\nsubject: \"Hello\"\n---\n<p>Hello.</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n");
        var loaded = JourneyLoader.LoadFolder(_temp.Journeys);
        Assert.Empty(loaded.BrokenFiles);
        var catalog = new JourneyCatalog(loaded.Journeys);
        _commits = new GroupCommit(new EventProcessor(new JourneyEngine(new SendingOptions(), _time), _temp.Storage.Store, () => catalog));
    }

    public void Dispose() => _temp.Dispose();

    private (DueWakeupsJob Job, SchedulerHeartbeat Heartbeat) Job(IntakeProgress? intake = null, int batchSize = 200, int maxWaitForIntakeSeconds = 900)
    {
        var options = Options.Create(new SchedulingOptions { BatchSize = batchSize, MaxWaitForIntakeSeconds = maxWaitForIntakeSeconds });
        var heartbeat = new SchedulerHeartbeat(_time, options);
        var job = new DueWakeupsJob(_temp.Storage.Wakeups, _commits, _time, intake ?? new IntakeProgress(_time), options, heartbeat,
            new LateTimers(_time, NullLogger<LateTimers>.Instance), NullLogger<DueWakeupsJob>.Instance);
        return (job, heartbeat);
    }

    // The job reads nothing from Quartz's context: when it runs is Quartz's, what it runs is the wakeups table's.
    private static Task RunAsync(DueWakeupsJob job) => job.Execute(null!, CancellationToken.None).AsTask();

    private async Task EnterAsync(params string[] customerIds)
    {
        var results = await _commits.SubmitAsync([.. customerIds.Select(id => Work.Of(new CustomerEvent
        {
            EventId = "e-" + id,
            CustomerId = id,
            Type = "signed.up",
            OccurredAt = _time.GetUtcNow(),
            Customer = new CustomerProfileUpdate { Email = $"{id}@example.com" },
        }))]);
        Assert.All(results, r => Assert.Null(r.Failure));
    }

    private Task<IReadOnlyList<string>> SendTimesAsync() =>
        StorageProbe.ColumnAsync(_temp.Database, "SELECT customer_id || ' ' || at FROM sends ORDER BY customer_id");

    [Fact]
    public async Task A_timer_runs_nothing_before_it_is_due_runs_at_its_time_once_due_and_a_repeat_runs_nothing()
    {
        var (job, heartbeat) = Job();
        await EnterAsync("c-1");

        _time.Advance(TimeSpan.FromMinutes(59));
        await RunAsync(job);
        Assert.Empty(await SendTimesAsync());
        Assert.Equal(_time.GetUtcNow(), heartbeat.LastRun); // a run that found nothing is a sign of life too

        _time.Advance(TimeSpan.FromMinutes(2));
        await RunAsync(job);
        Assert.Equal(["c-1 2026-03-02T09:00:00.0000000Z"], await SendTimesAsync()); // decided at the timer's own time
        Assert.Equal(["0"], await StorageProbe.ColumnAsync(_temp.Database, "SELECT COUNT(*) FROM wakeups"));

        await RunAsync(job);
        Assert.Single(await SendTimesAsync());
    }

    [Fact]
    public async Task A_backlog_larger_than_a_batch_is_worked_off_in_one_run()
    {
        var (job, _) = Job(batchSize: 2);
        await EnterAsync("c-1", "c-2", "c-3", "c-4", "c-5");

        _time.Advance(TimeSpan.FromHours(2));
        await RunAsync(job);

        Assert.Equal(["c-1", "c-2", "c-3", "c-4", "c-5"], (await SendTimesAsync()).Select(s => s.Split(' ')[0]));
        Assert.Equal(["0"], await StorageProbe.ColumnAsync(_temp.Database, "SELECT COUNT(*) FROM wakeups"));
    }

    [Fact]
    public async Task Timers_wait_for_event_intake_working_off_a_backlog_but_no_longer_than_MaxWaitForIntakeSeconds()
    {
        var intake = new IntakeProgress(_time);
        var (job, _) = Job(intake, maxWaitForIntakeSeconds: 600);
        await EnterAsync("c-1");

        // The timer is due, but a partition is deciding an event from half an hour before it: the timer waits.
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        intake.Taking("partition-1", T0.AddMinutes(30));
        await RunAsync(job);
        Assert.Empty(await SendTimesAsync());

        // Ten minutes on, the partition is still that far behind: the timer runs anyway, at its own time.
        _time.Advance(TimeSpan.FromMinutes(10));
        await RunAsync(job);
        Assert.Equal([$"c-1 2026-03-02T09:00:00.0000000Z"], await SendTimesAsync());
    }
}
