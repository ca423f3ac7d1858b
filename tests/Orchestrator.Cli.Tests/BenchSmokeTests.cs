using System.Text.RegularExpressions;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

/// <summary>The store benchmark at a small size, so that it cannot rot: it runs, and both ways of committing decide every event.</summary>
public sealed partial class BenchSmokeTests
{
    [Fact]
    public async Task Bench_store_decides_the_workload_one_commit_per_event_and_in_group_commits()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();

        Assert.Equal(0, await StoreBenchCommand.RunAsync(RepoPaths.Journeys, RepoPaths.SampleEvents, 1, output, errors));

        Assert.Empty(errors.ToString());
        var rows = output.ToString().Split('\n').Where(l => l.StartsWith("| one per", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Matches(Row(), row));
    }

    // Every figure present, and the timers' phase found customers to wake (the sample's waits all fall due).
    [GeneratedRegex(@"^\| one per (event|\d+ events) \| [\d,]+ \| [\d,]+ µs \| \d+\.\d\d \| [1-9][\d,]* \| [\d,]+ \| [\d,]+ µs \|")]
    private static partial Regex Row();
}
