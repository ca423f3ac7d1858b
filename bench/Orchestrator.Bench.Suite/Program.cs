using System.Diagnostics;
using System.Globalization;
using Orchestrator.Bench.Suite;

// The benchmark suite of docs/benchmarks.md (issue 11): every figure beside its raw part, measured in the same run on
// the same machine, so it reads as a ratio that survives a busy neighbour.
//
//   bash bench/run.sh [--quick | --smoke] [--wakeups N] [--quartz N] [--sends N] [--instances 10000,100000] [--events N]
//                     [--latency-burst N] [--latency-seconds S] [--parts wakeups,quartz,outbox,instances,latency]
//                     [--json bench/results.json] [--markdown docs/benchmarks.md]
//
// Writes the results as JSON and as the markdown section between the suite's markers in --markdown. With --parts only
// those parts run and their results are printed, not written: the section and the JSON hold whole runs only, since
// every goal and ratio is read within one run.
// Needs the worker built in the same configuration, and postfix's smtp-sink (else tests/smtp/smtp_server.py is used).

var mode = args.Contains("--smoke") ? "smoke" : args.Contains("--quick") ? "quick" : "full";
var sizes = SuiteSizes.For(mode);
sizes = sizes with
{
    Wakeups = Int("--wakeups", sizes.Wakeups),
    QuartzTriggers = Int("--quartz", Int("--wakeups", sizes.QuartzTriggers)),
    Sends = Int("--sends", sizes.Sends),
    Instances = Arg("--instances") is { } list ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : sizes.Instances,
    Events = Int("--events", sizes.Events),
    LatencyCapacity = Int("--latency-burst", sizes.LatencyCapacity),
    LatencySeconds = Int("--latency-seconds", sizes.LatencySeconds),
};
// A size given by hand makes it a run of its own, not the named one.
string[] sizeOptions = ["--wakeups", "--quartz", "--sends", "--instances", "--events", "--latency-burst", "--latency-seconds"];
if (sizeOptions.Any(args.Contains))
    mode += " with sizes set by hand";
string[] allParts = ["wakeups", "quartz", "outbox", "instances", "latency"];
var parts = Arg("--parts") is { } chosen ? chosen.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : allParts;
if (parts.Except(allParts, StringComparer.Ordinal).ToList() is [_, ..] unknown)
{
    Console.Error.WriteLine($"--parts: unknown part(s) {string.Join(", ", unknown)}; the parts are {string.Join(", ", allParts)}");
    return 2;
}
var wholeRun = allParts.All(parts.Contains);
var root = SuiteSupport.FindRoot();
var jsonPath = Path.GetFullPath(Arg("--json") ?? Path.Combine(root, "bench", "results.json"));
var markdownPath = Path.GetFullPath(Arg("--markdown") ?? Path.Combine(root, "docs", "benchmarks.md"));

using var load = new LoadSampler();
var machine = Machine.Describe(root);
var suite = Stopwatch.StartNew();
Console.WriteLine($"suite ({mode}): {sizes}");
Console.WriteLine($"machine: {machine.Summary}");

var rawSqlite = Orchestrator.Bench.RawSqliteCommits.PerSecond(mode == "smoke" ? 500 : 5_000);
Console.WriteLine($"raw SQLite: {rawSqlite:N0} one-row commits/s");

await using var sink = await SmtpSink.StartAsync(root);
Console.WriteLine($"SMTP server: {sink.Name} on port {sink.Port}");

WakeupsResult? wakeups = null;
if (parts.Contains("wakeups"))
{
    wakeups = await WakeupsBench.RunAsync(root, sink, sizes.Wakeups);
    Console.WriteLine($"wakeups ({suite.Elapsed.TotalSeconds:N0} s): {wakeups}");
}
QuartzResult? quartz = null;
if (parts.Contains("quartz"))
{
    quartz = await QuartzTriggersBench.RunAsync(sizes.QuartzTriggers);
    Console.WriteLine($"quartz ({suite.Elapsed.TotalSeconds:N0} s): {quartz}");
}
OutboxResult? outbox = null;
if (parts.Contains("outbox"))
{
    // Without the wakeups part, a guess at the timers' rate that errs high: more timers only lengthen the overlap.
    outbox = await OutboxBench.RunAsync(root, sink, sizes.Sends, wakeups?.DecidedPerSecond ?? 2_000);
    Console.WriteLine($"outbox ({suite.Elapsed.TotalSeconds:N0} s): {outbox}");
    Console.WriteLine($"outbox: {outbox.ToRaw:P0} of raw MailKit alone, {outbox.DuringTimersToRaw:P0} while timers drain");
}
var instances = new List<InstancesResult>();
if (parts.Contains("instances"))
{
    foreach (var active in sizes.Instances)
    {
        instances.Add(await InstancesBench.RunAsync(root, active, sizes.Events));
        Console.WriteLine($"instances ({suite.Elapsed.TotalSeconds:N0} s): {instances[^1]}");
    }
}
LatencyResult? latency = null;
if (parts.Contains("latency"))
{
    latency = await LatencyBench.RunAsync(root, sink, sizes.LatencyCapacity, TimeSpan.FromSeconds(sizes.LatencySeconds), [0.1, 0.8]);
    Console.WriteLine($"latency ({suite.Elapsed.TotalSeconds:N0} s): {latency} {string.Join(", ", latency.Loads)}");
}
if (!wholeRun)
{
    Console.WriteLine($"parts {string.Join(", ", parts)} done in {suite.Elapsed.TotalSeconds:N0} s; load {load.Summary()}; nothing written (--parts)");
    return 0;
}

var results = new SuiteResults(mode, DateTimeOffset.UtcNow, suite.Elapsed.TotalSeconds, machine, load.Summary(), sink.Name, rawSqlite, wakeups!, quartz!, outbox!, instances, latency!);
Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
await File.WriteAllTextAsync(jsonPath, results.ToJson());
await File.WriteAllTextAsync(markdownPath, ResultsMarkdown.Replace(File.Exists(markdownPath) ? await File.ReadAllTextAsync(markdownPath) : "", ResultsMarkdown.Section(results)));
Console.WriteLine();
Console.WriteLine(ResultsMarkdown.Section(results));
Console.WriteLine($"written: {jsonPath}, {markdownPath}");
return 0;

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int Int(string name, int fallback) => Arg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
