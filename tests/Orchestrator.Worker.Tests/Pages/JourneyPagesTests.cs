using System.Net;
using System.Text.Json;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Pages;

/// <summary>
/// The marketer's pages in a real Chromium, against the worker after <c>--demo</c>: the map and every chart are drawn
/// (SVG with marks), every figure on the page equals the JSON the same URL serves, nothing is asked of any host but
/// the worker, no console errors; without credentials, 401 and no data. Screenshots go to TestResults/screenshots.
/// </summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class JourneyPagesTests(DemoWorker demo) : IClassFixture<DemoWorker>
{
    public static TheoryData<string> SampleJourneys => new() { "cart-recovery", "post-purchase-survey", "welcome", "win-back" };

    [Theory]
    [MemberData(nameof(SampleJourneys))]
    public async Task A_journey_page_draws_its_map_and_charts_and_every_figure_equals_its_json(string journey)
    {
        await using var page = await OpenAsync($"/journeys/{journey}");
        var json = await demo.JsonAsync($"/journeys/{journey}");

        var steps = json.GetProperty("steps").GetArrayLength();
        Assert.True(await page.Page.Locator("figure.map svg g.node").CountAsync() >= steps + 2, "the map has a node per step, the start and the end");
        await AssertChartsDrawnAsync(page);
        var figures = await ReportJsonPointer.ReadAsync(page);
        Assert.Empty(ReportJsonPointer.Mismatches(figures, json));
        // The figures a marketer looks for first are on the page, not only some figures.
        var shown = figures.Select(f => f.Pointer).ToHashSet();
        Assert.Contains("/entered", shown);
        Assert.Contains("/conversion/rate", shown);
        for (var i = 0; i < steps; i++)
            Assert.Contains($"/steps/{i}/reached", shown);
        foreach (var (experiment, e) in json.GetProperty("experiments").EnumerateArray().Select((x, e) => (x, e)))
            for (var a = 0; a < experiment.GetProperty("arms").GetArrayLength(); a++)
                Assert.Contains($"/experiments/{e}/arms/{a}/rate", shown);
        AssertClean(page);
        await page.ScreenshotAsync($"journey-{journey}");
    }

    [Fact]
    public async Task The_overview_lists_every_journey_with_its_figures_and_the_broken_file_with_its_line()
    {
        await using var page = await OpenAsync("/");
        var json = await demo.JsonAsync("/");

        Assert.Empty(ReportJsonPointer.Mismatches(await ReportJsonPointer.ReadAsync(page), json));
        foreach (var journey in SampleJourneys)
            Assert.Equal(1, await page.Page.Locator($"a[href='/journeys/{journey}']").CountAsync());
        var error = Assert.Single(json.GetProperty("journeyErrors").EnumerateArray()).GetString()!;
        Assert.Contains($"{DemoWorker.BrokenFile}:7:", error, StringComparison.Ordinal);
        Assert.Contains(error, await page.Page.Locator("ul.errors").InnerTextAsync(), StringComparison.Ordinal);
        AssertClean(page);
        await page.ScreenshotAsync("overview");
    }

    [Fact]
    public async Task A_customer_page_tells_the_trace_of_its_json()
    {
        var customer = "c-26";
        await using var page = await OpenAsync($"/customers/{customer}");
        var json = await demo.JsonAsync($"/customers/{customer}");

        var lines = json.GetProperty("lines").GetArrayLength();
        Assert.True(lines > 3, "the sample customer has a story");
        Assert.Equal(lines, await page.Page.Locator("table.trace tbody tr").CountAsync());
        Assert.Empty(ReportJsonPointer.Mismatches(await ReportJsonPointer.ReadAsync(page), json));
        AssertClean(page);
        await page.ScreenshotAsync("customer");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/reports")]
    [InlineData("/journeys/cart-recovery")]
    [InlineData("/customers/c-26")]
    public async Task Without_the_pages_credentials_a_page_is_401_with_no_data(string path)
    {
        foreach (var credentials in new (string, string)?[] { null, (WorkerProcess.PagesUser, "wrong-password-0123456789"), ("someone", WorkerProcess.PagesPassword), (WorkerProcess.PagesUser, "") })
        {
            foreach (var accept in new[] { "text/html", "application/json" })
            {
                using var request = DemoWorker.Request(path, credentials);
                request.Headers.Accept.ParseAdd(accept);
                using var response = await demo.Worker.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain("cart-recovery", body, StringComparison.Ordinal);
                Assert.DoesNotContain("c-26", body, StringComparison.Ordinal);
                Assert.DoesNotContain("entered", body, StringComparison.Ordinal);
            }
        }
        // A browser without them is asked for them (Basic challenge); headless Chromium cannot answer, so it shows nothing.
        var refused = await Assert.ThrowsAsync<Microsoft.Playwright.PlaywrightException>(() => demo.Chromium.OpenAsync(demo.Url(path)));
        Assert.Contains("ERR_INVALID_AUTH_CREDENTIALS", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_exported_report_opens_from_a_file_with_every_request_blocked_and_draws_the_same_charts()
    {
        var file = Path.Combine(demo.Folder, "cart-recovery.html");
        var (exit, output) = await RunCliAsync("report", "cart-recovery", "--journeys", demo.Journeys, "--store", demo.Database, "--format", "html", "-o", file);
        Assert.True(exit == 0, output);
        var jsonFile = Path.Combine(demo.Folder, "cart-recovery.json");
        var (jsonExit, jsonOutput) = await RunCliAsync("report", "cart-recovery", "--journeys", demo.Journeys, "--store", demo.Database, "--format", "json", "-o", jsonFile);
        Assert.True(jsonExit == 0, jsonOutput);
        var json = JsonDocument.Parse(File.ReadAllText(jsonFile)).RootElement;

        await using var page = await demo.Chromium.OpenAsync(new Uri(file).AbsoluteUri, offline: true);
        await page.Page.WaitForSelectorAsync("body[data-rendered]", new() { Timeout = 30_000 });

        Assert.Equal("true", await page.Page.GetAttributeAsync("body", "data-rendered"));
        Assert.True(await page.Page.Locator("figure.map svg g.node").CountAsync() >= json.GetProperty("steps").GetArrayLength() + 2);
        await AssertChartsDrawnAsync(page);
        Assert.Empty(ReportJsonPointer.Mismatches(await ReportJsonPointer.ReadAsync(page), json));
        // The same charts as the served page of the same journey.
        await using var served = await OpenAsync("/journeys/cart-recovery");
        Assert.Equal(await ChartNamesAsync(served), await ChartNamesAsync(page));
        AssertClean(page);
        await page.ScreenshotAsync("exported-cart-recovery");
    }

    private async Task<BrowserPage> OpenAsync(string path)
    {
        var page = await demo.Chromium.OpenAsync(demo.Url(path), DemoWorker.Credentials);
        Assert.Equal(200, page.Status);
        await page.Page.WaitForSelectorAsync("body[data-rendered]", new() { Timeout = 30_000 });
        Assert.Equal("true", await page.Page.GetAttributeAsync("body", "data-rendered"));
        return page;
    }

    /// <summary>Every chart figure holds an SVG drawn by vega with at least one mark (a bar, a line, a point).</summary>
    private static async Task AssertChartsDrawnAsync(BrowserPage page)
    {
        var charts = await page.Page.Locator("figure.chart").CountAsync();
        Assert.True(charts >= 2, "the page has charts");
        var drawn = await page.Page.EvaluateAsync<int[]>(
            "() => Array.from(document.querySelectorAll('figure.chart')).map(f => f.querySelectorAll('.chart-canvas svg .role-mark > path, .chart-canvas svg .role-mark > line').length)");
        Assert.All(drawn, marks => Assert.True(marks > 0, "a chart without marks"));
    }

    private static async Task<string> ChartNamesAsync(BrowserPage page) =>
        string.Join(",", await page.Page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('figure[data-chart]')).map(f => f.dataset.chart)"));

    private static void AssertClean(BrowserPage page)
    {
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.BlockedRequests);
    }

    private async Task<(int Exit, string Output)> RunCliAsync(params string[] arguments)
    {
        // In the worker's folder: no appsettings.json there, so the CLI reads the analysis settings the worker reads.
        using var cli = new ExternalProcess("dotnet", [RepoPaths.CliDll, .. arguments], demo.Folder);
        if (!await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)))
            throw new TimeoutException(cli.Output);
        return (cli.ExitCode, cli.Output);
    }
}
