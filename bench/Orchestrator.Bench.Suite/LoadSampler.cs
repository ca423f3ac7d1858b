using System.Globalization;

namespace Orchestrator.Bench.Suite;

/// <summary>The machine's 1-minute load average before the suite started and its highest during the run.</summary>
internal sealed record Load(double AtStart, double Max, int Cores)
{
    /// <summary>Quiet: nothing else was running when the suite started (load below a quarter of a core).</summary>
    public bool Quiet => AtStart < 0.25;
}

/// <summary>Samples <c>/proc/loadavg</c> every two seconds while the suite runs.</summary>
internal sealed class LoadSampler : IDisposable
{
    private readonly double _atStart = Read();
    private readonly Timer _timer;
    private double _max;

    public LoadSampler()
    {
        _max = _atStart;
        _timer = new Timer(_ => Sample(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    public Load Summary()
    {
        Sample();
        return new Load(_atStart, Volatile.Read(ref _max), Environment.ProcessorCount);
    }

    private void Sample()
    {
        var now = Read();
        double seen;
        do
        {
            seen = Volatile.Read(ref _max);
        }
        while (now > seen && Interlocked.CompareExchange(ref _max, now, seen) != seen);
    }

    private static double Read() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : 0;

    public void Dispose() => _timer.Dispose();
}
