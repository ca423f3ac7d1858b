namespace Orchestrator.Core.Simulation;

/// <summary>The simulator's clock: it stands still until the simulator moves it, so nothing waits in real time.</summary>
public sealed class VirtualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void MoveTo(DateTimeOffset now)
    {
        if (now > _now)
            _now = now;
    }
}
