using System.Diagnostics;
using Orchestrator.Worker.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Worker.Tests.Pages;

/// <summary>
/// The browser under the page tests, without a worker: the system Chromium starts through Playwright, runs a page's
/// script and draws its inline SVG from file:// with no network, and its request recorder catches (and stops) what
/// tries to leave the machine.
/// </summary>
// With the worker tests, not beside them: a browser's start takes both cores for a moment, which would make the
// end-to-end tests' real-time waits late.
[Collection(WorkerProcessGroup.Name)]
public sealed class ChromiumSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orch-chromium-smoke").FullName;

    [Fact]
    public async Task A_self_contained_file_renders_offline_with_its_script_and_svg()
    {
        var file = Write("self-contained.html", """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>smoke</title></head>
            <body>
              <svg id="chart" xmlns="http://www.w3.org/2000/svg" width="200" height="80"><rect width="160" height="40" fill="steelblue"/></svg>
              <script>
                const added = document.createElement('p');
                added.id = 'added';
                added.textContent = 'added by script';
                document.body.append(added);
              </script>
            </body></html>
            """);
        await using var chromium = await LaunchAsync();

        await using var page = await chromium.OpenAsync(new Uri(file).AbsoluteUri, offline: true);

        Assert.Equal("added by script", await page.Page.Locator("#added").TextContentAsync());
        Assert.Equal(1, await page.Page.Locator("#chart rect").CountAsync());
        Assert.Null(page.Status);
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.BlockedRequests);
        Assert.True(new FileInfo(await page.ScreenshotAsync("chromium-smoke")).Length > 0);
    }

    [Fact]
    public async Task Requests_off_the_machine_are_blocked_and_recorded()
    {
        var file = Write("leaky.html", """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>leaky</title></head>
            <body>
              <img src="https://example.org/x.png" onerror="window.imageFailed = true">
              <script>
                fetch('http://example.com/').then(() => window.fetchDone = 'loaded', () => window.fetchDone = 'failed');
              </script>
            </body></html>
            """);
        await using var chromium = await LaunchAsync();

        await using var page = await chromium.OpenAsync(new Uri(file).AbsoluteUri);
        await page.Page.WaitForFunctionAsync("() => window.imageFailed && window.fetchDone");

        Assert.Equal("failed", await page.Page.EvaluateAsync<string>("() => window.fetchDone"));
        Assert.Equal(["http://example.com/", "https://example.org/x.png"], page.BlockedRequests.Order(StringComparer.Ordinal));
        Assert.Empty(page.PageErrors);
    }

    private async Task<Chromium> LaunchAsync()
    {
        var started = Stopwatch.StartNew();
        var chromium = await Chromium.LaunchAsync();
        output.WriteLine($"Chromium launched in {started.ElapsedMilliseconds} ms");
        return chromium;
    }

    private string Write(string name, string html)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, html);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, true);
}
