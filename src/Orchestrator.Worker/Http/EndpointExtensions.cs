using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using Orchestrator.Core.Processing;
using Orchestrator.Email;
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
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Results.Problem($"the body is not valid JSON: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        using (document)
        {
            var root = document.RootElement;
            var batch = root.ValueKind == JsonValueKind.Array;
            var items = batch ? root.EnumerateArray().ToList() : [root];
            if (items.Count > options.Value.MaxBatch)
                return Results.Problem($"at most {options.Value.MaxBatch} events per request", statusCode: StatusCodes.Status413PayloadTooLarge);
            var results = new List<object>(items.Count);
            var rejected = 0;
            for (var i = 0; i < items.Count; i++)
            {
                if (!EventJson.TryRead(items[i], out var evt, out var error))
                {
                    rejected++;
                    results.Add(new { index = i, eventId = EventJson.EventIdOf(items[i]), status = "rejected", message = error });
                    continue;
                }
                var result = await ingress.IngestAsync(evt!, cancellationToken).ConfigureAwait(false);
                if (result.Status == IngestStatus.Rejected)
                    rejected++;
                results.Add(new { index = i, eventId = result.EventId, status = result.Status.ToString().ToLowerInvariant(), message = result.Message, outcomes = result.Outcomes, sends = result.Sends });
            }
            var status = rejected == 0 ? StatusCodes.Status200OK : batch ? StatusCodes.Status207MultiStatus : StatusCodes.Status400BadRequest;
            return Results.Json(batch ? results : results[0], statusCode: status);
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
        var evt = new CustomerEvent { EventId = $"unsubscribe-{c}-{now.ToUnixTimeMilliseconds()}", CustomerId = c, Type = JourneyEngine.Unsubscribed, OccurredAt = now };
        await ingress.IngestAsync(evt, cancellationToken).ConfigureAwait(false);
        return Results.Content("<p>You are unsubscribed. You will receive no more marketing email from us.</p>", "text/html");
    }

    /// <summary>
    /// The journeys in force and their errors, and the event intake. 503 with <c>status: degraded</c> while RabbitMQ
    /// intake is configured but not consuming (so orchestrators stop routing to, or restart, the worker); journey
    /// errors never make it unhealthy: the last good versions run.
    /// </summary>
    private static IResult Health(JourneyCatalogHost journeys, IServiceProvider services)
    {
        var errors = journeys.Diagnostics.Where(d => d.Severity == Core.Journeys.DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        var intake = services.GetService<Orchestrator.Messaging.MessagingHealth>()?.Check();
        var healthy = intake?.Healthy ?? true;
        return Results.Json(new
        {
            status = healthy ? "ok" : "degraded",
            journeys = journeys.Current.Latest.Select(j => new { id = j.Id, version = j.Version }),
            journeyErrors = errors,
            intake = intake is null ? "http only (Orchestrator:Messaging:Transport None)" : intake.Description,
        }, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Compares a presented secret without leaking, by its timing, how much of it was right.</summary>
    internal static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
