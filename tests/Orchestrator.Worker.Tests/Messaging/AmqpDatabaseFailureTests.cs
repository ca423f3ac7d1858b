using System.Globalization;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// An event consumed over AMQP while the database cannot record (its file deleted under the worker) is not failed into
/// the error queue: it stays unacknowledged, and is decided once a worker has a database again.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class AmqpDatabaseFailureTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private Broker? _broker;
    private WorkerProcess? _worker;
    private Dictionary<string, string> _settings = [];

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-db-loss");
        _settings = _folder.Settings(ExternalProcess.FreePort());
        _settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        _settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        _settings["Orchestrator__Messaging__QueueName"] = _broker.Name;
        _worker = await WorkerProcess.StartAsync(_folder.Path, _settings);
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
        _worker?.Dispose();
        _worker = null;
        _folder.Dispose();
    }

    [Fact]
    public async Task An_event_that_cannot_be_recorded_waits_unacknowledged_and_is_decided_once_the_database_is_back()
    {
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_folder.Database)!, "orchestrator.db*"))
            File.Delete(file);
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        await _broker!.PublishAsync($$$"""{"eventId":"m-1","customerId":"c-1","type":"cart.abandoned","occurredAt":"{{{now}}}","properties":{"cartId":"k-1","total":42}}""", routingKey: "c-1");

        await _worker!.WaitForOutputAsync("is gone", TimeSpan.FromSeconds(30));
        // The ordinary retries would have given up after 5 tries in 7.6 s (0.1 + 0.5 + 2 + 5 s) and dead-lettered it;
        // the database retries try at about 0, 1, 4 and 11 s: a fourth try is past that budget.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Occurrences(_worker.Output, "Event m-1 waits for the database") < 4)
        {
            Assert.True(DateTime.UtcNow < deadline, "the event was not tried again four times:\n" + _worker.Output);
            await Task.Delay(200);
        }
        Assert.Equal(0u, await _broker.CountAsync(_broker.ErrorQueue));
        Assert.False(File.Exists(_folder.Database));

        // A restart gives the worker a new database; the unacknowledged message comes back and is decided.
        _worker.Dispose();
        _worker = await WorkerProcess.StartAsync(_folder.Path, _settings);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await StorageProbe.ColumnAsync(_folder.Database, "SELECT event_id FROM inbox") is not ["m-1"])
        {
            Assert.True(DateTime.UtcNow < deadline, "the event was not decided after the restart:\n" + _worker.Output);
            await Task.Delay(200);
        }
        Assert.Equal(0u, await _broker.CountAsync(_broker.ErrorQueue));
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
