using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Core.Engine;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// The JSON columns. Their shape is defined here rather than by Core's types, so renaming a Core property cannot
/// silently change what is stored.
/// </summary>
internal static class StateJson
{
    // Unescaped non-ASCII text reads better in the database; the JSON never lands in HTML.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record ProfileDocument(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("firstName")] string? FirstName,
        [property: JsonPropertyName("lastName")] string? LastName,
        [property: JsonPropertyName("locale")] string? Locale,
        [property: JsonPropertyName("timeZone")] string? TimeZone,
        [property: JsonPropertyName("attributes")] Dictionary<string, JsonElement>? Attributes);

    // An event's "customer" fields as the event format writes them, so a stored event reads back as it came in.
    private sealed record CustomerUpdateDocument(
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("firstName")] string? FirstName,
        [property: JsonPropertyName("lastName")] string? LastName,
        [property: JsonPropertyName("locale")] string? Locale,
        [property: JsonPropertyName("timeZone")] string? TimeZone,
        [property: JsonPropertyName("attributes")] JsonElement? Attributes);

    public static string? WriteCustomerUpdate(Orchestrator.Contracts.CustomerProfileUpdate? update) => update is null ? null : JsonSerializer.Serialize(
        new CustomerUpdateDocument(update.Email, update.FirstName, update.LastName, update.Locale, update.TimeZone, update.Attributes), Options);

    public static Orchestrator.Contracts.CustomerProfileUpdate? ReadCustomerUpdate(string? json)
    {
        if (json is null)
            return null;
        var document = JsonSerializer.Deserialize<CustomerUpdateDocument>(json, Options)!;
        return new Orchestrator.Contracts.CustomerProfileUpdate
        {
            Email = document.Email, FirstName = document.FirstName, LastName = document.LastName, Locale = document.Locale,
            TimeZone = document.TimeZone, Attributes = document.Attributes,
        };
    }

    public static string WriteProfile(CustomerProfile profile) => JsonSerializer.Serialize(
        new ProfileDocument(profile.Id, profile.Email, profile.FirstName, profile.LastName, profile.Locale, profile.TimeZone,
            new Dictionary<string, JsonElement>(profile.Attributes, StringComparer.Ordinal)),
        Options);

    public static CustomerProfile ReadProfile(string json)
    {
        var document = JsonSerializer.Deserialize<ProfileDocument>(json, Options)
            ?? throw new JsonException("profile_json is null");
        return new CustomerProfile
        {
            Id = document.Id,
            Email = document.Email,
            FirstName = document.FirstName,
            LastName = document.LastName,
            Locale = document.Locale,
            TimeZone = document.TimeZone,
            Attributes = document.Attributes is null
                ? new Dictionary<string, JsonElement>(StringComparer.Ordinal)
                : new Dictionary<string, JsonElement>(document.Attributes, StringComparer.Ordinal),
        };
    }

    public static string WriteTimes(IEnumerable<DateTimeOffset> times) =>
        JsonSerializer.Serialize(times.Select(StoredTime.ToText).ToList(), Options);

    public static List<DateTimeOffset> ReadTimes(string json) =>
        (JsonSerializer.Deserialize<List<string>>(json, Options) ?? []).Select(t => StoredTime.Read(t)).ToList();

    public static string? WriteElement(JsonElement? element) => element?.GetRawText();

    public static JsonElement? ReadElement(string? json) => json is null ? null : JsonSerializer.Deserialize<JsonElement>(json, Options);

    /// <summary>The stored detail column: the one outcome-detail writer (<see cref="Core.Engine.OutcomeJson"/>).</summary>
    public static string? WriteDetail(IReadOnlyDictionary<string, object?>? detail) => Core.Engine.OutcomeJson.DetailToJson(detail);

    /// <summary>Back to the engine's value types: a number that fits an int is an int, as the engine wrote it.</summary>
    public static Dictionary<string, object?>? ReadDetail(string? json)
    {
        if (json is null)
            return null;
        using var document = JsonDocument.Parse(json);
        var detail = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
            detail[property.Name] = ReadValue(property.Value);
        return detail;
    }

    private static object? ReadValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number when value.TryGetInt32(out var i) => i,
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => value.GetDouble(),
        _ => value.Clone(),
    };
}
