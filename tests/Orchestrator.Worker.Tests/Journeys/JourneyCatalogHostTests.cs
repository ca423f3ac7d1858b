using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Journeys;
using Orchestrator.Worker.Journeys;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Journeys;

/// <summary>
/// <see cref="JourneyCatalogHost"/> constructed directly, on a real folder and a real SQLite database: it reloads when a
/// file changes, keeps the last good version of a journey whose file breaks, and after a restart runs the version stored
/// as in force last when the file is broken by then.
/// </summary>
public sealed class JourneyCatalogHostTests : IDisposable
{
    private readonly TempStorage _temp = new(TimeProvider.System);
    private readonly List<JourneyCatalogHost> _hosts = [];

    private string PromoFile => Path.Combine(_temp.Journeys, "promo.yaml");

    public void Dispose()
    {
        foreach (var host in _hosts)
            host.Dispose();
        _temp.Dispose();
    }

    private async Task<JourneyCatalogHost> StartAsync(Orchestrator.Storage.JourneyStorage? storage = null)
    {
        var host = new JourneyCatalogHost(
            Options.Create(new JourneysOptions { Folder = "journeys", Watch = true }),
            new HostingEnvironment { ContentRootPath = _temp.Folder },
            (storage ?? _temp.Storage).Versions, TimeProvider.System, NullLogger<JourneyCatalogHost>.Instance);
        _hosts.Add(host);
        await host.StartAsync(CancellationToken.None);
        return host;
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

    private static string VersionOf(JourneyCatalogHost host) => host.Current.LatestOf("promo")?.Version ?? "(none)";

    /// <summary>Polls until <paramref name="condition"/> holds: the reload is the watcher's, on its own thread.</summary>
    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_valid_edit_is_loaded_as_a_new_version_stored_beside_the_old_one()
    {
        File.WriteAllText(PromoFile, Promo("1d"));
        var host = await StartAsync();
        var first = VersionOf(host);
        Assert.Empty(host.Diagnostics);

        File.WriteAllText(PromoFile, Promo("2d"));
        await WaitUntil(() => VersionOf(host) != first, "the edit was never loaded");

        Assert.Equal(TimeSpan.FromDays(2), Assert.IsType<WaitStep>(host.Current.LatestOf("promo")!.Steps[0]).Duration);
        // Customers who entered on the first version finish on it.
        Assert.NotNull(host.Current.Find("promo", first));
        var stored = await _temp.Storage.Versions.LoadAllAsync(CancellationToken.None);
        Assert.Equal(new[] { first, VersionOf(host) }.Order(StringComparer.Ordinal), stored.Select(v => v.Version).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_broken_edit_is_reported_with_file_line_col_and_the_last_good_version_keeps_running()
    {
        File.WriteAllText(PromoFile, Promo("1d"));
        var host = await StartAsync();
        var good = VersionOf(host);

        File.WriteAllText(PromoFile, Promo("5 days"));
        await WaitUntil(() => host.Diagnostics.Count > 0, "the broken edit was never loaded");

        Assert.StartsWith($"{PromoFile}:7:11: wait '5 days' is not a duration", host.Diagnostics[0].ToString(), StringComparison.Ordinal);
        Assert.Equal(good, VersionOf(host));
        Assert.Equal(TimeSpan.FromDays(1), Assert.IsType<WaitStep>(host.Current.LatestOf("promo")!.Steps[0]).Duration);
    }

    [Fact]
    public async Task After_a_restart_a_file_broken_meanwhile_runs_the_version_stored_as_in_force_last()
    {
        File.WriteAllText(PromoFile, Promo("1d"));
        var first = await StartAsync();
        var good = VersionOf(first);
        await first.StopAsync(CancellationToken.None);

        File.WriteAllText(PromoFile, Promo("5 days"));
        var restarted = await StartAsync(_temp.Open());

        Assert.Equal(good, VersionOf(restarted));
        Assert.Contains(restarted.Diagnostics, d => d.ToString().Contains("'5 days' is not a duration", StringComparison.Ordinal));
    }
}
