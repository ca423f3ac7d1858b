using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Worker.Tests.E2E;
using Orchestrator.Worker.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// The worker under faults, on real parts (RabbitMQ, the worker process, aiosmtpd), counted against the simulator:
/// per expected send delivered once / lost / duplicated, unexpected mails, per event decided / lost (see
/// <see cref="FaultChecker"/>). The test command runs 200 customers; scripts/soak.sh runs more
/// (<c>ORCHESTRATOR_FAULTS_CUSTOMERS</c>, <c>ORCHESTRATOR_FAULTS_KILLS</c>, <c>ORCHESTRATOR_FAULTS_SEED</c>).
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly int Customers = Population.Customers;

    /// <summary>The scenarios added after the first two run the sample's first 8 days in the test command (about a
    /// minute each instead of two); <c>ORCHESTRATOR_FAULTS_SAMPLE_DAYS=0</c> (the soak) runs all three weeks.</summary>
    private static readonly int SampleDays = Population.Setting("ORCHESTRATOR_FAULTS_SAMPLE_DAYS", 8);

    [Fact]
    public async Task Kill_9_at_random_moments_loses_no_event_and_no_send()
    {
        var kills = Population.Setting("ORCHESTRATOR_FAULTS_KILLS", 5);
        var seed = Population.Setting("ORCHESTRATOR_FAULTS_SEED", Environment.TickCount & 0x7fffffff);
        output.WriteLine($"seed {seed} (ORCHESTRATOR_FAULTS_SEED={seed} repeats the kill moments)");
        var random = new Random(seed);
        await using var rig = await FaultRig.CreateAsync(output, "faults-kill", Customers, TimeSpan.FromSeconds(10));
        await rig.StartSmtpAsync();
        await rig.StartWorkerAsync("fault-worker");
        var publishing = rig.PublishAsync();

        // The kills are spread over the time mail goes out: a random pause, then the next moment the worker moves.
        // They end a quarter of the way before the last predicted send: a worker that keeps up finishes its work by then
        // and a kill after it would find nothing to interrupt.
        var lastSend = rig.Scenario.Expected.Sends.Max(s => s.At);
        var killsEnd = lastSend - (lastSend - DateTimeOffset.UtcNow) / 4;
        var records = new List<KillRecord>();
        for (var i = 1; i <= kills; i++)
        {
            var left = killsEnd - DateTimeOffset.UtcNow;
            var spread = Math.Max(500, (int)(left.TotalMilliseconds / (kills - i + 2)));
            await Task.Delay(random.Next(300, spread));
            records.Add(await rig.KillDuringActivityAsync("fault-worker", i, TimeSpan.FromSeconds(60)));
            await rig.StartWorkerAsync("fault-worker");
        }
        await publishing;
        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        await rig.CheckAsync($"kill-9 x{kills}, {Customers} customers, seed {seed}", duplicateBound: kills);
        Assert.All(records, r => Assert.True(r.DuringActivity, r.ToString()));
    }

    [Fact]
    public async Task Smtp_down_then_refusing_for_a_while_loses_no_send_and_sends_none_twice()
    {
        var down = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_SMTP_DOWN_SECONDS", 10));
        var refusing = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_SMTP_4XX_SECONDS", 8));
        await using var rig = await FaultRig.CreateAsync(output, "faults-smtp", Customers, TimeSpan.FromSeconds(10));
        await rig.StartSmtpAsync();
        await rig.StartWorkerAsync("fault-worker", retryFor: down + refusing + TimeSpan.FromSeconds(20));
        await rig.PublishAsync();

        // Down once mail is flowing: connections refused, then a server that answers 451 to every recipient.
        var expected = rig.Scenario.Expected.Sends.Count(s => s.At <= rig.Scenario.Until);
        await rig.WaitForMailsAsync(Math.Max(1, expected / 10), TimeSpan.FromSeconds(90));
        rig.StopSmtp();
        var before = await rig.ActivityAsync();
        output.WriteLine($"smtp down at +{rig.Elapsed.TotalSeconds:F1}s for {down.TotalSeconds}s ({before})");
        await Task.Delay(down);
        await rig.StartSmtpAsync(rejectAll: "451 4.3.2");
        output.WriteLine($"smtp answering 451 at +{rig.Elapsed.TotalSeconds:F1}s for {refusing.TotalSeconds}s");
        await Task.Delay(refusing);
        var retried = await rig.RetriedSendsAsync();
        var during = await rig.ActivityAsync();
        rig.StopSmtp();
        await rig.StartSmtpAsync();
        output.WriteLine($"smtp back at +{rig.Elapsed.TotalSeconds:F1}s; meanwhile {during.Mails - before.Mails} mails arrived, {retried} sends were being retried");
        Assert.True(during.Mails == before.Mails, $"{during.Mails - before.Mails} mails arrived while the server was down or refusing");
        Assert.True(retried > 0, "no send was retried while the server was down: the outage missed the mail");

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        // Killing the server may cut a hand-off between its storing a mail and the worker's reading 250: at most one per
        // connection of the worker's pool (4) is then sent again.
        await rig.CheckAsync($"smtp down {down.TotalSeconds}s then 451 for {refusing.TotalSeconds}s, {Customers} customers", duplicateBound: 4);
    }

    /// <summary>
    /// Catches a worker that does not reconnect by itself (its events stay queued: lost events), and one that loses the
    /// events it held unacknowledged when the connection dropped, or decides a redelivered event twice (a duplicate or
    /// unexpected mail). The broker is a node of the test's own (<see cref="RabbitNode"/>): restarting the shared one
    /// would break whatever else runs on it.
    /// </summary>
    [Fact]
    public async Task A_broker_restart_while_events_are_consumed_loses_nothing_and_the_worker_reconnects_by_itself()
    {
        var down = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_BROKER_DOWN_SECONDS", 5));
        await using var node = await RabbitNode.StartAsync();
        await using var rig = await FaultRig.CreateAsync(output, "faults-broker", Customers, TimeSpan.FromSeconds(10), node, SampleDays);
        await rig.StartSmtpAsync();
        var worker = await rig.StartWorkerAsync("fault-worker");
        await rig.PublishAsync();

        // A third of the events decided: the rest wait in the queues or in the worker for their time.
        await rig.WaitForInboxAsync(rig.Scenario.Events.Count / 3, TimeSpan.FromSeconds(90));
        var before = await rig.ActivityAsync();
        await node.StopAppAsync();
        output.WriteLine($"broker stopped at +{rig.Elapsed.TotalSeconds:F1}s for {down.TotalSeconds}s ({before})");
        var (noticed, unhealthy) = await rig.WaitForHealthAsync(worker, h => h.GetProperty("status").GetString() == "degraded", TimeSpan.FromSeconds(30));
        output.WriteLine($"health degraded {noticed.TotalSeconds:F1}s after the stop: {unhealthy.GetProperty("intake")}");
        await Task.Delay(down);
        var restarting = Stopwatch.StartNew();
        await node.StartAppAsync();
        var booted = restarting.Elapsed;
        var (reconnected, healthy) = await rig.WaitForHealthAsync(worker, h => h.GetProperty("status").GetString() == "ok", TimeSpan.FromSeconds(120));
        var after = await rig.ActivityAsync();
        output.WriteLine($"broker back after {booted.TotalSeconds:F1}s; the worker consumed again {reconnected.TotalSeconds:F1}s later ({healthy.GetProperty("intake")}); {after}");
        Assert.True(after.Queued > 0 || after.Inbox < rig.Scenario.Events.Count, $"nothing was left to consume after the restart ({after}): it missed the intake");

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        await rig.CheckAsync($"broker restart ({down.TotalSeconds}s down), {Customers} customers", duplicateBound: 0);
        Assert.Equal(0u, await rig.Broker.CountAsync(rig.Broker.ErrorQueue));
    }

    /// <summary>
    /// One customer's mailbox does not exist: the server answers 550 5.1.1 to it for good. Catches a worker that retries a
    /// permanent refusal or keeps mailing the address after it (more attempts than one: unexpected), one that loses the
    /// refusal (a send left queued: lost), and one whose refusal spills over to other customers (their sends lost).
    /// </summary>
    [Fact]
    public async Task A_mailbox_refused_for_good_gets_one_attempt_and_is_suppressed_and_everybody_else_gets_mail_once()
    {
        await using var rig = await FaultRig.CreateAsync(output, "faults-5xx", Customers, TimeSpan.FromSeconds(10), sampleDays: SampleDays);
        var (address, sends) = RefusedCandidate(rig.Scenario);
        output.WriteLine($"refusing {address} for good: {sends.Count} predicted sends to it, at {string.Join(", ", sends.Select(s => s.At.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)))}");
        await rig.StartSmtpAsync(refuse: [address]);
        await rig.StartWorkerAsync("fault-worker");
        await rig.PublishAsync();

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        var counts = await rig.CheckAsync($"550 for {address}, {Customers} customers", duplicateBound: 0);
        Assert.Equal(sends.Count, counts.ToRefusedAddresses);
        Assert.Equal(sends.Count, counts.RefusedAsExpected);
        Assert.Equal(1, counts.RefusedAttempts);
        // The refusal is recorded with the server's reply, and the address is suppressed because of it.
        var failed = await StorageProbe.ColumnAsync(rig.Database, $"SELECT last_error FROM sends WHERE send_key = '{sends[0].SendKey}' AND status = 'failed'");
        Assert.Contains("550", Assert.Single(failed), StringComparison.Ordinal);
        var outcome = await StorageProbe.ColumnAsync(rig.Database, $"SELECT json_extract(detail_json, '$.reason') FROM outcomes WHERE send_key = '{sends[0].SendKey}' AND kind = 'failed'");
        Assert.Contains("550 5.1.1", Assert.Single(outcome), StringComparison.Ordinal);
        var suppression = await StorageProbe.ColumnAsync(rig.Database, $"SELECT reason FROM suppressions WHERE address = '{FaultChecker.AddressOf(address)}'");
        Assert.Contains("550", Assert.Single(suppression), StringComparison.Ordinal);
    }

    /// <summary>A customer whose predicted sends all go to one address, at least two of them, each two seconds or more
    /// after the one before: the refusal of the first has suppressed the address by the time the next is decided.</summary>
    private static (string Address, IReadOnlyList<Core.Engine.EmailToSend> Sends) RefusedCandidate(Scenario scenario)
    {
        var expected = scenario.Expected.Sends.Where(s => s.At <= scenario.Until).ToList();
        foreach (var customer in expected.GroupBy(s => s.CustomerId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var sends = customer.OrderBy(s => s.At).ToList();
            var addresses = sends.Select(s => FaultChecker.AddressOf(s.To)).Distinct(StringComparer.Ordinal).ToList();
            if (sends.Count >= 2 && addresses.Count == 1 && sends.Zip(sends.Skip(1)).All(p => p.Second.At - p.First.At >= TimeSpan.FromSeconds(2))
                && expected.Count(s => FaultChecker.AddressOf(s.To) == addresses[0]) == sends.Count)
                return (addresses[0], sends);
        }
        throw new InvalidOperationException("no customer with two or more well-spaced sends to one address");
    }

    /// <summary>
    /// SQLite's write lock held by another process for a while, as events arrive over AMQP and timers fall due. Catches a
    /// worker that drops or dead-letters what it cannot record (lost events, the error queue), acknowledges it anyway, keeps
    /// deciding without its database, or says it is healthy meanwhile.
    /// </summary>
    [Fact]
    public async Task A_database_locked_for_a_while_holds_intake_says_degraded_and_decides_everything_afterwards()
    {
        var locked = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_DB_LOCK_SECONDS", 10));
        await using var rig = await FaultRig.CreateAsync(output, "faults-db", Customers, TimeSpan.FromSeconds(10), sampleDays: SampleDays);
        await rig.StartSmtpAsync();
        // A lock is reported after 2 s, not after the default 30 s (which would ride out the whole lock unnoticed).
        var worker = await rig.StartWorkerAsync("fault-worker", new Dictionary<string, string> { ["Orchestrator__Storage__CommandTimeoutSeconds"] = "2" });
        await rig.PublishAsync();

        await rig.WaitForInboxAsync(rig.Scenario.Events.Count / 3, TimeSpan.FromSeconds(90));
        var due = await StorageProbe.ColumnAsync(rig.Database, $"SELECT COUNT(*) FROM wakeups WHERE due_at <= '{(DateTimeOffset.UtcNow + locked).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}'");
        Activity start, end;
        var degraded = new List<string>();
        await using (await rig.LockDatabaseAsync())
        {
            start = await rig.ActivityAsync();
            output.WriteLine($"database locked at +{rig.Elapsed.TotalSeconds:F1}s for {locked.TotalSeconds}s ({start}; {(due.Count > 0 ? due[0] : "0")} wakeups due by its end)");
            var until = Stopwatch.StartNew();
            while (until.Elapsed < locked)
            {
                var health = await worker.HealthAsync();
                if (health.GetProperty("status").GetString() == "degraded")
                    degraded.Add(health.GetProperty("database").GetString() ?? "");
                await Task.Delay(500);
            }
            end = await rig.ActivityAsync();
        }
        output.WriteLine($"database free at +{rig.Elapsed.TotalSeconds:F1}s ({end}); health said degraded {degraded.Count} times, e.g. {(degraded.Count > 0 ? degraded[0] : "-")}");
        Assert.Equal(start.Inbox, end.Inbox); // nothing decided without the database
        Assert.True(end.Queued > 0 || end.Inbox < rig.Scenario.Events.Count, $"no event waited during the lock ({end}): it missed the intake");
        Assert.Contains(degraded, d => d.Contains("locked", StringComparison.Ordinal));
        await rig.WaitForHealthAsync(worker, h => h.GetProperty("database").GetString() == "ok", TimeSpan.FromSeconds(30));

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        await rig.CheckAsync($"database locked {locked.TotalSeconds}s, {Customers} customers", duplicateBound: 0);
        Assert.Equal(0u, await rig.Broker.CountAsync(rig.Broker.ErrorQueue));
    }

    /// <summary>
    /// Two worker processes on the same queues and the same database (each with its own Quartz store and WorkerId, as
    /// Messaging/CustomerOrderAcrossWorkersTests runs them, the partitions spread over both); worker-a is killed mid-run. Catches a
    /// survivor that never takes the dead one's partitions over (lost events), sends or timers of the dead worker nobody finishes (lost sends), and
    /// two workers sending one mail (duplicates beyond the one the kill may cut).
    /// </summary>
    [Fact]
    public async Task Two_workers_on_the_same_queues_one_killed_mid_run_the_other_takes_over()
    {
        // Events from 15 s before the publish: the workers take them as a backlog while both poll timers.
        await using var rig = await FaultRig.CreateAsync(output, "faults-two", 2 * Customers, TimeSpan.FromSeconds(-15), sampleDays: SampleDays);
        await rig.StartSmtpAsync();
        // A dead worker's sends left 'sending' are reported 'unknown' by the survivor after AbandonAfter (default 10
        // minutes), which must exceed the longest a batch can take (ceil(BatchSize / PoolSize) x 4 x Timeout = 20 s here).
        var abandon = new Dictionary<string, string>
        {
            ["Orchestrator__Email__AbandonAfter"] = "00:00:25",
            ["Orchestrator__Email__BatchSize"] = "4",
            ["Orchestrator__Email__Timeout"] = "00:00:05",
        };
        await rig.StartWorkerAsync("worker-a", abandon); // first on the queues: the active consumer of each
        // Both before the events: the partitions are spread (PartitionShare), each works off its half of the backlog and
        // both poll the same wakeups. Every worker's timers must wait for the earliest hold (SharedIntakeHold); before
        // that (one worker consuming everything, the other quiet) such a start lost 12 sends and sent 26 nobody predicted.
        var survivor = await rig.StartWorkerAsync("worker-b", abandon);
        await rig.PublishAsync();
        await rig.WaitForInboxAsync(rig.Scenario.Events.Count / 3, TimeSpan.FromSeconds(90));
        var lag = await StorageProbe.ColumnAsync(rig.Database, "SELECT MAX(julianday(received_at) - julianday(occurred_at)) * 86400 FROM events");
        output.WriteLine($"a third decided at +{rig.Elapsed.TotalSeconds:F1}s; worker-a decided an event up to {(lag.Count > 0 ? lag[0] : "?")} s after it happened");
        var kill = await rig.KillDuringActivityAsync("worker-a", 1, TimeSpan.FromSeconds(60));
        var taken = await rig.ActivityAsync();
        await rig.WaitForInboxAsync(taken.Inbox + 1, TimeSpan.FromSeconds(60));
        output.WriteLine($"worker-b decided events again {rig.Elapsed.TotalSeconds:F1}s in ({await rig.ActivityAsync()})");
        Assert.False(survivor.HasExited);

        await rig.WaitUntilSettledAsync(TimeSpan.FromSeconds(120));
        await rig.CheckAsync($"two workers, one killed, {2 * Customers} customers", duplicateBound: 1);
        Assert.True(kill.DuringActivity, kill.ToString());
        Assert.Equal(0u, await rig.Broker.CountAsync(rig.Broker.ErrorQueue));
    }

    /// <summary>
    /// Events published while the worker is stopped, then the worker started on the backlog. Catches a worker that fires
    /// timers before the backlog behind them is decided (IntakeProgress): the simulator's sends then differ (lost and
    /// unexpected), and one that loses or repeats part of a large backlog. The test command runs 10,000 events;
    /// scripts/soak.sh 50,000 (<c>ORCHESTRATOR_FAULTS_BACKLOG</c>).
    /// </summary>
    [Fact]
    public async Task A_backlog_published_while_the_worker_was_stopped_is_decided_as_if_it_had_been_running()
    {
        var backlog = Population.Setting("ORCHESTRATOR_FAULTS_BACKLOG", 10_000);
        var drainTimeout = TimeSpan.FromSeconds(Population.Setting("ORCHESTRATOR_FAULTS_BACKLOG_SECONDS", 240));
        var sample = await Scenario.SampleEventLinesAsync();
        var customers = Population.CustomersForEvents(sample, backlog);
        var span = SampleSpan(sample);
        // Every event happened before the worker starts again: they span the squeezed three weeks, ending 5 s ago.
        await using var rig = await FaultRig.CreateAsync(output, "faults-backlog", customers, -(span + TimeSpan.FromSeconds(5)));
        await rig.StartSmtpAsync();
        // The worker runs once to declare its queues, then stops: the events wait in them.
        var first = await rig.StartWorkerAsync("fault-worker");
        first.Terminate();
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the worker did not stop on SIGTERM");
        rig.Workers.Remove("fault-worker");
        first.Dispose();
        var publishing = Stopwatch.StartNew();
        await rig.PublishAsync();
        var queued = await rig.QueuedAsync();
        output.WriteLine($"backlog: {rig.Scenario.Events.Count} events of {customers} customers published in {publishing.Elapsed.TotalSeconds:F1}s, {queued} queued; " +
            $"{rig.Scenario.Expected.Sends.Count(s => s.At <= rig.Scenario.Until)} sends predicted");
        Assert.Equal((uint)rig.Scenario.Events.Count, queued);

        var draining = Stopwatch.StartNew();
        await rig.StartWorkerAsync("fault-worker");
        await rig.WaitForInboxAsync(rig.Scenario.Events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count(), drainTimeout);
        output.WriteLine($"backlog decided {draining.Elapsed.TotalSeconds:F1}s after the start ({rig.Scenario.Events.Count / draining.Elapsed.TotalSeconds:F0} events/s)");
        await rig.WaitUntilSettledAsync(drainTimeout);
        await rig.CheckAsync($"backlog of {rig.Scenario.Events.Count} events, {customers} customers", duplicateBound: 0);
    }

    private static TimeSpan SampleSpan(IReadOnlyList<string> sample)
    {
        var times = sample.Select(l => DateTimeOffset.Parse(JsonDocument.Parse(l).RootElement.GetProperty("occurredAt").GetString()!, CultureInfo.InvariantCulture)).ToList();
        return TimeSpan.FromTicks((long)((times.Max() - times.Min()).Ticks / Scenario.Factor));
    }
}
