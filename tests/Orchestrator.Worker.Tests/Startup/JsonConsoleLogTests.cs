using System.Globalization;
using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Startup;

/// <summary>
/// <c>Logging__Console__FormatterName=json</c>: the worker's whole output, from start through a decided event and a send
/// to SIGTERM, is one JSON object a line with a UTC timestamp, level, category and message, for log shippers.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class JsonConsoleLogTests : IDisposable
{
    private readonly WorkerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Every_line_the_worker_writes_is_a_json_log_entry()
    {
        await _folder.WithWelcomeJourneyAsync();
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Logging__Console__FormatterName"] = "json";
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(200, (await worker.PostEventsAsync($$$"""{"eventId":"e-1","customerId":"c-1","type":"signed.up","occurredAt":"{{{now}}}","customer":{"email":"c-1@example.com"}}""")).Status);
        await worker.WaitForOutputAsync("Sent ", TimeSpan.FromSeconds(20));
        worker.Terminate();
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(40)), worker.Output);

        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var entries = new List<JsonElement>();
        foreach (var line in lines)
        {
            JsonElement entry;
            try
            {
                entry = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"not JSON ({ex.Message}): {line}\n\n{worker.Output}");
            }
            Assert.Equal(JsonValueKind.Object, entry.ValueKind);
            var at = DateTimeOffset.Parse(entry.GetProperty("Timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.EndsWith("Z", entry.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
            Assert.InRange(at, started, DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.Contains(entry.GetProperty("LogLevel").GetString(), (string[])["Trace", "Debug", "Information", "Warning", "Error", "Critical"]);
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("Category").GetString()), line);
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("Message").GetString()), line);
            entries.Add(entry);
        }

        // The lines of the run are there, with their structured values: the send, and the host's stop.
        var sent = Assert.Single(entries, e => e.GetProperty("Category").GetString() == "Orchestrator.Email.OutboxDispatcher"
            && e.GetProperty("Message").GetString()!.StartsWith("Sent ", StringComparison.Ordinal));
        Assert.Equal("welcome", sent.GetProperty("State").GetProperty("JourneyId").GetString());
        Assert.Contains(entries, e => e.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime"
            && e.GetProperty("Message").GetString()!.Contains("shutting down", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.Equal(JsonValueKind.Array, e.GetProperty("Scopes").ValueKind));
    }
}
