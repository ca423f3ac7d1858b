using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.Bench.Suite;

/// <summary>
/// The worker as production runs it: its own process (the built <c>orchestrator-worker.dll</c>), on a folder of its
/// own with the suite's journeys, its SQLite store and Quartz file, no message broker (the suite's parts need none),
/// email to the given SMTP port. Warnings and errors it logs are shown as they come.
/// </summary>
internal sealed class WorkerHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private bool _disposed;

    public string Database { get; }

    public string ApiKey { get; }

    public Process Process => _process;

    public HttpClient Http => _http;

    private WorkerHost(Process process, string database, string apiKey, int port)
    {
        _process = process;
        Database = database;
        ApiKey = apiKey;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    public static string WorkerDll(string root)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        return Path.Combine(root, "src", "Orchestrator.Worker", "bin", configuration, "net10.0", "orchestrator-worker.dll");
    }

    /// <summary>Starts the worker on <paramref name="database"/> (seeded or not) and returns once it answers <c>/health/live</c>.</summary>
    public static async Task<WorkerHost> StartAsync(string root, string folder, string database, int? smtpPort, IReadOnlyDictionary<string, string>? extra = null)
    {
        var dll = WorkerDll(root);
        if (!File.Exists(dll))
            throw new InvalidOperationException($"build the worker first: {dll} is missing");
        var port = SuiteSupport.FreePort();
        var apiKey = "bench-api-key-" + Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Orchestrator__Http__ApiKey"] = apiKey,
            ["Orchestrator__Http__PagesPassword"] = "bench-pages-password-" + Guid.NewGuid().ToString("N"),
            ["Orchestrator__Email__UnsubscribeSecret"] = "bench-secret-" + Guid.NewGuid().ToString("N"),
            ["Logging__LogLevel__Default"] = "Warning",
            // The seeded events lie an hour or more in the past; events the suite posts are of now.
            ["Orchestrator__Intake__MaxClockSkew"] = "400d",
            ["Orchestrator__Journeys__Folder"] = Journeys,
            ["Orchestrator__Storage__ConnectionString"] = $"Data Source={database}",
            ["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(folder, "quartz.db")}",
            ["Orchestrator__Email__PickupFolder"] = Path.Combine(folder, "eml"),
            ["Orchestrator__Messaging__Transport"] = "None",
        };
        if (smtpPort is { } smtp)
        {
            environment["Orchestrator__Email__Host"] = "127.0.0.1";
            environment["Orchestrator__Email__Port"] = smtp.ToString(CultureInfo.InvariantCulture);
            environment["Orchestrator__Email__Security"] = "None";
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            environment[key] = value;

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        DataReceivedEventHandler show = (_, e) =>
        {
            if (e.Data is { } line)
                Console.Error.WriteLine("worker: " + line);
        };
        process.OutputDataReceived += show;
        process.ErrorDataReceived += show;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new WorkerHost(process, database, apiKey, port);
        if (!await host.AnswersAsync("/health/live"))
        {
            await host.DisposeAsync();
            throw new InvalidOperationException("the worker did not answer /health/live within a minute");
        }
        return host;
    }

    /// <summary>The suite's journeys, copied next to the suite's binary.</summary>
    public static string Journeys => Path.Combine(AppContext.BaseDirectory, "journeys");

    /// <summary>CPU time the worker process has used so far (user and system).</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Resident memory now and at its peak, in bytes (Linux <c>/proc/PID/status</c>: VmRSS, VmHWM).</summary>
    public (long Now, long Peak) Rss()
    {
        long Read(string key) => File.ReadLines($"/proc/{_process.Id}/status")
            .Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024)
            .FirstOrDefault();
        return (Read("VmRSS"), Read("VmHWM"));
    }

    private async Task<bool> AnswersAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!_process.HasExited && DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await _http.GetAsync(path);
                if (response.IsSuccessStatusCode)
                    return true;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        return false;
    }

    // Stopped once: a part stops the worker to read its store, and `await using` stops it again on the way out.
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _http.Dispose();
    }
}
