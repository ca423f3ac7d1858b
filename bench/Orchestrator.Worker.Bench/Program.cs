using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestrator.Bench.Intake;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

// The worker's AMQP intake, measured as production runs it (its own process, RabbitMQ, SQLite) and, in the same run,
// the two raw components it is built on, so the figures read as ratios on a noisy shared machine:
//   raw RabbitMQ: persistent messages delivered and acknowledged one by one from a queue;
//   raw SQLite:   one-row write transactions on a WAL file (BEGIN IMMEDIATE, synchronous FULL), as the worker's store
//                 commits a decision.
// Each worker run starts on a queue that already holds every event, and its rate is taken from the first to the last
// inbox commit, so start-up time is not counted.
//
//   dotnet run -c Release --project bench/Orchestrator.Worker.Bench -- [--copies 20] [--partitions 1,4,8] [--report-store big.db]
// Needs RabbitMQ on 127.0.0.1:5672 with the consistent-hash plugin: `bash scripts/services.sh start`.
// --report-store: a store from `orchestrator bench report --store big.db` (a million outcome rows). The worker then
// runs twice on a copy of it with one partition: alone, and while `orchestrator report` reads the same database in
// a loop, so the rate with reports running reads as a share of the rate without.
// --pages-store big.db (alone; no RabbitMQ needed): the worker serves its pages over that store, and each journey page
// is timed as HTML (the page a marketer opens) next to the same URL's JSON (the report alone) and a raw count(*).

var copies = int.Parse(Arg("--copies", "20"), CultureInfo.InvariantCulture);
var reportStore = Arg("--report-store", "");
var partitionCounts = Arg("--partitions", "1,4,8").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
var root = FindRoot();
var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
var workerDll = Path.Combine(root, "src", "Orchestrator.Worker", "bin", configuration, "net10.0", "orchestrator-worker.dll");
var cliDll = Path.Combine(root, "src", "Orchestrator.Cli", "bin", configuration, "net10.0", "orchestrator.dll");
if (!File.Exists(workerDll) || !File.Exists(cliDll))
    return Fail($"build the worker and the CLI first: {workerDll} or {cliDll} is missing");

var pagesStore = Arg("--pages-store", "");
if (pagesStore.Length > 0)
    return await PagesAsync(pagesStore);

var events = Workload(Path.Combine(root, "samples", "events.jsonl"), copies);
Console.WriteLine($"workload: {events.Count:N0} events ({copies} copies of samples/events.jsonl), {events.Select(e => e.Customer).Distinct().Count():N0} customers");

// --http (no RabbitMQ needed): the same events POSTed in arrays of 500, by one client and by four at once, against
// one-row SQLite commits measured in the same run: group commit makes an array one commit, and concurrent requests share one.
if (args.Contains("--http"))
{
    var rawCommits = RawSqlite();
    Console.WriteLine($"raw SQLite:   {rawCommits:N0} one-row write transactions/s (WAL, synchronous FULL)");
    Console.WriteLine();
    Console.WriteLine("| HTTP clients | arrays of | worker events/s | events per raw one-row commit |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var clients in new[] { 1, 4 })
    {
        var rate = await HttpIntakeAsync(events, clients, 500);
        Console.WriteLine($"| {clients} | 500 | {rate:N0} | {rate / rawCommits:N2} |");
    }
    return 0;
}

var factory = new ConnectionFactory { HostName = "127.0.0.1" };
await using var connection = await factory.CreateConnectionAsync();

var rawRabbit = await RawRabbitMqAsync(connection, events);
Console.WriteLine($"raw RabbitMQ: {rawRabbit:N0} messages/s delivered and acked (one consumer, prefetch 16)");
var rawSqlite = RawSqlite();
Console.WriteLine($"raw SQLite:   {rawSqlite:N0} one-row write transactions/s (WAL, synchronous FULL)");

Console.WriteLine();
// The worker's commits, read from its /metrics (orchestrator.commit.*): how many events shared one, how long one took, and
// how much of the run the database spent committing. A partition decides one event at a time, so at 1 partition that
// share is time the partition waited on top of its own work.
Console.WriteLine("| partitions | worker events/s | no-op MassTransit consumer, same queues and settings, msg/s | worker / no-op MassTransit | ratio to raw RabbitMQ | raw SQLite transactions per event | worker's commits: events per commit, ms per commit, share of the run |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var partitions in partitionCounts)
{
    var noOp = await NoOpMassTransit.RateAsync(connection, events, partitions, PublishAsync);
    var run = await WorkerOnAsync(connection, events, partitions, null, false);
    var rate = run.Rate;
    var commits = run.Commits is { } c ? $"{c.Decisions / Math.Max(1, c.Count):N1}, {c.Seconds * 1000 / Math.Max(1, c.Count):N2} ms, {c.Seconds / run.Span:P0}" : "(no /metrics)";
    Console.WriteLine($"| {partitions} | {rate:N0} | {noOp:N0} | {rate / noOp:P0} | {rate / rawRabbit:P0} | {rawSqlite / rate:N1} | {commits} |");
}

if (reportStore.Length > 0)
{
    if (!File.Exists(reportStore))
        return Fail($"{reportStore}: no such store; make one with `orchestrator bench report --store {reportStore}`");
    Console.WriteLine();
    var alone = await WorkerOnAsync(connection, events, 1, reportStore, reportsWhileRunning: false);
    var withReports = await WorkerOnAsync(connection, events, 1, reportStore, reportsWhileRunning: true);
    Console.WriteLine($"on a store of {Count(reportStore, "SELECT COUNT(*) FROM outcomes"):N0} outcome rows, 1 partition: {alone.Rate:N0} events/s alone, "
        + $"{withReports.Rate:N0} events/s while `orchestrator report` ran {withReports.Reports} times on the same database: {withReports.Rate / alone.Rate:P0} of the rate");
}
return 0;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
        dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Orchestrator.sln not found");
}

// The sample events for many customers, squeezed (order kept) into the ten minutes before now: every event is in the
// past, so the worker takes it at once (an event dated ahead is decided at its time, and the sample spans three weeks),
// and no wait falls due during the run (the journeys' shortest wait is an hour after an event).
static List<(string Customer, string Body)> Workload(string samples, int copies)
{
    var lines = File.ReadAllLines(samples).Where(l => l.Trim().Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    static DateTimeOffset At(JsonObject e) => DateTimeOffset.Parse(e["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
    var first = lines.Min(At);
    var span = lines.Max(At) - first;
    var end = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(30);
    var squeeze = TimeSpan.FromMinutes(10) / Math.Max(1, span.TotalSeconds);
    var events = new List<(DateTimeOffset At, string Customer, string Body)>();
    for (var copy = 0; copy < copies; copy++)
    {
        foreach (var line in lines)
        {
            var e = line.DeepClone().AsObject();
            var customer = $"{e["customerId"]!.GetValue<string>()}-{copy}";
            var at = end - TimeSpan.FromMinutes(10) + (At(line) - first).TotalSeconds * squeeze;
            e["customerId"] = customer;
            e["eventId"] = $"{e["eventId"]!.GetValue<string>()}-{copy}";
            e["occurredAt"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            if (e["customer"]?["email"] is { } email)
                e["customer"]!["email"] = email.GetValue<string>().Replace("@", $"+{copy}@", StringComparison.Ordinal);
            events.Add((at, customer, e.ToJsonString()));
        }
    }
    return events.OrderBy(e => e.At).Select(e => (e.Customer, e.Body)).ToList();
}

static async Task PublishAsync(IConnection connection, string exchange, string queueForDefaultExchange, List<(string Customer, string Body)> events)
{
    await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
    var properties = new BasicProperties { ContentType = "application/json", Persistent = true };
    // Confirms awaited a window at a time: as fast as a careful publisher goes, and every message is on disk before timing.
    foreach (var window in events.Chunk(256))
        await Task.WhenAll(window.Select(e => channel.BasicPublishAsync(exchange, exchange.Length == 0 ? queueForDefaultExchange : e.Customer, true, properties, Encoding.UTF8.GetBytes(e.Body)).AsTask()));
}

static async Task<double> RawRabbitMqAsync(IConnection connection, List<(string Customer, string Body)> events)
{
    await using var channel = await connection.CreateChannelAsync();
    var queue = $"bench-raw-{Guid.NewGuid():N}";
    await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
    try
    {
        await PublishAsync(connection, "", queue, events);
        await channel.BasicQosAsync(0, 16, false);
        var done = new TaskCompletionSource();
        var received = 0;
        var clock = new Stopwatch();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            if (received == 0)
                clock.Start();
            await channel.BasicAckAsync(delivery.DeliveryTag, false);
            if (++received == events.Count)
            {
                clock.Stop();
                done.TrySetResult();
            }
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        return (events.Count - 1) / clock.Elapsed.TotalSeconds;
    }
    finally
    {
        await channel.QueueDeleteAsync(queue, false, false);
    }
}

static double RawSqlite() => Orchestrator.Bench.RawSqliteCommits.PerSecond(5_000);

async Task<(double Rate, int Reports, double Span, Commits? Commits)> WorkerOnAsync(IConnection connection, List<(string Customer, string Body)> events, int partitions, string? seedStore, bool reportsWhileRunning)
{
    var folder = Directory.CreateTempSubdirectory("orch-bench-worker").FullName;
    var name = $"bench-{Guid.NewGuid():N}"[..20];
    var database = Path.Combine(folder, "data", "orchestrator.db");
    if (seedStore is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        File.Copy(seedStore, database);
    }
    var before = seedStore is null ? 0 : Count(database, "SELECT COUNT(*) FROM inbox");
    var port = FreePort();
    var environment = new Dictionary<string, string>
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Orchestrator__Http__ApiKey"] = "bench-api-key-" + Guid.NewGuid().ToString("N"),
        ["Orchestrator__Http__PagesPassword"] = "bench-pages-password-" + Guid.NewGuid().ToString("N"),
        ["Orchestrator__Email__UnsubscribeSecret"] = "bench-secret-" + Guid.NewGuid().ToString("N"),
        ["Logging__LogLevel__Default"] = "Warning",
        ["Orchestrator__Journeys__Folder"] = Path.Combine(root, "journeys"),
        ["Orchestrator__Storage__ConnectionString"] = $"Data Source={database}",
        ["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(folder, "data", "quartz.db")}",
        ["Orchestrator__Email__PickupFolder"] = Path.Combine(folder, "eml"),
        ["Orchestrator__Messaging__Transport"] = "RabbitMq",
        ["Orchestrator__Messaging__Host"] = "127.0.0.1",
        ["Orchestrator__Messaging__QueueName"] = name,
        ["Orchestrator__Messaging__Partitions"] = partitions.ToString(CultureInfo.InvariantCulture),
    };
    try
    {
        // First start declares the queues; killed, it leaves them for the events to pile up in.
        using (var declaring = Start(environment, folder))
        {
            await WaitForExchangeAsync(connection, name, declaring);
            declaring.Kill(entireProcessTree: true);
            await declaring.WaitForExitAsync();
        }
        await PublishAsync(connection, name, "", events);
        // The samples repeat an eventId on purpose (a redelivery): the inbox keeps each once.
        var distinct = events.Select(e => System.Text.Json.JsonDocument.Parse(e.Body).RootElement.GetProperty("eventId").GetString()).Distinct().Count();
        using var worker = Start(environment, folder);
        using var stopReports = new CancellationTokenSource();
        var reports = reportsWhileRunning ? Task.Run(() => ReportLoop(database, stopReports.Token)) : Task.FromResult(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (Count(database, "SELECT COUNT(*) FROM inbox") - before < distinct)
        {
            if (worker.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"the worker with {partitions} partitions took in {Count(database, "SELECT COUNT(*) FROM inbox")} of {distinct} events (exited: {worker.HasExited}{(worker.HasExited ? $", code {worker.ExitCode}" : "")})");
            await Task.Delay(250);
        }
        await stopReports.CancelAsync();
        var reportRuns = await reports;
        var commits = await CommitsAsync(port);
        worker.Kill(entireProcessTree: true);
        await worker.WaitForExitAsync();
        // Only this run's events: a seeded store's inbox holds older ones, received long before.
        var span = Seconds(database, $"SELECT (julianday(MAX(received_at)) - julianday(MIN(received_at))) * 86400.0 FROM (SELECT received_at FROM inbox ORDER BY received_at DESC LIMIT {distinct})");
        return ((distinct - 1) / span, reportRuns, span, commits);
    }
    finally
    {
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in Enumerable.Range(0, partitions).Select(p => partitions == 1 ? name : $"{name}.{p}").Append(name + "_error"))
        {
            await channel.QueueDeleteAsync(queue, false, false);
            await channel.ExchangeDeleteAsync(queue, false);
        }
        await channel.ExchangeDeleteAsync(name, false);
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, true);
    }
}

// HTTP intake: the worker on its own folder without RabbitMQ; every event POSTed, timed from the first request to the last answer.
async Task<double> HttpIntakeAsync(List<(string Customer, string Body)> events, int clients, int arraySize)
{
    var folder = Directory.CreateTempSubdirectory("orch-bench-http").FullName;
    var apiKey = "bench-api-key-" + Guid.NewGuid().ToString("N");
    var port = FreePort();
    var database = Path.Combine(folder, "data", "orchestrator.db");
    var environment = new Dictionary<string, string>
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Orchestrator__Http__ApiKey"] = apiKey,
        ["Orchestrator__Http__PagesPassword"] = "bench-pages-password-" + Guid.NewGuid().ToString("N"),
        ["Orchestrator__Email__UnsubscribeSecret"] = "bench-secret-" + Guid.NewGuid().ToString("N"),
        ["Logging__LogLevel__Default"] = "Warning",
        ["Orchestrator__Journeys__Folder"] = Path.Combine(root, "journeys"),
        ["Orchestrator__Storage__ConnectionString"] = $"Data Source={database}",
        ["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(folder, "data", "quartz.db")}",
        ["Orchestrator__Email__PickupFolder"] = Path.Combine(folder, "eml"),
        ["Orchestrator__Messaging__Transport"] = "None",
    };
    using var worker = Start(environment, folder);
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
    http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    try
    {
        if (!await AnswersAsync(http, worker, "/health/live"))
            throw new InvalidOperationException("the worker did not start");
        // Each client takes its own customers (a customer's events stay in order, in one client).
        var perClient = events.GroupBy(e => Math.Abs(StringComparer.Ordinal.GetHashCode(e.Customer)) % clients)
            .Select(g => g.Select(e => e.Body).Chunk(arraySize).Select(chunk => "[" + string.Join(",", chunk) + "]").ToList()).ToList();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(perClient.Select(async arrays =>
        {
            foreach (var body in arrays)
            {
                using var response = await http.PostAsync("/events", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                if ((int)response.StatusCode is not (200 or 207))
                    throw new InvalidOperationException($"POST /events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }));
        clock.Stop();
        return Count(database, "SELECT COUNT(*) FROM inbox") / clock.Elapsed.TotalSeconds;
    }
    finally
    {
        worker.Kill(entireProcessTree: true);
        await worker.WaitForExitAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, true);
    }
}

// The pages on a big store: each journey page as HTML and as JSON, best of three, with a raw count(*) of the same file.
async Task<int> PagesAsync(string store)
{
    if (!File.Exists(store))
        return Fail($"{store}: no such store; make one with `orchestrator bench report --store {store}`");
    var folder = Directory.CreateTempSubdirectory("orch-bench-pages").FullName;
    var password = "bench-pages-password-" + Guid.NewGuid().ToString("N");
    var port = FreePort();
    var environment = new Dictionary<string, string>
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Orchestrator__Http__ApiKey"] = "bench-api-key-" + Guid.NewGuid().ToString("N"),
        ["Orchestrator__Http__PagesPassword"] = password,
        ["Orchestrator__Email__UnsubscribeSecret"] = "bench-secret-" + Guid.NewGuid().ToString("N"),
        ["Logging__LogLevel__Default"] = "Warning",
        ["Orchestrator__Journeys__Folder"] = Path.Combine(root, "journeys"),
        ["Orchestrator__Storage__ConnectionString"] = $"Data Source={Path.GetFullPath(store)}",
        ["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(folder, "quartz.db")}",
        ["Orchestrator__Email__PickupFolder"] = Path.Combine(folder, "eml"),
        ["Orchestrator__Messaging__Transport"] = "None",
    };
    using var worker = Start(environment, folder);
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("marketer:" + password)));
    try
    {
        if (!await AnswersAsync(http, worker, "/health"))
            return Fail("the worker did not start on " + store);
        var rows = 0L;
        var countMs = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            rows = Count(store, "SELECT COUNT(*) FROM outcomes");
            countMs = Math.Min(countMs, clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"store: {rows:N0} outcome rows; raw SQLite `SELECT count(*) FROM outcomes`: {countMs:N0} ms (best of 3)");
        Console.WriteLine();
        Console.WriteLine("| page | outcome rows of the journey | JSON (the report) | HTML page (report, map, charts) | page / JSON |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var journey in Directory.GetFiles(Path.Combine(root, "journeys"), "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal))
        {
            var path = "/journeys/" + journey;
            var json = await BestOfThreeAsync(http, path, "application/json");
            var html = await BestOfThreeAsync(http, path, "text/html");
            var journeyRows = Count(store, $"SELECT COUNT(*) FROM outcomes WHERE journey_id = '{journey}'");
            Console.WriteLine($"| {path} | {journeyRows:N0} | {json.TotalSeconds:N2} s | **{html.TotalSeconds:N2} s** ({html.Bytes / 1024:N0} KB) | {html.TotalSeconds / json.TotalSeconds:N2} |");
        }
        var overview = await BestOfThreeAsync(http, "/", "text/html");
        Console.WriteLine($"| / (every journey) | {rows:N0} | | {overview.TotalSeconds:N2} s | |");
        return 0;
    }
    finally
    {
        worker.Kill(entireProcessTree: true);
        await worker.WaitForExitAsync();
        Directory.Delete(folder, true);
    }
}

static async Task<(double TotalSeconds, long Bytes)> BestOfThreeAsync(HttpClient http, string path, string accept)
{
    var best = double.MaxValue;
    long bytes = 0;
    for (var i = 0; i < 3; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        best = Math.Min(best, seconds);
        bytes = body.Length;
    }
    return (best, bytes);
}

// `orchestrator report` (every journey) over the worker's database, one after another until stopped.
int ReportLoop(string database, CancellationToken stop)
{
    var runs = 0;
    while (!stop.IsCancellationRequested)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { cliDll, "report", "--store", database, "--journeys", Path.Combine(root, "journeys"), "--format", "json" })
            start.ArgumentList.Add(argument);
        using var report = Process.Start(start)!;
        report.StandardOutput.ReadToEnd();
        report.WaitForExit();
        if (report.ExitCode != 0)
            throw new InvalidOperationException("orchestrator report failed: " + report.StandardError.ReadToEnd());
        runs++;
    }
    return runs;
}

Process Start(Dictionary<string, string> environment, string folder)
{
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(workerDll);
    foreach (var (key, value) in environment)
        start.Environment[key] = value;
    var process = Process.Start(start)!;
    // The worker logs warnings and errors only (see Logging__LogLevel__Default): show them as they come.
    DataReceivedEventHandler show = (_, e) =>
    {
        if (e.Data is { } line)
            Console.Error.WriteLine("worker: " + line);
    };
    process.OutputDataReceived += show;
    process.ErrorDataReceived += show;
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

// Whether the started worker answers 2xx on the path within a minute (false when it exits or does not).
static async Task<bool> AnswersAsync(HttpClient http, Process worker, string path)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while (!worker.HasExited && DateTime.UtcNow < deadline)
    {
        try
        {
            if ((await http.GetAsync(path)).IsSuccessStatusCode)
                return true;
        }
        catch (HttpRequestException)
        {
            // not listening yet
        }
        await Task.Delay(250);
    }
    return false;
}

// The worker's orchestrator.commit.* histograms as its /metrics shows them (Prometheus text); null when it does not answer.
static async Task<Commits?> CommitsAsync(int port)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    try
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        double Value(string name) => text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is ' ' or '{')
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).Sum();
        return new Commits(Value("orchestrator_commit_duration_seconds_count"), Value("orchestrator_commit_duration_seconds_sum"), Value("orchestrator_commit_batch_sum"));
    }
    catch (HttpRequestException)
    {
        return null;
    }
}

static async Task WaitForExchangeAsync(IConnection connection, string exchange, Process worker)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while (true)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange);
            // The exchange comes first; give the bus a moment to declare and bind every partition queue behind it.
            await Task.Delay(2_000);
            return;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (DateTime.UtcNow < deadline && !worker.HasExited)
        {
            await Task.Delay(200);
        }
    }
}

static long Count(string database, string sql)
{
    if (!File.Exists(database))
        return 0;
    try
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
    catch (SqliteException)
    {
        return 0; // not created yet
    }
}

static double Seconds(string database, string sql)
{
    using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    return Convert.ToDouble(command.ExecuteScalar(), CultureInfo.InvariantCulture);
}

static int FreePort()
{
    using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}
