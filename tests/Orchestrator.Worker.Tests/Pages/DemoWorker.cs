using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Pages;

/// <summary>
/// The worker as the README starts it (<c>--demo</c>: the sample journeys fed the sample events), plus one journey file
/// that does not load, and a Chromium to look at its pages. Shared by the page tests: the demo takes a few seconds.
/// </summary>
public sealed class DemoWorker : IAsyncLifetime
{
    public const string BrokenFile = "broken-journey.yaml";

    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private WorkerProcess? _worker;
    private Chromium? _chromium;

    internal WorkerProcess Worker => _worker ?? throw new InvalidOperationException("not started");

    internal Chromium Chromium => _chromium ?? throw new InvalidOperationException("not started");

    internal string Folder => _folder.Path;

    internal string Journeys => _folder.Journeys;

    internal string Database => _folder.Database;

    internal static (string, string) Credentials => (WorkerProcess.PagesUser, WorkerProcess.PagesPassword);

    public string Url(string path) => $"http://127.0.0.1:{Worker.HttpPort}{path}";

    public async Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_folder.Journeys, BrokenFile), "id: broken\nname: Broken\nentry:\n  event: order.placed\nsteps:\n  - id: pause\n    wait: soon\n");
        var settings = _folder.Settings(ExternalProcess.FreePort());
        // The figures must hold still while a test compares the page with the JSON: no refresh here (LivePageTests has it).
        settings["Orchestrator__Http__PagesRefreshSeconds"] = "0";
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings, arguments: ["--demo", Path.Combine(RepoPaths.Root, "samples", "events.jsonl")]);
        await _worker.WaitForOutputAsync("Demo: replayed", TimeSpan.FromSeconds(60));
        await WaitUntilSettledAsync();
        _chromium = await Chromium.LaunchAsync();
    }

    /// <summary>The JSON of a page, with the pages' credentials.</summary>
    public async Task<JsonElement> JsonAsync(string path, (string User, string Password)? credentials = null)
    {
        using var request = Request(path, credentials ?? Credentials);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await Worker.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal static HttpRequestMessage Request(string path, (string User, string Password)? credentials)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (credentials is var (user, password))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return request;
    }

    /// <summary>The demo's waits are all due (the sample events are in the past) and run right after the replay: wait
    /// until nobody is active and two reads of the overview agree.</summary>
    private async Task WaitUntilSettledAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string? previous = null;
        while (DateTime.UtcNow < deadline)
        {
            var overview = await JsonAsync("/");
            var journeys = overview.GetProperty("journeys").EnumerateArray().ToList();
            var state = string.Join(";", journeys.Select(j => $"{j.GetProperty("journey")}:{j.GetProperty("entered")}:{j.GetProperty("active")}:{j.GetProperty("converted")}"));
            if (journeys.All(j => j.GetProperty("active").GetInt32() == 0) && state == previous)
                return;
            previous = state;
            await Task.Delay(1000);
        }
        throw new TimeoutException("the demo did not settle:\n" + Worker.Output);
    }

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
            await _chromium.DisposeAsync();
        _worker?.Dispose();
        _folder.Dispose();
    }
}
