using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Email;
using Orchestrator.Storage;
using Orchestrator.Worker.Journeys;

namespace Orchestrator.Worker.Http;

/// <summary>The worker's HTTP surface: event ingress for systems without AMQP, one-click unsubscribe, health.</summary>
public static class EndpointExtensions
{
    public static WebApplication MapOrchestratorEndpoints(this WebApplication app)
    {
        app.MapPost("/events", PostEvents);
        app.MapGet("/unsubscribe", UnsubscribePage);
        app.MapPost("/unsubscribe", Unsubscribe);
        app.MapGet("/health", Health);
        app.MapPrometheusScrapingEndpoint("/metrics");
        // For orchestrators: live = the process answers; ready = every part works (503 otherwise), each part by name.
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadiness,
        });
        app.MapPages();
        return app;
    }

    /// <summary>
    /// One event object or an array of them. Each is committed before the response; a bad one is rejected with its
    /// reason and the others still count. 200 when none was rejected, else 400 (single) or 207 (batch).
    /// </summary>
    private static async Task<IResult> PostEvents(HttpRequest request, EventIngress ingress, IOptions<HttpOptions> options, CancellationToken cancellationToken)
    {
        if (!request.Headers.TryGetValue("X-Api-Key", out var key) || !FixedTimeEquals(key.ToString(), options.Value.ApiKey))
            return Results.Problem("missing or wrong X-Api-Key header", statusCode: StatusCodes.Status401Unauthorized);
        var tooLarge = $"the body is larger than {options.Value.MaxBodyBytes:N0} bytes (Orchestrator:Http:MaxBodyBytes): send fewer events per request";
        if (request.ContentLength > options.Value.MaxBodyBytes)
            return Results.Problem(tooLarge, statusCode: StatusCodes.Status413PayloadTooLarge);
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = options.Value.MaxBodyBytes;
        JsonDocument document;
        try
        {
            // A byte order mark is refused as AMQP refuses it (MassTransit's reader does not skip one), so both ways in
            // take the same bytes; the JSON reader here would skip it.
            var start = await request.BodyReader.ReadAtLeastAsync(Utf8Bom.Length, cancellationToken).ConfigureAwait(false);
            var startsWithBom = start.Buffer.Length >= Utf8Bom.Length && System.Buffers.BuffersExtensions.ToArray(start.Buffer.Slice(0, Utf8Bom.Length)).AsSpan().SequenceEqual(Utf8Bom);
            request.BodyReader.AdvanceTo(start.Buffer.Start);
            if (startsWithBom)
                return Results.Problem("the body is not valid JSON: it starts with a byte order mark (0xEF 0xBB 0xBF); send UTF-8 without one", statusCode: StatusCodes.Status400BadRequest);
            document = await JsonDocument.ParseAsync(request.Body, EventJson.DocumentOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Results.Problem($"the body is not valid JSON: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A chunked body without a length, cut off by Kestrel at the limit.
            return Results.Problem(tooLarge, statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        using (document)
        {
            var root = document.RootElement;
            var batch = root.ValueKind == JsonValueKind.Array;
            var items = batch ? root.EnumerateArray().ToList() : [root];
            if (items.Count > options.Value.MaxBatch)
                return Results.Problem($"at most {options.Value.MaxBatch} events per request", statusCode: StatusCodes.Status413PayloadTooLarge);
            // Read every item first, then decide the good ones together (one commit for the array when nothing fails).
            var answers = new object?[items.Count];
            var events = new List<(int Index, CustomerEvent Event)>(items.Count);
            var rejected = 0;
            for (var i = 0; i < items.Count; i++)
            {
                if (EventJson.TryRead(items[i], out var evt, out var error, ingress.Limits))
                {
                    events.Add((i, evt!));
                    continue;
                }
                OrchestratorMetrics.Event(IngestStatus.Rejected);
                rejected++;
                answers[i] = new { index = i, eventId = EventJson.EventIdOf(items[i]), status = "rejected", message = error };
            }
            var ingested = await ingress.IngestManyAsync(events.Select(e => e.Event).ToList(), cancellationToken).ConfigureAwait(false);
            var notTaken = new List<string?>();
            string? unavailable = null;
            for (var k = 0; k < events.Count; k++)
            {
                var (i, result) = (events[k].Index, ingested[k]);
                if (result.Status == IngestStatus.Unavailable)
                {
                    notTaken.Add(result.EventId);
                    unavailable ??= result.Message;
                    continue;
                }
                if (result.Status == IngestStatus.Rejected)
                    rejected++;
                answers[i] = new { index = i, eventId = result.EventId, status = result.Status.ToString().ToLowerInvariant(), message = result.Message, outcomes = result.Outcomes, sends = result.Sends };
            }
            var results = answers.Where(a => a is not null).Cast<object>().ToList();
            // Nothing of these events was recorded: the client sends them again later.
            if (unavailable is not null)
                return Unavailable(unavailable, batch ? results : null, notTaken);
            var status = rejected == 0 ? StatusCodes.Status200OK : batch ? StatusCodes.Status207MultiStatus : StatusCodes.Status400BadRequest;
            return Results.Json(batch ? results : results[0], statusCode: status);
        }
    }

    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// 503 with Retry-After: the database cannot record events now. A batch's answer lists the events taken (committed,
    /// or rejected for a reason of their own) and the ids of those not taken, so the client resends exactly those.
    /// </summary>
    private static RetryLater Unavailable(string reason, List<object>? taken, List<string?> notTaken)
    {
        var message = $"{reason}; nothing was recorded for {(notTaken.Count > 1 ? $"these {notTaken.Count} events" : "this event")}: send again later";
        return new RetryLater(Results.Json(taken is null
            ? new { status = "unavailable", message }
            : new { status = "unavailable", message, taken, notTaken }, statusCode: StatusCodes.Status503ServiceUnavailable));
    }

    private sealed class RetryLater(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = "5";
            return inner.ExecuteAsync(httpContext);
        }
    }

    private static IResult UnsubscribePage(string? c, string? t, IOptions<EmailOptions> email)
    {
        if (c is null || t is null || !UnsubscribeToken.IsValid(c, t, email.Value.UnsubscribeSecret))
            return Results.Content("<p>This unsubscribe link is not valid.</p>", "text/html", statusCode: StatusCodes.Status400BadRequest);
        var form = $"""
            <!doctype html><meta charset="utf-8"><title>Unsubscribe</title>
            <form method="post" action="?c={Uri.EscapeDataString(c)}&amp;t={Uri.EscapeDataString(t)}">
            <p>Stop marketing email to this address?</p><button type="submit">Unsubscribe</button></form>
            """;
        return Results.Content(form, "text/html");
    }

    /// <summary>RFC 8058 one-click: mail clients POST <c>List-Unsubscribe=One-Click</c> to the link from the header.</summary>
    private static async Task<IResult> Unsubscribe(string? c, string? t, IOptions<EmailOptions> email, EventIngress ingress, TimeProvider time, CancellationToken cancellationToken)
    {
        if (c is null || t is null || !UnsubscribeToken.IsValid(c, t, email.Value.UnsubscribeSecret))
            return Results.Content("<p>This unsubscribe link is not valid.</p>", "text/html", statusCode: StatusCodes.Status400BadRequest);
        var now = time.GetUtcNow();
        var evt = new CustomerEvent { EventId = $"unsubscribe-{c}-{now.ToUnixTimeMilliseconds()}", CustomerId = c, Type = ReservedEvents.Unsubscribed, OccurredAt = now };
        try
        {
            await ingress.IngestAsync(evt, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // A mail client retries a one-click POST that failed; a person sees that it did not work.
            return new RetryLater(Results.Content("<p>We could not record your unsubscribe just now. Please try again in a minute.</p>", "text/html",
                statusCode: StatusCodes.Status503ServiceUnavailable));
        }
        return Results.Content("<p>You are unsubscribed. You will receive no more marketing email from us.</p>", "text/html");
    }

    /// <summary>
    /// The journeys in force and their errors, customers held because their version is not loaded, and the event
    /// intake. 503 with <c>status: degraded</c> while the database cannot take a write, the scheduler has stopped running
    /// timers, or RabbitMQ intake is configured
    /// but not consuming (so orchestrators stop routing to, or restart, the worker). Journey errors and held customers say <c>status: attention</c> with
    /// 200: the last good versions run, and a restart would not fix either; so do a failing mail server and sends or
    /// timers waiting past their limits (<see cref="HealthOptions"/>), whose numbers are under <c>smtp</c>, <c>outbox</c>
    /// and <c>wakeups</c>.
    /// </summary>
    private static async Task<IResult> Health(JourneyCatalogHost journeys, WorkerHealth health, CancellationToken cancellationToken)
    {
        var errors = journeys.Diagnostics.Where(d => d.Severity == Core.Journeys.DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        var intake = health.Intake();
        var database = await health.DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var timers = health.Timers();
        var healthy = intake.Healthy && database is null && timers is null;
        var held = journeys.Held;
        var mail = health.MailServer();
        var smtp = health.JudgeMailServer(mail);
        var (backlog, backlogProblem) = await health.BacklogAsync(cancellationToken).ConfigureAwait(false);
        var outbox = backlog is null ? HealthCheckResult.Degraded(backlogProblem) : health.JudgeOutbox(backlog);
        var wakeups = backlog is null ? HealthCheckResult.Degraded(backlogProblem) : health.JudgeWakeups(backlog);
        // Mail and timers that wait are for attention, like journey errors: nothing is lost, and a restart fixes nothing.
        var waiting = new[] { smtp, outbox, wakeups }.Any(r => r.Status != HealthStatus.Healthy);
        return Results.Json(new
        {
            status = !healthy ? "degraded" : health.Attention().Count > 0 || waiting ? "attention" : "ok",
            journeys = journeys.Current.Latest.Select(j => new { id = j.Id, version = j.Version }),
            journeyErrors = errors,
            held = held.Select(h => new { journey = h.JourneyId, version = h.Version, instances = h.Active, reason = h.Reason }),
            versionStore = journeys.VersionStoreProblem,
            database = database ?? "ok",
            timers = timers ?? "ok",
            intake = intake.Description,
            smtp = new
            {
                status = Lower(smtp.Status), description = smtp.Description, lastSuccessAt = mail.LastSuccessAt, consecutiveFailures = mail.ConsecutiveFailures,
                failingSince = mail.FailingSince, lastFailureAt = mail.LastFailureAt, lastFailure = mail.LastFailure,
            },
            outbox = new
            {
                status = Lower(outbox.Status), description = outbox.Description, queued = backlog?.QueuedSends, due = backlog?.DueSends,
                oldestDueAt = backlog?.OldestDueSendAt, oldestDueWaitSeconds = backlog?.OldestDueSendWait.TotalSeconds,
            },
            wakeups = new
            {
                status = Lower(wakeups.Status), description = wakeups.Description, due = backlog?.DueWakeups,
                oldestDueAt = backlog?.OldestDueWakeupAt, oldestDueLatenessSeconds = backlog?.OldestDueWakeupLateness.TotalSeconds,
            },
        }, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = Lower(report.Status),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = Lower(e.Value.Status), description = e.Value.Description }),
        }));
    }

    private static string Lower(HealthStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>Compares a presented secret without leaking, by its timing, how much of it was right.</summary>
    internal static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
