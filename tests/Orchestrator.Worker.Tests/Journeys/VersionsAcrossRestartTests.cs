using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MimeKit;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Journeys;

/// <summary>
/// Pinned versions outlive the process that loaded them (docs/journey-format.md, Versions): on real parts (RabbitMQ, the
/// worker processes on one SQLite database, aiosmtpd), customers waiting in an edited journey finish on the version they
/// entered with after a restart and on a second worker that never saw that version's files; a journey file broken at
/// start-up loses no instance; customers whose version is nowhere to be found are held, and health says so.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class VersionsAcrossRestartTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _first = new();
    private readonly WorkerFolder _second = new();
    private readonly int _smtpPort = ExternalProcess.FreePort();
    private readonly List<WorkerProcess> _workers = [];
    private Broker? _broker;
    private ExternalProcess? _smtp;

    private string MailFolder => Path.Combine(_first.Path, "mail");

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-versions");
        Directory.CreateDirectory(MailFolder);
        _smtp = new ExternalProcess("/usr/bin/python3", [Path.Combine(RepoPaths.Root, "tests", "smtp", "smtp_server.py"), _smtpPort.ToString(CultureInfo.InvariantCulture), MailFolder], _first.Path);
        await _smtp.WaitForOutputAsync("READY", TimeSpan.FromSeconds(30));
        foreach (var folder in new[] { _first, _second })
            Directory.CreateDirectory(Path.Combine(folder.Journeys, "templates"));
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
            await _broker.DisposeAsync();
        _broker = null;
        Dispose();
    }

    public void Dispose()
    {
        KillAll();
        _smtp?.Dispose();
        _smtp = null;
        _first.Dispose();
        _second.Dispose();
    }

    [Fact]
    public async Task Waiting_customers_finish_on_the_version_they_entered_with_across_restarts_second_workers_and_broken_files()
    {
        WritePromo(_first, "Old subject");
        await StartAsync(_first, "worker-a");
        await EnterAsync("c-1");
        var v1 = await VersionOfAsync("c-1");
        KillAll();

        // Edited while c-1 waits: a new version. The first worker comes back on the edited files, and a second worker
        // starts from a folder that never held the old version.
        WritePromo(_first, "New subject");
        WritePromo(_second, "New subject");
        await StartAsync(_first, "worker-a");
        await StartAsync(_second, "worker-b");
        await EnterAsync("c-2");
        var v2 = await VersionOfAsync("c-2");
        Assert.NotEqual(v1, v2);

        var mails = await MailsAsync(2);
        Assert.Equal("Old subject", mails["c-1@example.com"]);
        Assert.Equal("New subject", mails["c-2@example.com"]);
        Assert.Equal([$"c-1|{v1}|completed", $"c-2|{v2}|completed"], await InstancesAsync());

        // A file broken at start-up: the version stored as in force last runs, and c-3, waiting in it, finishes.
        await EnterAsync("c-3");
        Assert.Equal(v2, await VersionOfAsync("c-3"));
        KillAll();
        File.WriteAllText(Path.Combine(_first.Journeys, "promo.yaml"), Promo().Replace("wait: 6s", "wait: 6 seconds", StringComparison.Ordinal));
        var worker = await StartAsync(_first, "worker-a");
        var health = await worker.HealthAsync();
        Assert.Equal("attention", health.GetProperty("status").GetString());
        Assert.Contains(health.GetProperty("journeyErrors").EnumerateArray(), e => e.GetString()!.Contains("'6 seconds' is not a duration", StringComparison.Ordinal));
        Assert.Equal(v2, health.GetProperty("journeys").EnumerateArray().Single(j => j.GetProperty("id").GetString() == "promo").GetProperty("version").GetString());
        Assert.Empty(health.GetProperty("held").EnumerateArray());
        Assert.Equal("New subject", (await MailsAsync(3))["c-3@example.com"]);
        Assert.Contains($"c-3|{v2}|completed", await InstancesAsync());
    }

    [Fact]
    public async Task Customers_whose_version_is_not_stored_are_held_not_moved_and_health_names_them()
    {
        WritePromo(_first, "Old subject");
        await StartAsync(_first, "worker-a");
        await EnterAsync("c-1");
        var v1 = await VersionOfAsync("c-1");
        KillAll();

        // As a database from before versions were stored: the old version is nowhere, the file says something else.
        await ExecuteAsync("DELETE FROM journey_versions");
        WritePromo(_first, "New subject");
        var worker = await StartAsync(_first, "worker-a");
        var health = await worker.HealthAsync();
        Assert.Equal("attention", health.GetProperty("status").GetString());
        var held = Assert.Single(health.GetProperty("held").EnumerateArray());
        Assert.Equal("promo", held.GetProperty("journey").GetString());
        Assert.Equal(v1, held.GetProperty("version").GetString());
        Assert.Equal(1, held.GetProperty("instances").GetInt32());

        // Once its timer has come due and been looked at (a held instance's wakeup moves on by a pause, past its own due
        // time, which stays): neither sent on the new version nor ended, still waiting with its timer.
        const string lookedAt = "SELECT COUNT(*) FROM wakeups w JOIN instances i ON i.instance_id = w.instance_id WHERE w.customer_id = 'c-1' AND w.due_at > i.wake_at";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await StorageProbe.ColumnAsync(_first.Database, lookedAt) is not ["1"])
        {
            Assert.True(DateTime.UtcNow < deadline, "the held customer's timer was never looked at:\n" + worker.Output);
            await Task.Delay(200);
        }
        Assert.Empty(Directory.GetFiles(MailFolder, "*.eml"));
        Assert.Equal([$"c-1|{v1}|active"], await InstancesAsync());
        Assert.Equal(["1"], await StorageProbe.ColumnAsync(_first.Database, "SELECT COUNT(*) FROM instances WHERE customer_id = 'c-1' AND wake_at IS NOT NULL"));
        Assert.Contains($"are held: their version {v1} is not loaded", worker.Output, StringComparison.Ordinal);
    }

    private static string Promo() => """
        id: promo
        name: Spring promotion
        entry:
          event: promo.started
        steps:
          - id: pause
            wait: 6s
          - id: mail
            email:
              template: promo
        """;

    private static void WritePromo(WorkerFolder folder, string subject)
    {
        File.WriteAllText(Path.Combine(folder.Journeys, "promo.yaml"), Promo());
        File.WriteAllText(Path.Combine(folder.Journeys, "templates", "promo.liquid"),
            $"---\nsubject: \"{subject}\"\n---\n<p>Spring is here.</p>\n<p><a href=\"{{{{ unsubscribe_url }}}}\">Unsubscribe</a></p>\n");
    }

    /// <summary>A worker on the first folder's database and the shared queue and SMTP server, whatever its own folder.</summary>
    private async Task<WorkerProcess> StartAsync(WorkerFolder folder, string workerId)
    {
        var settings = folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Storage__ConnectionString"] = $"Data Source={_first.Database}";
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = _broker!.Name;
        settings["Orchestrator__Email__Host"] = "127.0.0.1";
        settings["Orchestrator__Email__Port"] = _smtpPort.ToString(CultureInfo.InvariantCulture);
        settings["Orchestrator__Email__Security"] = "None";
        settings["Orchestrator__Email__WorkerId"] = workerId;
        settings.Remove("Orchestrator__Email__PickupFolder");
        var worker = await WorkerProcess.StartAsync(folder.Path, settings);
        _workers.Add(worker);
        return worker;
    }

    private void KillAll()
    {
        foreach (var worker in _workers)
        {
            worker.Kill();
            worker.Dispose();
        }
        _workers.Clear();
    }

    private Task EnterAsync(string customerId)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return _broker!.PublishAsync(JsonSerializer.Serialize(new
        {
            eventId = "enter-" + customerId,
            customerId,
            type = "promo.started",
            occurredAt = now,
            customer = new { email = customerId + "@example.com" },
        }), routingKey: customerId);
    }

    /// <summary>The version the customer's instance entered with, once it is stored.</summary>
    private async Task<string> VersionOfAsync(string customerId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (await StorageProbe.ColumnAsync(_first.Database, $"SELECT version FROM instances WHERE customer_id = '{customerId}'") is [var version])
                return version;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{customerId} never entered:\n" + string.Join("\n", _workers.Select(w => w.Output)));
            await Task.Delay(100);
        }
    }

    private Task<IReadOnlyList<string>> InstancesAsync() => StorageProbe.ColumnAsync(_first.Database,
        "SELECT customer_id || '|' || version || '|' || status FROM instances ORDER BY customer_id");

    /// <summary>Subject by recipient, once <paramref name="count"/> mails have arrived.</summary>
    private async Task<Dictionary<string, string>> MailsAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (Directory.GetFiles(MailFolder, "*.eml").Length < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"fewer than {count} mails arrived:\n" + string.Join("\n", _workers.Select(w => w.Output)));
            await Task.Delay(200);
        }
        var mails = Directory.GetFiles(MailFolder, "*.eml").Select(f => MimeMessage.Load(f)).ToList();
        Assert.Equal(count, mails.Count);
        return mails.ToDictionary(m => m.To.Mailboxes.Single().Address, m => m.Subject ?? "", StringComparer.Ordinal);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_first.Database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
