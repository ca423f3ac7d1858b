using System.Diagnostics;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Scheduling;

/// <summary>
/// Quartz's store deleted under the running worker: Quartz only logs and retries, so timers stop. Health must say so
/// (503, the scheduler has not run), and SIGTERM must end the process within Orchestrator:Shutdown:TimeoutSeconds,
/// although Quartz's own shutdown never finishes.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class SchedulerStoreLossTests : IDisposable
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private WorkerProcess? _worker;

    public void Dispose()
    {
        _worker?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Timers_that_stopped_turn_health_degraded_and_SIGTERM_still_ends_the_worker_in_time()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Shutdown__TimeoutSeconds"] = "8";
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        Assert.Equal("ok", (await _worker.HealthAsync()).GetProperty("timers").GetString());

        foreach (var file in Directory.GetFiles(Path.Combine(_folder.Path, "data"), "quartz.db*"))
            File.Delete(file);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        System.Text.Json.JsonElement health;
        while ((health = await _worker.HealthAsync()).GetProperty("timers").GetString() == "ok")
        {
            Assert.True(DateTime.UtcNow < deadline, "health never noticed that timers stopped:\n" + _worker.Output);
            await Task.Delay(500);
        }
        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Contains("timers do not run", health.GetProperty("timers").GetString(), StringComparison.Ordinal);

        var stopwatch = Stopwatch.StartNew();
        _worker.Terminate();
        Assert.True(await _worker.WaitForExitAsync(TimeSpan.FromSeconds(30)), "SIGTERM did not end the worker within 30 s:\n" + _worker.Output);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"stopping took {stopwatch.Elapsed}");
    }
}
