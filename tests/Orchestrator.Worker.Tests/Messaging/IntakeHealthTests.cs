using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Messaging;

/// <summary>
/// A broker that refuses the partitioned topology (its consistent-hash plugin is off) shows in <c>/health</c> as degraded,
/// with the command that fixes it, and the worker consumes on its own once the broker is fixed.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class IntakeHealthTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private Broker? _broker;
    private WorkerProcess? _worker;

    public async Task InitializeAsync()
    {
        await TestServices.EnsureStartedAsync();
        _broker = await Broker.ConnectAsync("orchestrator-health");
    }

    public async Task DisposeAsync()
    {
        Dispose();
        await Plugin("enable"); // whatever happened above: the other tests need it
        if (_broker is not null)
            await _broker.DisposeAsync();
    }

    public void Dispose()
    {
        _worker?.Dispose();
        _worker = null;
        _folder.Dispose();
    }

    [Fact]
    public async Task Without_the_consistent_hash_plugin_health_is_degraded_with_the_fix_and_recovers_once_it_is_enabled()
    {
        await Plugin("disable");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Messaging__Transport"] = "RabbitMq";
        settings["Orchestrator__Messaging__Host"] = "127.0.0.1";
        settings["Orchestrator__Messaging__QueueName"] = _broker!.Name;
        settings["Orchestrator__Messaging__Partitions"] = "2";

        _worker = await WorkerProcess.StartAsync(_folder.Path, settings, health =>
            health.GetProperty("status").GetString() == "degraded" && health.GetProperty("intake").GetString()!.Contains("x-consistent-hash", StringComparison.Ordinal));
        using (var degraded = await _worker.Http.GetAsync("/health"))
            Assert.Equal(503, (int)degraded.StatusCode);
        Assert.Contains("run 'rabbitmq-plugins enable rabbitmq_consistent_hash_exchange' on the broker", (await _worker.HealthAsync()).GetProperty("intake").GetString(), StringComparison.Ordinal);

        await Plugin("enable");
        // The intake's own part of health: under a loaded test run another part (timers) may lag behind on its own.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        System.Text.Json.JsonElement health;
        while (!(health = await _worker.HealthAsync()).GetProperty("intake").GetString()!.StartsWith("consuming", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"intake did not recover: {health}\n{_worker.Output}");
            await Task.Delay(500);
        }
        // No event was published: neither partition has delivered to this worker yet, and it is the only worker.
        Assert.Equal($"consuming 2 partition(s) of '{_broker.Name}', 0 of them delivering to this worker (its share with 1 worker(s): 2)",
            (await _worker.HealthAsync()).GetProperty("intake").GetString());
    }

    private static async Task Plugin(string verb)
    {
        var (exit, output) = await ExternalProcess.RunAsync("rabbitmq-plugins", "-q", verb, "rabbitmq_consistent_hash_exchange");
        Assert.True(exit == 0, $"rabbitmq-plugins {verb} failed: {output}");
    }
}
