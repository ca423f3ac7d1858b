using System.Text;
using Microsoft.Playwright;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by scripts/services.sh), driven through Playwright. The machine
/// has no network beyond loopback, so Playwright's own browser download ("playwright install") is never run: the driver
/// bundled in the package (node, copied to the test output) launches the system build instead. Each launch gets a fresh
/// profile in a temp folder, deleted on dispose, so no test sees another run's cookies, cache or storage.
/// </summary>
/// <remarks>
/// Nothing a page asks for leaves the machine: every page <see cref="OpenAsync"/> opens aborts and records each request
/// off loopback (<see cref="BrowserPage.BlockedRequests"/>), so a test can fail on one. A guard on the whole browser does
/// the same for requests of pages it did not open (a popup), and the host resolver knows no name but localhost.
/// </remarks>
internal sealed class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    // Playwright adds its own switches (headless, no sandbox, no background networking, ...); these are the ones we rely
    // on, named even where they repeat it. --user-data-dir is not among them: Playwright refuses it in Args and takes
    // the folder as LaunchPersistentContextAsync's first argument instead.
    private static readonly string[] Flags =
    [
        "--headless",
        "--no-sandbox", // root, in a container: Chromium's sandbox cannot start here
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // The last line of defence, below the request routing: every host but these three fails to resolve, IP literals
        // included, so not even a DNS query leaves for a request the routes did not see. The rules match IPv6 without
        // brackets ("EXCLUDE [::1]" would not), and they are the hosts BrowserPage.IsLocal lets through.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE ::1",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly string _profile;
    private readonly List<BrowserPage> _pages = [];

    private Chromium(IPlaywright playwright, IBrowserContext context, string profile)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
    }

    /// <summary>Starts Chromium (headless) with a fresh profile.</summary>
    public static async Task<Chromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: scripts/services.sh start installs Debian's chromium");
        var profile = Directory.CreateTempSubdirectory("orch-chromium").FullName;
        var playwright = await Playwright.CreateAsync();
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new()
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Flags,
                // A service worker's requests pass no page route.
                ServiceWorkers = ServiceWorkerPolicy.Block,
                ViewportSize = new() { Width = 1280, Height = 900 },
            });
            var chromium = new Chromium(playwright, context, profile);
            // Page routes come first; this one sees only what no page route handled.
            await context.RouteAsync(_ => true, chromium.GuardAsync);
            return chromium;
        }
        catch
        {
            playwright.Dispose();
            DeleteProfile(profile);
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/> in a new page and waits for its load event. <paramref name="basicAuth"/> is sent
    /// (as an Authorization header) to loopback only. <paramref name="offline"/>: the page may load nothing but
    /// <paramref name="url"/> itself, for a self-contained file opened from file://; anything else is blocked and recorded.
    /// </summary>
    public async Task<BrowserPage> OpenAsync(string url, (string User, string Password)? basicAuth = null, bool offline = false)
    {
        var authorization = basicAuth is var (user, password)
            ? "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))
            : null;
        var page = new BrowserPage(await _context.NewPageAsync(), new Uri(url), authorization, offline);
        lock (_pages)
            _pages.Add(page);
        page.Page.Close += (_, _) =>
        {
            lock (_pages)
                _pages.Remove(page);
        };
        await page.GoToAsync();
        return page;
    }

    /// <summary>A request no page route saw (from a popup, say): aborted if off loopback, and counted against every page
    /// we opened, since none of them should cause one.</summary>
    private async Task GuardAsync(IRoute route)
    {
        if (BrowserPage.IsLocal(new Uri(route.Request.Url)))
        {
            await route.FallbackAsync();
            return;
        }
        lock (_pages)
        {
            foreach (var page in _pages)
                page.RecordBlocked(route.Request.Url);
        }
        await route.AbortAsync("blockedbyclient");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _context.CloseAsync(); // a persistent context's close ends the browser process
        }
        finally
        {
            _playwright.Dispose();
            DeleteProfile(_profile);
        }
    }

    private static void DeleteProfile(string profile)
    {
        try
        {
            Directory.Delete(profile, true);
        }
        catch (IOException)
        {
            // A file still held by a dying browser process; the temp folder is cleaned by the OS later.
        }
    }
}

/// <summary>
/// One page of <see cref="Chromium"/>, with what a person would notice went wrong: console errors, uncaught exceptions,
/// requests that tried to leave the machine, and the status of the page's own response.
/// </summary>
internal sealed class BrowserPage : IAsyncDisposable
{
    private readonly Uri _url;
    private readonly string? _authorization;
    private readonly bool _offline;
    private readonly List<string> _consoleErrors = [];
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _blockedRequests = [];

    internal BrowserPage(IPage page, Uri url, string? authorization, bool offline)
    {
        Page = page;
        _url = url;
        _authorization = authorization;
        _offline = offline;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                Record(_consoleErrors, $"{message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => Record(_pageErrors, error);
    }

    /// <summary>The Playwright page, for locators, clicks and evaluation.</summary>
    public IPage Page { get; }

    /// <summary>The HTTP status of the page's own response; null when there was none (file:// has no status).</summary>
    public int? Status { get; private set; }

    /// <summary>Console messages of type error, each with its source location.</summary>
    public IReadOnlyList<string> ConsoleErrors => Snapshot(_consoleErrors);

    /// <summary>Uncaught exceptions (the page's <c>pageerror</c> event).</summary>
    public IReadOnlyList<string> PageErrors => Snapshot(_pageErrors);

    /// <summary>The URL of every request that was aborted because it would have left the machine (or, offline, the file).</summary>
    public IReadOnlyList<string> BlockedRequests => Snapshot(_blockedRequests);

    /// <summary>Writes a full-page PNG to TestResults/screenshots/<paramref name="name"/>.png and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        if (name.IndexOfAny(['/', '\\']) >= 0 || name.Length == 0)
            throw new ArgumentException("a file name without folders", nameof(name));
        var folder = Path.Combine(RepoPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync() => await Page.CloseAsync();

    internal async Task GoToAsync()
    {
        await Page.RouteAsync(_ => true, RouteAsync);
        await Page.RouteWebSocketAsync(_ => true, RouteWebSocket);
        var response = await Page.GotoAsync(_url.AbsoluteUri);
        Status = response is null || _url.IsFile ? null : response.Status;
    }

    /// <summary>Loopback, or no network at all (file:, data:, blob:, about:).</summary>
    internal static bool IsLocal(Uri url) => url.Scheme switch
    {
        "file" or "data" or "blob" or "about" => true,
        "http" or "https" or "ws" or "wss" => IsLoopbackHost(url),
        _ => false,
    };

    /// <summary>127.0.0.1, localhost and [::1]: the hosts the resolver rules leave alone (not all of 127.0.0.0/8).</summary>
    private static bool IsLoopbackHost(Uri url) => url.Host is "127.0.0.1" or "localhost" or "[::1]";

    internal void RecordBlocked(string url) => Record(_blockedRequests, url);

    private async Task RouteAsync(IRoute route)
    {
        var url = new Uri(route.Request.Url);
        if (!(_offline ? url == _url : IsLocal(url)))
        {
            RecordBlocked(route.Request.Url); // before the abort: a test that waits for the page's reaction then sees it
            await route.AbortAsync("blockedbyclient");
        }
        else if (_authorization is not null && url.Scheme is "http" or "https" && IsLoopbackHost(url))
        {
            await route.ContinueAsync(new() { Headers = new Dictionary<string, string>(route.Request.Headers) { ["authorization"] = _authorization } });
        }
        else
        {
            await route.ContinueAsync();
        }
    }

    private void RouteWebSocket(IWebSocketRoute socket)
    {
        var url = new Uri(socket.Url);
        if (!_offline && IsLocal(url))
        {
            socket.ConnectToServer();
            return;
        }
        RecordBlocked(socket.Url);
        _ = socket.CloseAsync(); // never connected to a server: the page sees its socket close
    }

    private static void Record(List<string> list, string entry)
    {
        lock (list)
            list.Add(entry);
    }

    private static string[] Snapshot(List<string> list)
    {
        lock (list)
            return [.. list];
    }
}
