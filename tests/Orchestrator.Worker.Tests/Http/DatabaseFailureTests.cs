using System.Globalization;
using Microsoft.Data.Sqlite;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Http;

/// <summary>
/// A database that cannot record is never answered with "processed": the real worker process on SQLite, its file
/// deleted under it or locked by another process. Events get 503 with the reason and Retry-After, no mail goes out for
/// them, health says degraded with the reason, and once the database is back the same events are taken.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class DatabaseFailureTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _folder = new();
    private WorkerProcess? _worker;
    private Dictionary<string, string> _settings = [];

    private WorkerProcess Worker => _worker!;

    public async Task InitializeAsync()
    {
        await _folder.WithWelcomeJourneyAsync();
        _settings = _folder.Settings(ExternalProcess.FreePort());
        // A locked database is reported after this long, not after the default 30 s.
        _settings["Orchestrator__Storage__CommandTimeoutSeconds"] = "2";
        _worker = await WorkerProcess.StartAsync(_folder.Path, _settings);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _worker?.Dispose();
        _worker = null;
        _folder.Dispose();
    }

    [Fact]
    public async Task A_database_file_deleted_under_the_worker_gets_503_not_processed_and_sends_nothing()
    {
        using (var ready = await Worker.Http.GetAsync("/health/ready"))
            Assert.Equal(200, (int)ready.StatusCode);
        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status);
        await WaitForMailsAsync(1);

        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_folder.Database)!, "orchestrator.db*"))
            File.Delete(file);

        var (status, body) = await Worker.PostEventsAsync(SignUp("e-2", "c-2"));
        Assert.Equal(503, status);
        Assert.Equal("unavailable", body.GetProperty("status").GetString());
        Assert.Contains("is gone", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        var batch = await Worker.PostEventsAsync($"[{SignUp("e-3", "c-3")},{SignUp("e-4", "c-4")}]");
        Assert.Equal(503, batch.Status);
        Assert.Equal(["e-3", "e-4"], batch.Body.GetProperty("notTaken").EnumerateArray().Select(e => e.GetString()));

        var token = Core.Ports.UnsubscribeToken.Create("c-1", "test-unsubscribe-secret");
        using (var unsubscribe = await Worker.Http.PostAsync($"/unsubscribe?c=c-1&t={token}",
                   new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded")))
        {
            Assert.Equal(503, (int)unsubscribe.StatusCode);
            Assert.Contains("try again", await unsubscribe.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var health = await Worker.HealthAsync();
        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Contains("is gone", health.GetProperty("database").GetString(), StringComparison.Ordinal);
        using (var ready = await Worker.Http.GetAsync("/health/ready"))
        using (var live = await Worker.Http.GetAsync("/health/live"))
        {
            Assert.Equal(503, (int)ready.StatusCode);
            var checks = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
            Assert.Equal("unhealthy", checks.GetProperty("database").GetProperty("status").GetString());
            Assert.Equal("healthy", checks.GetProperty("timers").GetProperty("status").GetString());
            Assert.Equal(200, (int)live.StatusCode);
        }
        // Once the outbox has looked for due sends again since the file went (and could not claim): nothing may leave.
        const string claimFailed = "Outbox claim failed";
        var looked = Occurrences(Worker.Output, claimFailed);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Occurrences(Worker.Output, claimFailed) <= looked)
        {
            Assert.True(DateTime.UtcNow < deadline, "the outbox never looked again:\n" + Worker.Output);
            await Task.Delay(100);
        }
        Assert.Single(Directory.GetFiles(_folder.Eml, "*.eml"));
        Assert.False(File.Exists(_folder.Database), "the worker created a new database file under the running process");

        // After a restart the worker starts a new database, and the events the client sends again are taken.
        Worker.Dispose();
        _worker = await WorkerProcess.StartAsync(_folder.Path, _settings);
        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-2", "c-2"))).Status);
        Assert.Equal(["e-2"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox"));
        await WaitForMailsAsync(2);
    }

    [Fact]
    public async Task A_database_locked_by_another_process_gets_503_and_the_event_is_taken_once_it_is_free()
    {
        await using (var other = new SqliteConnection($"Data Source={_folder.Database};Pooling=False"))
        {
            await other.OpenAsync();
            await using var command = other.CreateCommand();
            command.CommandText = "BEGIN EXCLUSIVE";
            await command.ExecuteNonQueryAsync();

            var (status, body) = await Worker.PostEventsAsync(SignUp("e-1", "c-1"));
            Assert.Equal(503, status);
            Assert.Contains("database is locked", body.GetProperty("message").GetString(), StringComparison.Ordinal);
            var health = await Worker.HealthAsync();
            Assert.Equal("degraded", health.GetProperty("status").GetString());
            Assert.Contains("locked", health.GetProperty("database").GetString(), StringComparison.Ordinal);
            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(200, (await Worker.PostEventsAsync(SignUp("e-1", "c-1"))).Status);
        Assert.Equal("ok", (await Worker.HealthAsync()).GetProperty("database").GetString());
        await WaitForMailsAsync(1);
    }

    private static string SignUp(string eventId, string customerId)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return $$$"""{"eventId":"{{{eventId}}}","customerId":"{{{customerId}}}","type":"signed.up","occurredAt":"{{{now}}}","customer":{"email":"{{{customerId}}}@example.com"}}""";
    }

    private async Task WaitForMailsAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!Directory.Exists(_folder.Eml) || Directory.GetFiles(_folder.Eml, "*.eml").Length < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"fewer than {count} mails:\n" + Worker.Output);
            await Task.Delay(100);
        }
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
