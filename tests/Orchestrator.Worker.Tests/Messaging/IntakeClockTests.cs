using System.Globalization;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// Timers in the worker never run before their due time, and never ahead of an older event of their customer that is
/// still queued (issue 9, defect 2; the backlog found by the fault harness): on the real worker process, RabbitMQ and
/// the pickup folder.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class IntakeClockTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _folder = new();
    private Broker? _broker;
    private WorkerProcess? _worker;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-clock");
        Directory.CreateDirectory(Path.Combine(_folder.Journeys, "templates"));
        await File.WriteAllTextAsync(Path.Combine(_folder.Journeys, "nudge.yaml"), """
            id: nudge
            name: Trial nudge
            entry:
              event: trial.started
            exit:
              - event: trial.converted
            steps:
              - id: pause
                wait: 30s
              - id: reminder
                email:
                  template: nudge
            """);
        await File.WriteAllTextAsync(Path.Combine(_folder.Journeys, "templates", "nudge.liquid"),
            "---\nsubject: Your trial\n---\n<p>Still there? <a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n");
    }

    public async Task DisposeAsync()
    {
        _worker?.Dispose();
        if (_broker is not null)
            await _broker.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    private Dictionary<string, string> Settings(bool amqp)
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        if (amqp)
        {
            settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
            settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
            settings["Orchestrator__Messaging__QueueName"] = _broker!.Name;
            settings["Orchestrator__Messaging__Partitions"] = "1";
        }
        return settings;
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Millis(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static string Event(string eventId, string customerId, string type, DateTimeOffset at) =>
        $$$"""{"eventId":"{{{eventId}}}","customerId":"{{{customerId}}}","type":"{{{type}}}","occurredAt":"{{{Iso(at)}}}","customer":{"email":"{{{customerId}}}@example.com","firstName":"Ann"}}""";

    private Task<IReadOnlyList<string>> Column(string sql) => StorageProbe.ColumnAsync(_folder.Database, sql);

    private async Task WaitForAsync(string sql, string expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(await Column(sql)).Contains(expected))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"'{sql}' never gave {expected}:\n{_worker?.Output}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task An_http_event_dated_within_the_skew_ahead_runs_no_timer_of_its_customer_early()
    {
        _worker = await WorkerProcess.StartAsync(_folder.Path, Settings(amqp: false));
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(200, (await _worker.PostEventsAsync(Event("e-start", "c-1", "trial.started", now))).Status);

        // A publisher whose clock runs four minutes fast: its event is taken, but the reminder due in 30 s does not go now.
        var ahead = await _worker.PostEventsAsync(Event("e-ahead", "c-1", "page.viewed", now.AddMinutes(4)));

        Assert.Equal(200, ahead.Status);
        Assert.Equal(0, ahead.Body.GetProperty("sends").GetInt32());
        Assert.Equal(["entered", "waiting"], await Column("SELECT kind FROM outcomes WHERE customer_id = 'c-1' ORDER BY id"));
        Assert.Equal(["0"], await Column("SELECT COUNT(*) FROM sends WHERE customer_id = 'c-1'"));
    }

    [Fact]
    public async Task An_amqp_event_dated_ahead_waits_until_its_time_and_the_events_behind_it_keep_their_order()
    {
        _worker = await WorkerProcess.StartAsync(_folder.Path, Settings(amqp: true));
        var early = Millis(DateTimeOffset.UtcNow.AddSeconds(3));
        await _broker!.PublishAsync(Event("e-early", "c-2", "trial.started", early), routingKey: "c-2");
        await _broker.PublishAsync(Event("e-behind", "c-3", "trial.started", Millis(DateTimeOffset.UtcNow)), routingKey: "c-3");

        await WaitForAsync("SELECT event_id FROM inbox", "e-behind", TimeSpan.FromSeconds(30));
        var received = (await Column("SELECT event_id || ' ' || received_at FROM inbox ORDER BY event_id")).ToDictionary(
            r => r[..r.IndexOf(' ', StringComparison.Ordinal)], r => DateTimeOffset.Parse(r[(r.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        // Decided at its time (the store's clock and the test's are one), not when it arrived.
        Assert.True(received["e-early"] >= early, $"e-early decided at {received["e-early"]:O}, before its time {early:O}");
        Assert.True(received["e-behind"] >= received["e-early"], $"e-behind ({received["e-behind"]:O}) overtook e-early ({received["e-early"]:O})");
        var entered = DateTimeOffset.Parse((await Column("SELECT at FROM outcomes WHERE customer_id = 'c-2' AND kind = 'entered'")).Single(), CultureInfo.InvariantCulture);
        Assert.Equal(early, entered);
    }

    [Fact]
    public async Task A_timer_due_while_the_worker_was_down_waits_for_an_older_event_of_its_customer_behind_a_backlog()
    {
        var settings = Settings(amqp: true);
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        var started = Millis(DateTimeOffset.UtcNow);
        await _broker!.PublishAsync(Event("e-start", "c-4", "trial.started", started), routingKey: "c-4");
        await WaitForAsync("SELECT event_id FROM inbox", "e-start", TimeSpan.FromSeconds(30));
        _worker.Kill();
        _worker.Dispose();
        _worker = null;

        // While the worker is down: a backlog of other customers' events, then c-4 converts, before the reminder is due.
        for (var i = 0; i < 2_000; i++)
            await _broker.PublishAsync(Event($"e-fill-{i}", $"f-{i}", "page.viewed", Millis(DateTimeOffset.UtcNow)), routingKey: $"f-{i}");
        var converted = Millis(DateTimeOffset.UtcNow);
        Assert.True(converted < started.AddSeconds(30), "publishing the backlog took longer than the wait: the test proves nothing");
        await _broker.PublishAsync(Event("e-converted", "c-4", "trial.converted", converted), routingKey: "c-4");
        var due = started.AddSeconds(30);
        if (due + TimeSpan.FromSeconds(1) > DateTimeOffset.UtcNow)
            await Task.Delay(due + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow);

        // On start the reminder is due at once, but c-4's conversion is older and still queued behind the backlog.
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        await WaitForAsync("SELECT kind FROM outcomes WHERE customer_id = 'c-4'", "exited", TimeSpan.FromSeconds(90));

        Assert.Equal(["entered", "waiting", "exited"], await Column("SELECT kind FROM outcomes WHERE customer_id = 'c-4' ORDER BY id"));
        Assert.Equal(["0"], await Column("SELECT COUNT(*) FROM sends WHERE customer_id = 'c-4'"));
    }
}
