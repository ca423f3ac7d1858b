using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Http;

/// <summary>
/// Health and gauges for what waits without being lost, through the real worker process: the mail server at a port
/// where nothing listens (then the real SMTP server there), and a timer whose claim is held by a worker that never
/// finishes it. Every number is checked against what the test itself knows or reads from the database.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed partial class OperationsHealthTests : IDisposable
{
    private readonly WorkerFolder _folder = new();
    private readonly List<IDisposable> _processes = [];

    public void Dispose()
    {
        foreach (var process in Enumerable.Reverse(_processes))
            process.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_refused_mail_server_and_a_held_timer_are_degraded_with_their_numbers_and_an_answering_server_ends_the_failures()
    {
        await _folder.WithWelcomeJourneyAsync();
        var smtpPort = ExternalProcess.FreePort();
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings.Remove("Orchestrator__Email__PickupFolder");
        settings["Orchestrator__Email__Host"] = "127.0.0.1";
        settings["Orchestrator__Email__Port"] = smtpPort.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__Security"] = "None";
        // Two quick retries, then the send waits an hour: three failures in a row, and a queued send not due.
        settings["Orchestrator__Email__RetryDelays__0"] = "00:00:00.300";
        settings["Orchestrator__Email__RetryDelays__1"] = "00:00:00.300";
        settings["Orchestrator__Email__RetryDelays__2"] = "01:00:00";
        settings["Orchestrator__Health__SmtpFailuresInARow"] = "3";
        settings["Orchestrator__Health__WakeupLatenessSeconds"] = "60";
        settings["Orchestrator__Health__BacklogCacheSeconds"] = "1";
        var worker = Track(await WorkerProcess.StartAsync(_folder.Path, settings));

        var idle = await worker.HealthAsync();
        Assert.Equal("ok", idle.GetProperty("status").GetString());
        Assert.StartsWith("idle", idle.GetProperty("smtp").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, idle.GetProperty("wakeups").GetProperty("due").GetInt64());

        // Another worker claimed this timer ten minutes after it was due and never finished it: its lease holds it.
        var dueAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        await using (var db = new SqliteConnection($"Data Source={_folder.Database};Pooling=False"))
        {
            await db.OpenAsync();
            await using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO wakeups (customer_id, instance_id, due_at, claimed_until) VALUES ('c-held', 'i-held', $due, $until)";
            insert.Parameters.AddWithValue("$due", dueAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$until", DateTimeOffset.UtcNow.AddMinutes(50).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            await insert.ExecuteNonQueryAsync();
        }

        Assert.Equal(200, (await worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status);
        var failing = await WaitForHealthAsync(worker, h => h.GetProperty("smtp").GetProperty("consecutiveFailures").GetInt32() == 3);
        var smtp = failing.GetProperty("smtp");
        Assert.Equal("attention", failing.GetProperty("status").GetString());
        Assert.Equal("degraded", smtp.GetProperty("status").GetString());
        Assert.Contains("connection failed: ConnectionRefused", smtp.GetProperty("lastFailure").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, smtp.GetProperty("lastSuccessAt").ValueKind);

        // The send is queued for its retry in an hour: one queued, none due, as the database says.
        var queued = long.Parse((await StorageProbe.ColumnAsync(_folder.Database, "SELECT COUNT(*) FROM sends WHERE status = 'queued'")).Single(), CultureInfo.InvariantCulture);
        Assert.Equal(1, queued);
        Assert.Equal(0, long.Parse((await StorageProbe.ColumnAsync(_folder.Database,
            "SELECT COUNT(*) FROM sends WHERE status = 'queued' AND next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")).Single(), CultureInfo.InvariantCulture));
        // Health caches its backlog figures for a second, so a snapshot taken between the quick retries (queued and
        // due) may still be served: wait for one that agrees with the database, then check the rest against it.
        var health = await WaitForHealthAsync(worker, h =>
            h.GetProperty("outbox").GetProperty("queued").GetInt64() == queued && h.GetProperty("outbox").GetProperty("due").GetInt64() == 0);
        Assert.Equal("healthy", health.GetProperty("outbox").GetProperty("status").GetString());

        var wakeups = health.GetProperty("wakeups");
        var lateness = wakeups.GetProperty("oldestDueLatenessSeconds").GetDouble();
        Assert.Equal(1, wakeups.GetProperty("due").GetInt64());
        Assert.Equal("degraded", wakeups.GetProperty("status").GetString());
        Assert.InRange(lateness, 599, (DateTimeOffset.UtcNow - dueAt).TotalSeconds + 1);
        Assert.Equal(dueAt.ToUnixTimeMilliseconds(), wakeups.GetProperty("oldestDueAt").GetDateTimeOffset().ToUnixTimeMilliseconds());

        using (var ready = await worker.Http.GetAsync("/health/ready"))
        {
            // Degraded, not unhealthy: mail and timers wait, nothing is lost, and a restart would fix neither.
            Assert.Equal(200, (int)ready.StatusCode);
            var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("degraded", report.GetProperty("status").GetString());
            var checks = report.GetProperty("checks");
            Assert.Equal("degraded", checks.GetProperty("smtp").GetProperty("status").GetString());
            Assert.Contains("3 hand-off(s) in a row failed", checks.GetProperty("smtp").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Contains("ConnectionRefused", checks.GetProperty("smtp").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal("degraded", checks.GetProperty("wakeups").GetProperty("status").GetString());
            Assert.Matches(@"^timers run late: 1 due, the oldest \d+ s late", checks.GetProperty("wakeups").GetProperty("description").GetString());
            Assert.Equal("healthy", checks.GetProperty("outbox").GetProperty("status").GetString());
            Assert.Equal("healthy", checks.GetProperty("database").GetProperty("status").GetString());
        }

        var metrics = await worker.Http.GetStringAsync("/metrics");
        Assert.Equal(queued, Gauge(metrics, "orchestrator_outbox_queued"));
        Assert.Equal(0, Gauge(metrics, "orchestrator_outbox_due"));
        Assert.Equal(0, Gauge(metrics, "orchestrator_outbox_oldest_due_wait_seconds"));
        Assert.Equal(1, Gauge(metrics, "orchestrator_wakeups_due"));
        Assert.InRange(Gauge(metrics, "orchestrator_wakeups_oldest_due_lateness_seconds"), 599, (DateTimeOffset.UtcNow - dueAt).TotalSeconds + 1);
        Assert.Equal(3, Gauge(metrics, "orchestrator_smtp_consecutive_failures"));

        // The mail server comes up at that port: the next mail is accepted, and the run of failures ends.
        var mails = Path.Combine(_folder.Path, "smtp");
        Directory.CreateDirectory(mails);
        var server = Track(new ExternalProcess("/usr/bin/python3", [Path.Combine(RepoPaths.Root, "tests", "smtp", "smtp_server.py"), smtpPort.ToString(CultureInfo.InvariantCulture), mails], _folder.Path));
        await server.WaitForOutputAsync("READY", TimeSpan.FromSeconds(20));
        Assert.Equal(200, (await worker.PostEventsAsync(SignUp("e-2", "c-2"))).Status);
        var recovered = (await WaitForHealthAsync(worker, h => h.GetProperty("smtp").GetProperty("consecutiveFailures").GetInt32() == 0)).GetProperty("smtp");
        Assert.Equal("healthy", recovered.GetProperty("status").GetString());
        Assert.StartsWith("the mail server last accepted a mail", recovered.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, recovered.GetProperty("lastSuccessAt").ValueKind);
        Assert.Single(Directory.GetFiles(mails, "*.eml"));
        Assert.Equal(0, Gauge(await worker.Http.GetStringAsync("/metrics"), "orchestrator_smtp_consecutive_failures"));
    }

    [Fact]
    public async Task Health_limits_out_of_range_stop_the_worker_naming_each()
    {
        await _folder.WithWelcomeJourneyAsync();
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Health__SmtpFailuresInARow"] = "0";
        settings["Orchestrator__Health__BacklogCacheSeconds"] = "-1";

        var (exit, output) = await WorkerProcess.RunToExitAsync(_folder.Path, settings, TimeSpan.FromSeconds(60));

        Assert.Equal(3, exit);
        Assert.Contains("Orchestrator:Health:SmtpFailuresInARow: The field SmtpFailuresInARow must be between 1 and 100000.", output, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Health:BacklogCacheSeconds: The field BacklogCacheSeconds must be between 0 and 300.", output, StringComparison.Ordinal);
    }

    private T Track<T>(T process) where T : IDisposable
    {
        _processes.Add(process);
        return process;
    }

    private static async Task<JsonElement> WaitForHealthAsync(WorkerProcess worker, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var health = await worker.HealthAsync();
            if (condition(health))
                return health;
            Assert.True(DateTime.UtcNow < deadline, "health never got there:\n" + health + "\n" + worker.Output);
            await Task.Delay(200);
        }
    }

    /// <summary>The one value of a gauge in Prometheus' text format (labels such as otel_scope_name ignored).</summary>
    private static double Gauge(string metrics, string name)
    {
        var values = GaugeLine().Matches(metrics).Where(m => m.Groups["name"].Value == name).Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(values.Count == 1, $"{name}: {values.Count} values in\n{metrics}");
        return values[0];
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex GaugeLine();


    private static string SignUp(string eventId, string customerId)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return $$$"""{"eventId":"{{{eventId}}}","customerId":"{{{customerId}}}","type":"signed.up","occurredAt":"{{{now}}}","customer":{"email":"{{{customerId}}}@example.com"}}""";
    }
}
