using System.Globalization;
using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Journeys;

/// <summary>
/// Editing journeys/ while the worker runs: a valid edit is a new version for new entries, a broken edit is reported with
/// file:line:col while the last good version keeps running, and instances stay on the version they entered with.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class JourneyReloadTests : IAsyncLifetime, IDisposable
{
    private readonly WorkerFolder _folder = new();
    private WorkerProcess? _worker;

    private WorkerProcess Worker => _worker!;
    private string PromoFile => Path.Combine(_folder.Journeys, "promo.yaml");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_folder.Journeys, "templates"));
        await File.WriteAllTextAsync(PromoFile, Promo("1d"));
        _worker = await WorkerProcess.StartAsync(_folder.Path, _folder.Settings(ExternalProcess.FreePort()));
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _worker?.Dispose();
        _worker = null;
        _folder.Dispose();
    }

    [Fact]
    public async Task A_broken_edit_keeps_the_last_good_version_running_and_a_fixed_one_becomes_the_new_version()
    {
        var first = await VersionInForceAsync();

        // A marketer saves a typo: the worker says where, and promo keeps running as it was.
        await File.WriteAllTextAsync(PromoFile, Promo("5 days"));
        await Worker.WaitForOutputAsync($"{PromoFile}:7:11: wait '5 days' is not a duration", TimeSpan.FromSeconds(30));
        await Worker.WaitForOutputAsync($"{PromoFile} has errors: journey promo keeps running on its last good version {first}", TimeSpan.FromSeconds(10));
        var health = await Worker.HealthAsync();
        Assert.Equal(first, await VersionInForceAsync());
        Assert.Contains(health.GetProperty("journeyErrors").EnumerateArray(), e => e.GetString()!.StartsWith($"{PromoFile}:7:11: wait '5 days'", StringComparison.Ordinal));

        // A broken file that never was good runs nothing, and hides nothing else.
        await File.WriteAllTextAsync(Path.Combine(_folder.Journeys, "other.yaml"), "id: other\nname: [unclosed\n");
        await Worker.WaitForOutputAsync($"{Path.Combine(_folder.Journeys, "other.yaml")}:", TimeSpan.FromSeconds(30));

        Assert.Equal("processed", (await Enter("e-1", "c-1")).GetProperty("status").GetString());
        Assert.Equal([first], await InstanceVersionsAsync("c-1"));

        // The fix is a new version: new entries take it, the instance that entered before stays on its own.
        await File.WriteAllTextAsync(PromoFile, Promo("2d"));
        File.Delete(Path.Combine(_folder.Journeys, "other.yaml"));
        var second = await WaitForNewVersionAsync(first);
        Assert.Empty((await Worker.HealthAsync()).GetProperty("journeyErrors").EnumerateArray());

        Assert.Equal("processed", (await Enter("e-2", "c-2")).GetProperty("status").GetString());
        Assert.Equal([second], await InstanceVersionsAsync("c-2"));
        Assert.Equal([first], await InstanceVersionsAsync("c-1"));
        Assert.False(Worker.HasExited);
    }

    private static string Promo(string wait) => $$"""
        id: promo
        name: Spring promotion
        entry:
          event: promo.started
        steps:
          - id: pause
            wait: {{wait}}
          - id: done
            exit: {}
        """;

    private async Task<string> VersionInForceAsync()
    {
        var health = await Worker.HealthAsync();
        return health.GetProperty("journeys").EnumerateArray().Single(j => j.GetProperty("id").GetString() == "promo").GetProperty("version").GetString()!;
    }

    private async Task<string> WaitForNewVersionAsync(string old)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var version = await VersionInForceAsync();
            if (version != old)
                return version;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the fixed file was not loaded:\n" + Worker.Output);
            await Task.Delay(200);
        }
    }

    private async Task<JsonElement> Enter(string eventId, string customerId)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var (status, body) = await Worker.PostEventsAsync($$"""{"eventId":"{{eventId}}","customerId":"{{customerId}}","type":"promo.started","occurredAt":"{{now}}"}""");
        Assert.Equal(200, status);
        return body;
    }

    private Task<IReadOnlyList<string>> InstanceVersionsAsync(string customerId) =>
        StorageProbe.ColumnAsync(_folder.Database, $"SELECT version FROM instances WHERE customer_id = '{customerId}'");
}
