namespace Orchestrator.Bench.Suite;

/// <summary>How much work each part of the suite does.</summary>
/// <param name="QuartzTriggers">One Quartz trigger per wakeup: the same number as <paramref name="Wakeups"/> unless told.</param>
/// <param name="LatencyCapacity">Events of the burst that measures capacity for the latency part.</param>
/// <param name="LatencySeconds">How long each steady load of the latency part is posted.</param>
internal sealed record SuiteSizes(int Wakeups, int QuartzTriggers, int Sends, int[] Instances, int Events, int LatencyCapacity, int LatencySeconds)
{
    /// <summary>full: issue 11's sizes; quick: a tenth, for a first look; smoke: tiny, for the test that keeps the suite from rotting.</summary>
    public static SuiteSizes For(string mode) => mode switch
    {
        "smoke" => new(100, 100, 100, [100, 500], 200, 100, 1),
        "quick" => new(10_000, 10_000, 5_000, [10_000, 100_000], 5_000, 5_000, 15),
        _ => new(100_000, 100_000, 20_000, [10_000, 100_000, 1_000_000], 10_000, 10_000, 30),
    };

    public override string ToString() =>
        $"{Wakeups:N0} wakeups, {QuartzTriggers:N0} Quartz triggers, {Sends:N0} sends, {string.Join(" / ", Instances.Select(i => i.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} active instances with {Events:N0} events each, latency after a burst of {LatencyCapacity:N0} for {LatencySeconds} s per load";
}
