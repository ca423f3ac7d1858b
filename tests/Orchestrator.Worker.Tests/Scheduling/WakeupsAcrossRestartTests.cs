using System.Globalization;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Scheduling;

/// <summary>
/// A wait that falls due while the worker is down: the persistent schedule fires on start, the step runs late, and its
/// outcome carries both the exact due time (what the journey means) and when it was recorded (how late it ran).
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class WakeupsAcrossRestartTests : IDisposable
{
    private readonly WorkerFolder _folder = new();
    private WorkerProcess? _worker;

    public void Dispose()
    {
        _worker?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_wait_due_while_the_worker_was_down_runs_on_start_at_its_due_time_with_its_lateness_recorded()
    {
        Directory.CreateDirectory(Path.Combine(_folder.Journeys, "templates"));
        await File.WriteAllTextAsync(Path.Combine(_folder.Journeys, "nudge.yaml"), """
            id: nudge
            name: Trial nudge
            entry:
              event: trial.started
            steps:
              - id: pause
                wait: 3s
              - id: done
                exit: {}
            """);
        var settings = _folder.Settings(ExternalProcess.FreePort());
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        var entered = DateTimeOffset.UtcNow;
        entered = new DateTimeOffset(entered.UtcTicks - entered.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        var at = entered.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(200, (await _worker.PostEventsAsync($$"""{"eventId":"e-1","customerId":"c-1","type":"trial.started","occurredAt":"{{at}}"}""")).Status);

        // Down from before the wait is due until well after.
        _worker.Kill();
        _worker.Dispose();
        _worker = null;
        await Task.Delay(TimeSpan.FromSeconds(7));
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await Resumed()).Count == 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the wait never ran:\n" + _worker.Output);
            await Task.Delay(200);
        }
        var row = (await Resumed()).Single().Split('|');
        var due = DateTimeOffset.Parse(row[0], CultureInfo.InvariantCulture);
        var recorded = DateTimeOffset.Parse(row[1], CultureInfo.InvariantCulture);
        Assert.Equal(entered + TimeSpan.FromSeconds(3), due);
        Assert.True(recorded - due >= TimeSpan.FromSeconds(3), $"recorded {recorded:O}, due {due:O}: the lateness is not in the outcome");
        Assert.Equal(["entered", "waiting", "resumed", "completed"], await StorageProbe.ColumnAsync(_folder.Database, "SELECT kind FROM outcomes ORDER BY id"));
    }

    private Task<IReadOnlyList<string>> Resumed() =>
        StorageProbe.ColumnAsync(_folder.Database, "SELECT at || '|' || recorded_at FROM outcomes WHERE kind = 'resumed'");
}
