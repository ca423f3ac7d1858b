using System.Diagnostics;
using System.Globalization;
using Orchestrator.Bench.Suite;

// The benchmark suite of docs/benchmarks.md (issue 11): every figure beside its raw part, measured in the same run on
// the same machine, so it reads as a ratio that survives a busy neighbour.
//
//   bash bench/run.sh [--quick | --smoke] [--wakeups N] [--quartz N] [--sends N] [--instances 10000,100000] [--events N]
//                     [--latency-burst N] [--latency-seconds S]
//                     [--json bench/results.json] [--markdown docs/benchmarks.md]
//
// Writes the results as JSON and as the markdown section between the suite's markers in --markdown.
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

var wakeups = await WakeupsBench.RunAsync(root, sink, sizes.Wakeups);
Console.WriteLine($"wakeups ({suite.Elapsed.TotalSeconds:N0} s): {wakeups}");
var quartz = await QuartzTriggersBench.RunAsync(sizes.QuartzTriggers);
Console.WriteLine($"quartz ({suite.Elapsed.TotalSeconds:N0} s): {quartz}");
var outbox = await OutboxBench.RunAsync(root, sink, sizes.Sends, wakeups.DecidedPerSecond);
Console.WriteLine($"outbox ({suite.Elapsed.TotalSeconds:N0} s): {outbox}");
var instances = new List<InstancesResult>();
foreach (var active in sizes.Instances)
{
    instances.Add(await InstancesBench.RunAsync(root, active, sizes.Events));
    Console.WriteLine($"instances ({suite.Elapsed.TotalSeconds:N0} s): {instances[^1]}");
}
var latency = await LatencyBench.RunAsync(root, sink, sizes.LatencyCapacity, TimeSpan.FromSeconds(sizes.LatencySeconds), [0.1, 0.8]);
Console.WriteLine($"latency ({suite.Elapsed.TotalSeconds:N0} s): {latency} {string.Join(", ", latency.Loads)}");

var results = new SuiteResults(mode, DateTimeOffset.UtcNow, suite.Elapsed.TotalSeconds, machine, load.Summary(), sink.Name, rawSqlite, wakeups, quartz, outbox, instances, latency);
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
