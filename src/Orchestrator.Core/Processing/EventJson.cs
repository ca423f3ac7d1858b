using System.Globalization;
using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Processing;

/// <summary>
/// Reads events in the spec's JSON format with errors a publisher can act on. Shared by the simulator's JSONL
/// reader and the worker's HTTP and AMQP ingress, so every way in accepts exactly the same events.
/// </summary>
public static class EventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static bool TryParse(string json, out CustomerEvent? evt, out string? error)
    {
        evt = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            return TryRead(document.RootElement, out evt, out error);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON: {ex.Message}";
            return false;
        }
    }

    public static bool TryRead(JsonElement root, out CustomerEvent? evt, out string? error)
    {
        evt = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "an event must be a JSON object";
            return false;
        }
        var eventId = Text(root, "eventId");
        var customerId = Text(root, "customerId");
        var type = Text(root, "type");
        var occurredAtText = Text(root, "occurredAt");
        var missing = new[] { ("eventId", eventId), ("customerId", customerId), ("type", type), ("occurredAt", occurredAtText) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
        if (missing.Count > 0)
        {
            error = $"missing required field(s) {string.Join(", ", missing)} (each a non-empty string)";
            return false;
        }
        if (!DateTimeOffset.TryParse(occurredAtText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var occurredAt))
        {
            error = $"occurredAt '{occurredAtText}' is not an ISO 8601 time such as 2026-03-02T08:55:00Z";
            return false;
        }
        JsonElement? properties = null;
        if (root.TryGetProperty("properties", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Object)
            {
                error = "properties must be a JSON object";
                return false;
            }
            properties = p.Clone();
        }
        CustomerProfileUpdate? customer = null;
        if (root.TryGetProperty("customer", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Object)
            {
                error = "customer must be a JSON object";
                return false;
            }
            if (c.TryGetProperty("attributes", out var a) && a.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                error = "customer.attributes must be a JSON object";
                return false;
            }
            customer = new CustomerProfileUpdate
            {
                Email = Text(c, "email"),
                FirstName = Text(c, "firstName"),
                LastName = Text(c, "lastName"),
                Locale = Text(c, "locale"),
                TimeZone = Text(c, "timeZone"),
                Attributes = c.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object ? attributes.Clone() : null,
            };
        }
        evt = new CustomerEvent
        {
            EventId = eventId!,
            CustomerId = customerId!,
            Type = type!,
            OccurredAt = occurredAt,
            Properties = properties,
            Customer = customer,
        };
        // Reserved types with rules of their own (a survey answer's metric and score) are checked here too, so the
        // simulator's reader rejects what the worker rejects.
        error = Analysis.FeedbackEvent.Validate(evt);
        if (error is not null)
        {
            evt = null;
            return false;
        }
        return true;
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
