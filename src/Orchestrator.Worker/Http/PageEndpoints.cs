using System.Text;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;
using Orchestrator.Pages;
using Orchestrator.Worker.Journeys;

namespace Orchestrator.Worker.Http;

/// <summary>
/// The marketer's pages, read-only, in the worker's own process: <c>/</c> (every journey), <c>/journeys/{id}</c> (map,
/// charts, figures), <c>/customers/{id}</c> (the trace). The same data as JSON at the same paths with
/// <c>Accept: application/json</c>. They show customer data, so each needs the pages' credentials (HTTP Basic); a
/// missing or wrong one gets 401 and nothing else.
/// </summary>
internal static class PageEndpoints
{
    // The pages load only what the worker serves: nothing from a CDN, no request to another host. vega compiles its
    // expressions with Function (unsafe-eval); mermaid styles its SVG inline (unsafe-inline styles).
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static WebApplication MapPages(this WebApplication app)
    {
        app.MapGet("/", Overview);
        app.MapGet("/reports", Overview);
        app.MapGet("/journeys/{id}", Journey);
        app.MapGet("/customers", (string? id) => string.IsNullOrWhiteSpace(id) ? Results.Redirect("/") : Results.Redirect("/customers/" + Uri.EscapeDataString(id.Trim())));
        app.MapGet("/customers/{id}", Customer);
        // The libraries are public code without customer data: served without credentials, cached by the browser.
        app.MapGet("/assets/{name}", (string name, HttpResponse response) =>
        {
            if (PageAssets.Read(name) is not { } bytes)
                return Results.NotFound();
            response.Headers.CacheControl = "public, max-age=86400";
            return Results.Bytes(bytes, PageAssets.ContentType(name));
        });
        return app;
    }

    private static async Task<IResult> Overview(HttpContext context, string? phase, string? since, string? until, string? version, JourneyCatalogHost journeys,
        IAnalysisReader reader, IOptions<AnalysisOptions> analysis, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Refuse(context) is { } refused)
            return refused;
        if (Filter(time, version, since, until, out var filter) is { } bad)
            return bad;
        var definitions = journeys.Current.Latest.Where(j => phase is null || string.Equals(j.Phase, phase, StringComparison.OrdinalIgnoreCase))
            .OrderBy(j => j.Id, StringComparer.Ordinal).ToList();
        var overview = await JourneyOverview.BuildAsync(definitions, journeys.Diagnostics, reader, filter, analysis.Value, cancellationToken).ConfigureAwait(false);
        return Answer(context, overview, mode => OverviewPage.Write(overview, mode, phase));
    }

    private static async Task<IResult> Journey(HttpContext context, string id, string? since, string? until, string? version, JourneyCatalogHost journeys,
        IAnalysisReader reader, IOptions<AnalysisOptions> analysis, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Refuse(context) is { } refused)
            return refused;
        if (Filter(time, version, since, until, out var filter) is { } bad)
            return bad;
        if (journeys.Current.Latest.FirstOrDefault(j => j.Id == id) is not { } journey)
            return Results.Problem($"no journey '{id}' is in force; known: {string.Join(", ", journeys.Current.Latest.Select(j => j.Id).Order(StringComparer.Ordinal))}", statusCode: StatusCodes.Status404NotFound);
        var report = await JourneyReportBuilder.BuildAsync(journey, reader, filter, analysis.Value, cancellationToken).ConfigureAwait(false);
        return Answer(context, report, mode => JourneyPage.Write(journey, report, mode, new JourneyPage.FilterText(version, since, until)));
    }

    private static async Task<IResult> Customer(HttpContext context, string id, JourneyCatalogHost journeys, IAnalysisReader reader, IOptions<SendingOptions> sending,
        CancellationToken cancellationToken)
    {
        if (Refuse(context) is { } refused)
            return refused;
        var trace = await CustomerTraceBuilder.BuildAsync(id, journeys.Current, sending.Value, reader, cancellationToken).ConfigureAwait(false);
        return Answer(context, trace, mode => CustomerPage.Write(trace, mode));
    }

    /// <summary>JSON for a client that asks for it and not for HTML; the page otherwise. Neither is cached: both hold customer data.</summary>
    private static IResult Answer<T>(HttpContext context, T data, Func<PageMode, string> page)
    {
        context.Response.Headers.CacheControl = "no-store";
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            return Results.Text(ReportJson.Write(data, indented: false), "application/json; charset=utf-8");
        var options = context.RequestServices.GetRequiredService<IOptions<HttpOptions>>().Value;
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Content(page(PageMode.Live(options.PagesRefreshSeconds)), "text/html; charset=utf-8");
    }

    private static IResult? Filter(TimeProvider time, string? version, string? since, string? until, out ReportFilter filter)
    {
        var now = time.GetUtcNow();
        filter = new ReportFilter(now);
        if (!ReportFilter.TryParseTime(since, now, out var from) || !ReportFilter.TryParseTime(until, now, out var to))
            return Results.Problem($"since/until: '{(ReportFilter.TryParseTime(since, now, out _) ? until : since)}' is neither an ISO time (2026-03-01T00:00:00Z) nor a duration ({Duration.Help})",
                statusCode: StatusCodes.Status400BadRequest);
        filter = new ReportFilter(now, string.IsNullOrWhiteSpace(version) ? null : version.Trim(), from, to);
        return null;
    }

    /// <summary>401 with a Basic challenge unless the request carries the pages' user and password.</summary>
    private static IResult? Refuse(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<HttpOptions>>().Value;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string? pair = null;
            try
            {
                pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                // Not base64: refused like a wrong password.
            }
            var colon = pair?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (colon > 0)
            {
                // Both compared in fixed time, and always both, so the answer's timing tells nothing about either.
                var user = EndpointExtensions.FixedTimeEquals(pair![..colon], options.PagesUser);
                var password = EndpointExtensions.FixedTimeEquals(pair[(colon + 1)..], options.PagesPassword);
                if (user & password)
                    return null;
            }
        }
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"Orchestrator\", charset=\"UTF-8\"";
        return Results.Problem("the pages need the user and password of Orchestrator:Http:PagesUser and PagesPassword", statusCode: StatusCodes.Status401Unauthorized);
    }
}
