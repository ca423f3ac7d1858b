using System.Globalization;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests.Pages;

/// <summary>An open journey page follows the customers: it fetches its figures again and redraws the map without a reload.</summary>
[Collection(WorkerProcessGroup.Name)]
public sealed class LivePageTests : IAsyncLifetime
{
    private readonly WorkerFolder _folder = new WorkerFolder().WithSampleJourneys();
    private WorkerProcess? _worker;
    private Chromium? _chromium;

    public async Task InitializeAsync()
    {
        var settings = _folder.Settings(ExternalProcess.FreePort());
        settings["Orchestrator__Http__PagesRefreshSeconds"] = "1";
        _worker = await WorkerProcess.StartAsync(_folder.Path, settings);
        _chromium = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
            await _chromium.DisposeAsync();
        _worker?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_new_entry_reaches_an_open_journey_page_and_its_map_without_a_reload()
    {
        await using var page = await _chromium!.OpenAsync($"http://127.0.0.1:{_worker!.HttpPort}/journeys/cart-recovery", DemoWorker.Credentials);
        await page.Page.WaitForSelectorAsync("body[data-rendered='true']");
        Assert.Equal("0", await page.Page.GetAttributeAsync("[data-json='/entered']", "data-value"));
        // Marks the document: a reload would drop it, a refresh of <main> keeps it.
        await page.Page.EvaluateAsync("() => { window.notReloaded = true; }");

        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var (status, body) = await _worker.PostEventsAsync(
            $$$"""{"eventId":"live-1","customerId":"c-live","type":"cart.abandoned","occurredAt":"{{{now}}}","properties":{"cartId":"k-1","total":40,"itemCount":1}}""");
        Assert.True(status == 200, body.ToString());

        await page.Page.WaitForSelectorAsync("[data-json='/entered'][data-value='1']", new() { Timeout = 15_000 });
        // The map is drawn again from the new figures: the customer waits at the first step.
        await page.Page.WaitForFunctionAsync("() => (document.querySelector('figure.map svg')?.textContent ?? '').includes('waiting 1')", null, new() { Timeout = 15_000 });
        Assert.True(await page.Page.EvaluateAsync<bool>("() => window.notReloaded === true"));
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.BlockedRequests);
    }
}
