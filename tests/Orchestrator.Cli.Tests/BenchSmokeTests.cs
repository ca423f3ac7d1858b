using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// The benchmarks at a small size, so that they cannot rot: they run, and every figure is computed from work that was
/// all done (counts match). Speed itself is never asserted: it is measured by the benchmarks, as ratios.
/// </summary>
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

    /// <summary>
    /// The suite (bench/run.sh --smoke) end to end: the worker process, real SMTP, Quartz, MailKit. Every wakeup's mail
    /// was sent and accepted by the SMTP server, every Quartz trigger fired, every queued send went out, every timer
    /// ran, every posted event made an active instance; the JSON holds every ratio, and the markdown section replaced
    /// only the old section between its markers.
    /// </summary>
    [Fact]
    public async Task The_suite_at_smoke_size_computes_every_figure_from_work_that_was_all_done()
    {
        var folder = Directory.CreateTempSubdirectory("orch-bench-smoke").FullName;
        try
        {
            var json = Path.Combine(folder, "results.json");
            var markdown = Path.Combine(folder, "benchmarks.md");
            await File.WriteAllTextAsync(markdown, "# Before\n\n<!-- bench suite: begin (old) -->\nold run\n<!-- bench suite: end -->\n\n## After\n");

            var (code, output) = await RunSuiteAsync("--smoke", "--json", json, "--markdown", markdown);

            Assert.True(code == 0, output);
            var r = JsonNode.Parse(await File.ReadAllTextAsync(json))!;
            var wakeups = r["wakeups"]!;
            Assert.Equal(Smoke, (int)wakeups["wakeups"]!);
            Assert.Equal(Smoke, (int)wakeups["decided"]!);
            Assert.Equal(Smoke, (int)wakeups["sent"]!);
            Assert.Equal(Smoke, (int)wakeups["sinkAccepted"]!);
            Assert.Equal(Smoke, (int)r["quartz"]!["triggers"]!);
            Assert.Equal(Smoke, (int)r["quartz"]!["fired"]!);
            var outbox = r["outbox"]!;
            Assert.Equal(Smoke, (int)outbox["sends"]!);
            Assert.Equal(Smoke, (int)outbox["sent"]!);
            Assert.Equal(Smoke, (int)outbox["sinkAccepted"]!);
            Assert.Equal((int)outbox["timersWhileSending"]!, (int)outbox["timersDecided"]!);
            var instances = r["instances"]!.AsArray();
            Assert.Equal(2, instances.Count);
            Assert.All(instances, i =>
            {
                Assert.Equal((int)i!["active"]! + (int)i["events"]!, (int)i["activeAfter"]!);
                Assert.True((long)i["peakRss"]! > 0 && (long)i["databaseBytes"]! > 0, i.ToJsonString());
            });
            var loads = r["latency"]!["loads"]!.AsArray();
            Assert.Equal([0.1, 0.8], loads.Select(l => (double)l!["shareOfCapacity"]!));
            Assert.All(loads, l => Assert.True((int)l!["events"]! > 0 && (long)l["sent"]! == (int)l["events"]!, l.ToJsonString()));
            Assert.True((double)r["latency"]!["capacityPerSecond"]! > 0);
            foreach (var ratio in new[] { "wakeupsToQuartz", "outboxToRaw", "outboxDuringTimersToRaw", "cpuPerEventGrowth" })
            {
                // A ratio with no measure is written as "NaN" (a string): the message then names it rather than a cast failing.
                var value = r["ratios"]![ratio]!;
                // The outbox while timers drain may be 0: a dispatcher that sent nothing until the timers were done is a measure.
                var least = ratio == "outboxDuringTimersToRaw" ? 0 : double.Epsilon;
                Assert.True(value.GetValueKind() == System.Text.Json.JsonValueKind.Number && (double)value >= least && (double)value < double.PositiveInfinity,
                    $"{ratio}: {value}\n{output}");
            }
            Assert.True((int)r["machine"]!["cores"]! > 0);
            Assert.False(string.IsNullOrEmpty((string?)r["machine"]!["quartz"]));

            var document = await File.ReadAllTextAsync(markdown);
            Assert.StartsWith("# Before\n\n<!-- bench suite: begin", document, StringComparison.Ordinal);
            Assert.EndsWith("<!-- bench suite: end -->\n\n## After\n", document, StringComparison.Ordinal);
            Assert.DoesNotContain("old run", document, StringComparison.Ordinal);
            Assert.Contains("| 100 wakeups due at one instant", document, StringComparison.Ordinal);
            Assert.Equal(2, document.Split('\n').Count(l => l.StartsWith("| publish (POST /events) to SMTP acceptance at ", StringComparison.Ordinal)));
            Assert.Equal(7, document.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains("| yes |", StringComparison.Ordinal) || l.Contains("| **no** |", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    // SuiteSizes.For("smoke"): wakeups, Quartz triggers and queued sends.
    private const int Smoke = 100;

    private static async Task<(int Code, string Output)> RunSuiteAsync(params string[] arguments)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(RepoPaths.Root, "bench", "Orchestrator.Bench.Suite", "bin", configuration, "net10.0", "orchestrator-bench-suite.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var suite = Process.Start(start)!;
        var output = suite.StandardOutput.ReadToEndAsync();
        var errors = suite.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await suite.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            suite.Kill(entireProcessTree: true);
            throw new TimeoutException("the suite did not finish in 5 minutes: " + await output + await errors);
        }
        return (suite.ExitCode, await output + await errors);
    }
}
