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
    private readonly EventProcessor _processor;
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
        _processor = new EventProcessor(new JourneyEngine(new SendingOptions(), _time), _temp.Storage.Store, () => catalog);
        _commits = new GroupCommit(_processor);
    }

    public void Dispose() => _temp.Dispose();

    private (DueWakeupsJob Job, SchedulerHeartbeat Heartbeat) Job(IntakeProgress? intake = null, int batchSize = 200, int maxWaitForIntakeSeconds = 900,
        SharedIntakeHold? shared = null, OutboxSignal? outbox = null, int batchSizeWhileSending = 32, Core.Ports.IWakeupStore? wakeups = null)
    {
        var options = Options.Create(new SchedulingOptions
        {
            BatchSize = batchSize, BatchSizeWhileSending = batchSizeWhileSending, MaxWaitForIntakeSeconds = maxWaitForIntakeSeconds,
        });
        var heartbeat = new SchedulerHeartbeat(_time, options);
        shared ??= new SharedIntakeHold(intake ?? new IntakeProgress(_time), _temp.Storage.IntakeHolds, _time);
        var job = new DueWakeupsJob(wakeups ?? _temp.Storage.Wakeups, _commits, _time, shared, options, heartbeat,
            new LateTimers(_time, NullLogger<LateTimers>.Instance), NullLogger<DueWakeupsJob>.Instance, outbox);
        return (job, heartbeat);
    }

    /// <summary>The real wakeup store, noting how many customers each claim asked for.</summary>
    private sealed class ClaimSizes(Core.Ports.IWakeupStore store) : Core.Ports.IWakeupStore
    {
        public List<int> Asked { get; } = [];

        public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset dueBy, DateTimeOffset now, int max, TimeSpan lease, CancellationToken cancellationToken)
        {
            Asked.Add(max);
            return store.ClaimDueAsync(dueBy, now, max, lease, cancellationToken);
        }
    }

    [Fact]
    public async Task While_the_sender_is_behind_timers_are_claimed_in_smaller_batches_and_all_still_run()
    {
        var outbox = new OutboxSignal();
        var claims = new ClaimSizes(_temp.Storage.Wakeups);
        var (job, _) = Job(batchSize: 200, batchSizeWhileSending: 3, outbox: outbox, wakeups: claims);
        await EnterAsync([.. Enumerable.Range(1, 10).Select(i => $"c-{i:00}")]);
        _time.Advance(TimeSpan.FromHours(2));

        outbox.SenderClaimed(full: true);
        await RunAsync(job);
        Assert.Equal([3, 3, 3, 3], claims.Asked); // 3 + 3 + 3 + the last 1, which ends the run
        Assert.Equal(10, (await SendTimesAsync()).Count);

        // Caught up: its next claim was not full, and the timers take their whole batch again.
        await EnterAsync("c-11");
        _time.Advance(TimeSpan.FromHours(2));
        outbox.SenderClaimed(full: false);
        claims.Asked.Clear();
        await RunAsync(job);
        Assert.Equal([200], claims.Asked);
        Assert.Equal(11, (await SendTimesAsync()).Count);
    }

    // The job reads nothing from Quartz's context: when it runs is Quartz's, what it runs is the wakeups table's.
    private static Task RunAsync(DueWakeupsJob job) => job.Execute(null!, CancellationToken.None).AsTask();

    private Task EnterAsync(params string[] customerIds) => EnterAsync(_commits, _time.GetUtcNow(), customerIds);

    private static async Task EnterAsync(GroupCommit commits, DateTimeOffset at, params string[] customerIds)
    {
        var results = await commits.SubmitAsync([.. customerIds.Select(id => Work.Of(new CustomerEvent
        {
            EventId = "e-" + id,
            CustomerId = id,
            Type = "signed.up",
            OccurredAt = at,
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

    /// <summary>
    /// Two workers on one database: the active one works off a backlog, the standby's own partitions are quiet (the
    /// queues are the other's). The standby's timers wait for the active worker's hold, written in the database, and
    /// run once it lifts; a hold its worker stopped renewing (it died) holds nothing back after FreshFor.
    /// </summary>
    [Fact]
    public async Task A_standby_worker_waits_for_the_hold_of_the_worker_that_works_off_a_backlog()
    {
        var activeIntake = new IntakeProgress(_time);
        var active = new SharedIntakeHold(activeIntake, _temp.Storage.IntakeHolds, _time, "worker-a");
        var (standby, _) = Job(new IntakeProgress(_time));
        await EnterAsync("c-1");

        // Due now, but the active worker is deciding an event from half an hour before the timer.
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        activeIntake.Taking("partition-1", T0.AddMinutes(30));
        await active.PublishAsync(CancellationToken.None);
        await RunAsync(standby);
        Assert.Empty(await SendTimesAsync());

        // The active worker caught up (the partition quiet): the hold lifts, its row goes, the standby runs the timer.
        activeIntake.Took("partition-1");
        _time.Advance(IntakeProgress.QuietAfter + TimeSpan.FromMilliseconds(1));
        await active.PublishAsync(CancellationToken.None);
        Assert.Equal(["0"], await StorageProbe.ColumnAsync(_temp.Database, "SELECT COUNT(*) FROM intake_holds"));
        await RunAsync(standby);
        Assert.Equal(["c-1 2026-03-02T09:00:00.0000000Z"], await SendTimesAsync());
    }

    [Fact]
    public async Task A_hold_not_renewed_for_FreshFor_holds_nothing_back()
    {
        var deadIntake = new IntakeProgress(_time);
        var dead = new SharedIntakeHold(deadIntake, _temp.Storage.IntakeHolds, _time, "worker-dead");
        var (standby, _) = Job(new IntakeProgress(_time));
        await EnterAsync("c-1");

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        deadIntake.Taking("partition-1", T0.AddMinutes(30));
        await dead.PublishAsync(CancellationToken.None); // and then it is killed: nobody renews the row
        _time.Advance(SharedIntakeHold.FreshFor - TimeSpan.FromSeconds(1));
        await RunAsync(standby);
        Assert.Empty(await SendTimesAsync());

        _time.Advance(TimeSpan.FromSeconds(2));
        await RunAsync(standby);
        Assert.Equal(["c-1 2026-03-02T09:00:00.0000000Z"], await SendTimesAsync());
    }

    /// <summary>
    /// A backlog that arrives after a quiet spell: the worker's first commit of it creates a timer already due, and its
    /// hold must be in the database by then, not at the next tick of the publisher, or the standby runs that timer
    /// ahead of the customer's events still queued behind it.
    /// </summary>
    [Fact]
    public async Task A_worker_that_begins_holding_says_so_before_it_commits_the_first_decision()
    {
        var activeIntake = new IntakeProgress(_time);
        using var active = new SharedIntakeHold(activeIntake, _temp.Storage.IntakeHolds, _time, "worker-a");
        var activeCommits = new GroupCommit(_processor, holds: active);
        var (standby, _) = Job(new IntakeProgress(_time));

        // The entry event is 64 minutes old when the active worker takes it: its one-hour wait is due at once.
        _time.Advance(TimeSpan.FromMinutes(65));
        activeIntake.Taking("partition-1", T0.AddMinutes(1));
        await EnterAsync(activeCommits, T0.AddMinutes(1), "c-1");
        Assert.Equal(["2026-03-02T09:01:00.0000000Z"], await StorageProbe.ColumnAsync(_temp.Database, "SELECT due_at FROM wakeups"));
        Assert.Equal(["worker-a"], await StorageProbe.ColumnAsync(_temp.Database, "SELECT worker_id FROM intake_holds"));
        await RunAsync(standby);
        Assert.Empty(await SendTimesAsync());
    }
}
