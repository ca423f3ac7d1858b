using System.Globalization;
using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Processing;

/// <summary>
/// Reads events in the spec's JSON format with errors a publisher can act on. Shared by the simulator's JSONL
/// reader and the worker's HTTP and AMQP ingress, so every way in accepts exactly the same events.
/// </summary>
public static partial class EventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// How a body or a line is parsed into JSON, for every way in: comments and a trailing comma are skipped, as
    /// MassTransit's reader skips them in AMQP messages, so that HTTP, AMQP and event files take the same texts.
    /// </summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    // ISO 8601 with the offset written out (Z or +01:00): a time without one means a different instant on every
    // publisher's machine, and "03/02/2026" a different day in every country.
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex IsoTime();

    /// <param name="limits">The sizes allowed (the worker's configured <see cref="EventLimits"/>); null: the defaults.</param>
    public static bool TryParse(string json, out CustomerEvent? evt, out string? error, EventLimits? limits = null)
    {
        evt = null;
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return TryRead(document.RootElement, out evt, out error, limits);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON: {ex.Message}";
            return false;
        }
    }

    /// <param name="limits">The sizes allowed (the worker's configured <see cref="EventLimits"/>); null: the defaults.</param>
    public static bool TryRead(JsonElement root, out CustomerEvent? evt, out string? error, EventLimits? limits = null)
    {
        evt = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "an event must be a JSON object";
            return false;
        }
        // Text that is not Unicode (invalid UTF-8, a lone surrogate in an escape) cannot be stored or shown: named
        // and refused here, instead of failing deep inside the store.
        if (BrokenText(root, "") is { } broken)
        {
            error = $"{broken} holds text that is not valid Unicode (invalid UTF-8 or a lone surrogate escape)";
            return false;
        }
        // A number or an object where text belongs would otherwise read as a missing field (or, in customer, be
        // dropped without a word): named with what was sent instead.
        if (NotText(root, "", "eventId", "customerId", "type", "occurredAt") is { } notText)
        {
            error = notText;
            return false;
        }
        // JSON allows a name twice in one object and readers disagree on which one counts: two customer ids in one
        // event are a publisher's bug, not a choice to make for it.
        if (Unusable(root, "") is { } unusable)
        {
            error = unusable;
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
        if (!IsoTime().IsMatch(occurredAtText!)
            || !DateTimeOffset.TryParse(occurredAtText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var occurredAt))
        {
            error = $"occurredAt '{occurredAtText}' is not an ISO 8601 time with its offset, such as 2026-03-02T08:55:00Z or 2026-03-02T09:55:00+01:00";
            return false;
        }
        if (occurredAt == default)
        {
            error = $"occurredAt '{occurredAtText}' is the zero date, not a time something happened";
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
            if (NotText(c, "customer.", "email", "firstName", "lastName", "locale", "timeZone") is { } notCustomerText)
            {
                error = notCustomerText;
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
        // The rules on the content (size limits, reserved types with rules of their own such as a survey answer's
        // metric and score) are the ingress's, applied here too, so the simulator's reader rejects what the worker rejects.
        error = EventIngress.Validate(evt, limits);
        if (error is not null)
        {
            evt = null;
            return false;
        }
        return true;
    }

    /// <summary>
    /// A rejected event's id for its refusal, when it has a readable one (it may be the broken text itself). Shown, not
    /// kept: cut to <see cref="ShownIdLength"/> characters and with control characters written as escapes, because it
    /// goes into a log line and the error queue's header (a 100 KB id does not fit an AMQP header frame, and a newline
    /// in it would forge a log line).
    /// </summary>
    public static string? EventIdOf(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("eventId", out var id))
            return null;
        string text;
        try
        {
            text = id.ToString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        if (text.Length > ShownIdLength)
            text = string.Concat(text.AsSpan(0, ShownIdLength), "…");
        if (!text.Any(char.IsControl))
            return text;
        var shown = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
            shown.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString());
        return shown.ToString();
    }

    /// <summary>How much of a rejected event's id its refusal shows.</summary>
    public const int ShownIdLength = 200;

    /// <summary>
    /// The first name that appears twice in one object, or number journeys cannot compute with, described; or null.
    /// Journeys compute in decimal (at most about 7.9e28): a larger number would fail every decision that reads it,
    /// and in a profile attribute every later decision of the customer.
    /// </summary>
    private static string? Unusable(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                HashSet<string>? seen = null;
                foreach (var property in element.EnumerateObject())
                {
                    var name = property.Name;
                    var at = path.Length == 0 ? name : $"{path}.{name}";
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                        return $"{at} appears more than once in its object";
                    if (Unusable(property.Value, at) is { } found)
                        return found;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Unusable(item, $"{path}[{index++}]") is { } found)
                        return found;
                }
                return null;
            case JsonValueKind.Number when !element.TryGetDecimal(out _):
                var raw = element.GetRawText();
                return $"{path} is the number {(raw.Length > 40 ? raw[..40] + "…" : raw)}, beyond the ±7.9e28 journeys can compute with";
            default:
                return null;
        }
    }

    /// <summary>The path of the first property name or string value that is not valid Unicode, or null.</summary>
    private static string? BrokenText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(element) ? null : (path.Length == 0 ? "the event" : path);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return (path.Length == 0 ? "" : path + ".") + "a property name";
                    }
                    if (BrokenText(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } found)
                        return found;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (BrokenText(item, $"{path}[{index++}]") is { } found)
                        return found;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Decodes(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The first of <paramref name="names"/> present with a value that is neither text nor null, described; or null.</summary>
    private static string? NotText(JsonElement obj, string prefix, params string[] names)
    {
        foreach (var name in names)
        {
            if (obj.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                return $"{prefix}{name} must be a string, not {Kind(value.ValueKind)}";
        }
        return null;
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true or false",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => kind.ToString(),
    };

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
