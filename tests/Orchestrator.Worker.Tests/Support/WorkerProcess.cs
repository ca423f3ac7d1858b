using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// The built worker (<c>orchestrator-worker.dll</c>) as its own process, configured by environment variables only, as
/// production runs it. Everything it writes lives under one test folder; <see cref="Dispose"/> kills it (SIGKILL).
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    public const string ApiKey = "test-api-key-0123456789";

    /// <summary>The marketer's pages' credentials (HTTP Basic) of every test worker.</summary>
    public const string PagesUser = "marketer";
    public const string PagesPassword = "test-pages-password-0123456789";

    private readonly ExternalProcess _process;

    private WorkerProcess(ExternalProcess process, int httpPort)
    {
        _process = process;
        HttpPort = httpPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
    }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The settings of a worker whose state, schedule and mail all live under <paramref name="folder"/>: SQLite, Quartz on
    /// SQLite, no broker, emails as .eml files (unless the caller sets an SMTP host), fast polls.
    /// </summary>
    public static Dictionary<string, string> Settings(string folder, string journeysFolder, int httpPort) => new()
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
        ["DOTNET_ENVIRONMENT"] = "Production",
        // As the root appsettings.json has it: the worker's own lines, without a line per HTTP request or Quartz poll.
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__Quartz"] = "Warning",
        ["Logging__LogLevel__MassTransit"] = "Warning",
        ["Orchestrator__Journeys__Folder"] = journeysFolder,
        ["Orchestrator__Storage__Provider"] = "Sqlite",
        ["Orchestrator__Storage__ConnectionString"] = $"Data Source={DatabaseIn(folder)}",
        ["Orchestrator__Scheduling__ConnectionString"] = $"Data Source={Path.Combine(folder, "data", "quartz.db")}",
        ["Orchestrator__Scheduling__PollIntervalMilliseconds"] = "250",
        ["Orchestrator__Messaging__Transport"] = "None",
        ["Orchestrator__Email__PickupFolder"] = Path.Combine(folder, "eml"),
        ["Orchestrator__Email__PollInterval"] = "00:00:00.200",
        ["Orchestrator__Email__UnsubscribeBaseUrl"] = $"http://127.0.0.1:{httpPort}/unsubscribe",
        ["Orchestrator__Email__UnsubscribeSecret"] = "test-unsubscribe-secret",
        ["Orchestrator__Http__ApiKey"] = ApiKey,
        ["Orchestrator__Http__PagesPassword"] = PagesPassword,
    };

    public static string DatabaseIn(string folder) => Path.Combine(folder, "data", "orchestrator.db");

    public static int HttpPortOf(IDictionary<string, string> settings) =>
        int.Parse(settings["ASPNETCORE_URLS"].Split(':')[^1], CultureInfo.InvariantCulture);

    /// <summary>Starts the worker and waits until <c>/health</c> answers and satisfies <paramref name="ready"/> (by default:
    /// status ok or attention, which with RabbitMQ means every partition is being consumed).</summary>
    /// <param name="arguments">Command-line arguments after the dll, e.g. <c>--demo file</c>.</param>
    public static async Task<WorkerProcess> StartAsync(string folder, IDictionary<string, string> settings, Func<JsonElement, bool>? ready = null, IEnumerable<string>? arguments = null)
    {
        var worker = new WorkerProcess(new ExternalProcess("dotnet", [RepoPaths.WorkerDll, .. arguments ?? []], folder, settings), HttpPortOf(settings));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var health = await worker.HealthAsync();
                if (ready?.Invoke(health) ?? health.GetProperty("status").GetString() is "ok" or "attention")
                    return worker;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (worker.HasExited || DateTime.UtcNow > deadline)
            {
                var output = worker.Output;
                worker.Dispose();
                throw new InvalidOperationException("the worker did not become healthy:\n" + output);
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Runs the worker to its exit, for settings that must stop it at start.</summary>
    public static async Task<(int Exit, string Output)> RunToExitAsync(string folder, IDictionary<string, string> settings, TimeSpan timeout)
    {
        using var process = new ExternalProcess("dotnet", [RepoPaths.WorkerDll], folder, settings);
        if (!await process.WaitForExitAsync(timeout))
            throw new TimeoutException($"the worker was still running after {timeout}:\n{process.Output}");
        return (process.ExitCode, process.Output);
    }

    /// <summary>The body of <c>/health</c>, whether it says ok (200) or degraded (503).</summary>
    public async Task<JsonElement> HealthAsync()
    {
        using var response = await Http.GetAsync("/health");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>POST /events with the test API key; the status code and the parsed body.</summary>
    public async Task<(int Status, JsonElement Body)> PostEventsAsync(string json, string? apiKey = ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null)
            request.Headers.Add("X-Api-Key", apiKey);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Waits until the worker's output holds <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) => _process.WaitForOutputAsync(text, timeout);

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM; then <see cref="WaitForExitAsync"/>.</summary>
    public void Terminate() => _process.Terminate();

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        Http.Dispose();
        _process.Dispose();
    }
}
