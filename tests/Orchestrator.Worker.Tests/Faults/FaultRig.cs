using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Core.Simulation;
using Orchestrator.Worker.Tests.E2E;
using Orchestrator.Worker.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>What was going on around one fault: the worker's progress just before it and what was left after.</summary>
internal sealed record Activity(int Inbox, int Mails, int Sending, uint? Queued)
{
    /// <summary>Queued is unknown (?) while the broker does not answer.</summary>
    public override string ToString() => $"inbox {Inbox}, mails {Mails}, sending {Sending}, queued {Queued?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
}

/// <summary>One kill -9: when, and the activity seen just before and right after it.</summary>
internal sealed record KillRecord(int Number, TimeSpan At, Activity Before, Activity After)
{
    /// <summary>Events were being consumed or mail was in flight when it landed.</summary>
    public bool DuringActivity => After.Inbox > Before.Inbox || After.Mails > Before.Mails || After.Sending > 0 || Before.Sending > 0;

    public override string ToString() =>
        $"kill {Number} at +{At.TotalSeconds:F1}s: before ({Before}), after ({After}): {(DuringActivity ? "during activity" : "IDLE")}";
}

/// <summary>
/// The parts of a fault scenario, all real: a RabbitMQ exchange and queues of its own, an SMTP server (aiosmtpd) that
/// can be taken down and brought back on the same port and folder, worker processes that can be killed, and the
/// simulator's prediction for the generated customers. <see cref="CheckAsync"/> counts what happened.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly int _smtpPort = ExternalProcess.FreePort();
    private readonly List<string> _logs = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ExternalProcess? _smtp;

    private FaultRig(ITestOutputHelper output, string folder, Broker broker, int brokerPort, Scenario scenario)
    {
        _output = output;
        Folder = folder;
        Broker = broker;
        _brokerPort = brokerPort;
        Scenario = scenario;
    }

    private readonly int _brokerPort;

    public string Folder { get; }
    public Broker Broker { get; }
    public Scenario Scenario { get; }
    public Dictionary<string, WorkerProcess> Workers { get; } = new(StringComparer.Ordinal);
    public string MailFolder => Path.Combine(Folder, "mail");
    public string Database => WorkerProcess.DatabaseIn(Folder);
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Addresses the SMTP server refuses for good (<see cref="StartSmtpAsync"/>); the checker expects their
    /// sends to be refused or suppressed, not delivered.</summary>
    public IReadOnlyList<string> RefusedAddresses { get; private set; } = [];

    /// <summary>Sends the simulator predicts after <see cref="Scenario.Until"/>: they may arrive while the rig checks.</summary>
    private SimulationResult? _beyond;

    /// <param name="lead">Time from now to the first event: the worker starts and publishing begins meanwhile. Negative:
    /// the events happened before now (a backlog).</param>
    /// <param name="node">A broker node of the scenario's own (one it restarts); by default the shared broker.</param>
    /// <param name="sampleDays">Only the sample's first days (<see cref="Population.FirstDays"/>; 0: all three weeks),
    /// with a horizon of 20 s instead of 40 s: a scenario of about a minute instead of two.</param>
    public static async Task<FaultRig> CreateAsync(ITestOutputHelper output, string name, int customers, TimeSpan lead, RabbitNode? node = null, int sampleDays = 0)
    {
        await TestServices.EnsureStartedAsync();
        var folder = Directory.CreateTempSubdirectory("orch-faults").FullName;
        var brokerPort = node?.Port ?? 5672;
        var broker = await Broker.ConnectAsync("orchestrator-" + name, brokerPort);
        var lines = Population.Replicate(Population.FirstDays(await Scenario.SampleEventLinesAsync(), sampleDays), customers);
        var scenario = await Scenario.CreateAsync(folder, DateTimeOffset.UtcNow + lead, lines, sampleDays > 0 ? TimeSpan.FromSeconds(20) : null);
        var rig = new FaultRig(output, folder, broker, brokerPort, scenario);
        rig._beyond = await Simulator.RunAsync(scenario.Catalog, scenario.Events, scenario.Sending, scenario.Until + TimeSpan.FromMinutes(10));
        Directory.CreateDirectory(rig.MailFolder);
        return rig;
    }

    /// <param name="rejectAll">A reply to every RCPT TO (a server having a bad spell), e.g. "451 4.3.2".</param>
    /// <param name="refuse">Addresses answered "550 5.1.1" (no such user) for the rest of the scenario.</param>
    public async Task StartSmtpAsync(string? rejectAll = null, IReadOnlyList<string>? refuse = null)
    {
        List<string> arguments = [Path.Combine(RepoPaths.Root, "tests", "smtp", "smtp_server.py"), _smtpPort.ToString(CultureInfo.InvariantCulture), MailFolder];
        if (rejectAll is not null)
            arguments.AddRange(["--reject-all", rejectAll]);
        foreach (var address in refuse ?? [])
            arguments.AddRange(["--reject-address", $"{address}:550 5.1.1"]);
        RefusedAddresses = refuse ?? RefusedAddresses;
        _smtp = new ExternalProcess("/usr/bin/python3", arguments, Folder);
        await _smtp.WaitForOutputAsync("READY", TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL, as a mail server that dies: connections drop mid-dialogue.</summary>
    public void StopSmtp()
    {
        if (_smtp is null)
            return;
        _smtp.Kill();
        _logs.Add("smtp server:\n" + _smtp.Output);
        _smtp.Dispose();
        _smtp = null;
    }

    /// <summary>Starts worker <paramref name="workerId"/> (its own Quartz file and HTTP port) and waits until it consumes.</summary>
    /// <param name="retryFor">How long a send is retried before it is given up: longer than any mail server outage the
    /// scenario makes (the soak's 30 s down and 15 s of 451 outlasted the 42 s once fixed here: 64 sends failed).</param>
    public async Task<WorkerProcess> StartWorkerAsync(string workerId, IDictionary<string, string>? extra = null, TimeSpan? retryFor = null)
    {
        var settings = Scenario.WorkerSettings(ExternalProcess.FreePort(), Broker.Name, _smtpPort, workerId, $"quartz-{workerId}.db");
        // Short retries: an SMTP outage of tens of seconds is ridden out within the scenario, not in minutes.
        List<int> delays = [1, 1, 2, 2, 3, 3];
        while (delays.Sum() < (retryFor ?? TimeSpan.FromSeconds(40)).TotalSeconds)
            delays.Add(5);
        for (var i = 0; i < delays.Count; i++)
            settings[$"Orchestrator__Email__RetryDelays__{i}"] = TimeSpan.FromSeconds(delays[i]).ToString("c", CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__MaxAttempts"] = (delays.Count + 1).ToString(CultureInfo.InvariantCulture);
        settings["Logging__LogLevel__Orchestrator"] = "Warning"; // thousands of customers: a line per event would be megabytes
        settings["Orchestrator__Messaging__Port"] = _brokerPort.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        var worker = await WorkerProcess.StartAsync(Folder, settings, Scenario.Ready);
        Workers[workerId] = worker;
        return worker;
    }

    public void KillWorker(string workerId)
    {
        var worker = Workers[workerId];
        worker.Kill();
        _logs.Add($"worker {workerId}:\n{Tail(worker.Output)}");
        worker.Dispose();
        Workers.Remove(workerId);
    }

    /// <summary>Waits until the worker makes progress (an event decided, a mail arrived, a send in flight), then kills it
    /// at once, so the kill lands while work is under way; fails if nothing moves within <paramref name="timeout"/>.</summary>
    public async Task<KillRecord> KillDuringActivityAsync(string workerId, int number, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var before = await ActivityAsync();
            await Task.Delay(150);
            var now = await ActivityAsync();
            if (now.Inbox > before.Inbox || now.Mails > before.Mails || now.Sending > 0)
            {
                var at = Elapsed;
                KillWorker(workerId);
                var after = await ActivityAsync();
                var record = new KillRecord(number, at, before, after);
                _output.WriteLine(record.ToString());
                return record;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"kill {number}: the worker made no progress for {timeout} ({now}); nothing to interrupt\n{Logs()}");
        }
    }

    public async Task<Activity> ActivityAsync()
    {
        var inbox = await CountAsync("SELECT COUNT(*) FROM inbox");
        var sending = await CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'sending'");
        var mails = Directory.GetFiles(MailFolder, "*.eml").Length;
        return new Activity(inbox, mails, sending, await QueuedAsync());
    }

    /// <summary>Events waiting in the partition queues; null while the broker does not answer (it is being restarted).</summary>
    public async Task<uint?> QueuedAsync()
    {
        try
        {
            uint queued = 0;
            for (var p = 0; p < Scenario.Partitions; p++)
                queued += await Broker.CountAsync($"{Broker.Name}.{p}");
            return queued;
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Holds SQLite's write lock on the worker's database (another process's exclusive transaction) until
    /// disposed: every write of the worker waits for it, and gives up after its command timeout.</summary>
    public async Task<IAsyncDisposable> LockDatabaseAsync()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Database};Pooling=False");
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "BEGIN EXCLUSIVE";
            command.CommandTimeout = 60; // the worker writing at this moment finishes its transaction first
            await command.ExecuteNonQueryAsync();
        }
        return connection; // disposing it rolls the empty transaction back and frees the lock
    }

    /// <summary>Sends waiting for another attempt after a failed one.</summary>
    public Task<int> RetriedSendsAsync() => CountAsync("SELECT COUNT(*) FROM sends WHERE status = 'queued' AND attempts > 0");

    /// <summary>Waits until the worker has decided <paramref name="count"/> events (inbox rows).</summary>
    public async Task WaitForInboxAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await CountAsync("SELECT COUNT(*) FROM inbox") < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"fewer than {count} events decided within {timeout} ({await ActivityAsync()})\n{Logs()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Polls <c>/health</c> until <paramref name="until"/> holds; the time it took and the body that satisfied it.</summary>
    public async Task<(TimeSpan After, JsonElement Health)> WaitForHealthAsync(WorkerProcess worker, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var started = Stopwatch.StartNew();
        JsonElement? last = null;
        while (started.Elapsed < timeout)
        {
            try
            {
                var health = await worker.HealthAsync();
                last = health;
                if (until(health))
                    return (started.Elapsed, health);
            }
            catch (HttpRequestException)
            {
                // Not answering for a moment; the timeout decides.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"health did not change as expected within {timeout}; last: {last}\n{Logs()}");
    }

    public async Task WaitForMailsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Directory.GetFiles(MailFolder, "*.eml").Length < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"fewer than {count} mails arrived within {timeout} ({await ActivityAsync()})\n{Logs()}");
            await Task.Delay(200);
        }
    }

    private async Task<int> CountAsync(string sql) =>
        (await StorageProbe.ColumnAsync(Database, sql)).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>Publishes every event with tests/amqp/publish.py (Python, pika, publisher confirms).</summary>
    public async Task PublishAsync()
    {
        var (exit, log) = await ExternalProcess.RunAsync("/usr/bin/python3", Path.Combine(RepoPaths.Root, "tests", "amqp", "publish.py"), Broker.Name, Scenario.EventsFile,
            "127.0.0.1", _brokerPort.ToString(CultureInfo.InvariantCulture));
        Assert.True(exit == 0, "publishing failed:\n" + log);
        Assert.Contains($"published {Scenario.Events.Count}", log, StringComparison.Ordinal);
        _output.WriteLine($"published {Scenario.Events.Count} events by +{Elapsed.TotalSeconds:F1}s");
    }

    /// <summary>
    /// Waits until the clock is past the horizon, every event is decided and every predicted send has arrived or been
    /// reported unknown, with nothing left queued; or until <paramref name="timeout"/> after the horizon, after which
    /// the counts say what is missing.
    /// </summary>
    public async Task WaitUntilSettledAsync(TimeSpan timeout)
    {
        // A send to a refused address may never get a row (its address was suppressed when it was decided): it is settled
        // once nothing of it is queued or being sent.
        var refused = RefusedAddresses.Select(FaultChecker.AddressOf).ToHashSet(StringComparer.Ordinal);
        var expected = Scenario.Expected.Sends.Where(s => s.At <= Scenario.Until && !refused.Contains(FaultChecker.AddressOf(s.To))).Select(s => s.SendKey).ToHashSet(StringComparer.Ordinal);
        var toRefused = Scenario.Expected.Sends.Where(s => s.At <= Scenario.Until && refused.Contains(FaultChecker.AddressOf(s.To))).Select(s => s.SendKey).ToHashSet(StringComparer.Ordinal);
        var events = Scenario.Events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count();
        var deadline = Scenario.Until + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (DateTimeOffset.UtcNow > Scenario.Until + TimeSpan.FromSeconds(2))
            {
                var accounted = (await StorageProbe.ColumnAsync(Database, "SELECT send_key FROM sends WHERE status IN ('sent', 'unknown', 'failed')")).ToHashSet(StringComparer.Ordinal);
                var arrived = FaultChecker.ArrivedKeys(MailFolder).ToHashSet(StringComparer.Ordinal);
                var pending = (await StorageProbe.ColumnAsync(Database, "SELECT send_key FROM sends WHERE status IN ('queued', 'sending')")).Count(k => expected.Contains(k) || toRefused.Contains(k));
                if (await CountAsync("SELECT COUNT(*) FROM inbox") >= events && pending == 0 && expected.All(k => arrived.Contains(k) || accounted.Contains(k)))
                {
                    _output.WriteLine($"settled at +{Elapsed.TotalSeconds:F1}s");
                    return;
                }
            }
            await Task.Delay(500);
        }
        _output.WriteLine($"not settled {timeout} after the horizon ({await ActivityAsync()})");
    }

    /// <summary>Stops every worker (so no mail arrives while counting), counts, prints the summary line and asserts
    /// the harness's rules: no event or send lost, nothing unexpected, at most <paramref name="duplicateBound"/> duplicates.</summary>
    public async Task<FaultCounts> CheckAsync(string scenarioName, int duplicateBound)
    {
        foreach (var id in Workers.Keys.ToList())
            KillWorker(id);
        var counts = await FaultChecker.CountAsync(Scenario, _beyond!, MailFolder, Database, RefusedAddresses);
        var summary = counts.Summary(scenarioName, duplicateBound);
        _output.WriteLine(summary);
        var violations = counts.Violations(duplicateBound);
        // A failed run's folder (database, mail, logs) stays for a look: what the worker recorded explains the counts.
        _keep = violations.Count > 0;
        Assert.True(violations.Count == 0, $"{summary}\n{string.Join("\n", violations)}\nkept for a look: {Folder}\n{Logs()}");
        return counts;
    }

    public string Logs() => string.Join("\n", _logs.Concat(Workers.Select(w => $"worker {w.Key}:\n{Tail(w.Value.Output)}")).Append(_smtp is null ? "" : "smtp server:\n" + _smtp.Output));

    private static string Tail(string text)
    {
        var lines = text.Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 80)));
    }

    private bool _keep;

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers.Values)
            worker.Dispose();
        Workers.Clear();
        _smtp?.Dispose();
        await Broker.DisposeAsync();
        if (_keep)
            return;
        try
        {
            Directory.Delete(Folder, true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the temp folder is cleaned by the OS later.
        }
    }
}
