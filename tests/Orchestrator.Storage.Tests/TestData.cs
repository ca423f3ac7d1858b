using System.Globalization;
using System.Text;
using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Storage.Tests;

/// <summary>States, decisions and emails to store, and a canonical text of a state to compare.</summary>
internal static class TestData
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    public static JsonElement Json(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    public static CustomerEvent Event(string eventId, string customerId, string type = "page.viewed", DateTimeOffset? at = null) => new()
    {
        EventId = eventId,
        CustomerId = customerId,
        Type = type,
        OccurredAt = at ?? T0,
    };

    /// <summary>A state with every field set: attributes of each JSON kind, sub-millisecond times, an active and an ended instance.</summary>
    public static CustomerState RichState(string customerId) => new()
    {
        Profile = new CustomerProfile
        {
            Id = customerId,
            Email = "ann.devries@example.nl",
            FirstName = "Ann",
            LastName = "de Vries",
            Locale = "nl-NL",
            TimeZone = "Europe/Amsterdam",
            Attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
            {
                ["interest"] = Json("\"outdoor\""),
                ["vip"] = Json("false"),
                ["orders"] = Json("3"),
                ["lifetimeValue"] = Json("404.36"),
                ["tags"] = Json("""["a","b"]"""),
                ["address"] = Json("""{ "city": "Zürich", "zip": null, "lines": [ "Bahnhofstraße 1" ] }"""),
            },
        },
        Unsubscribed = true,
        BouncedAddress = "Old.Address@Example.nl",
        RecentSends = [T0.AddTicks(1234567), T0.AddHours(-20)],
        Instances =
        [
            new JourneyInstance
            {
                Id = "i-active", JourneyId = "welcome", Version = "3", CustomerId = customerId, Key = "",
                EnteredAt = T0.AddMinutes(-5).AddTicks(7), EntryEventId = "e-1", EntryEventType = "customer.signed_up",
                EntryProperties = Json("""{"source":"web","n":1,"ok":true}"""),
                Status = InstanceStatus.Active, StepId = "wait-a-day", Waiting = WaitingFor.Event, WakeAt = T0.AddDays(1),
                Variant = "b", SendCount = 2,
            },
            new JourneyInstance
            {
                Id = "i-ended", JourneyId = "cart-recovery", Version = "1", CustomerId = customerId, Key = "cart-42",
                EnteredAt = T0.AddDays(-3), EntryEventId = "e-0", EntryEventType = "cart.abandoned", EntryProperties = null,
                Status = InstanceStatus.Completed, StepId = null, Waiting = WaitingFor.Nothing, WakeAt = null,
                Variant = null, ConvertedAt = T0.AddDays(-2), SendCount = 1, EndedAt = T0.AddDays(-2).AddSeconds(1), EndReason = "end",
            },
        ],
    };

    public static Outcome Outcome(string customerId, string instanceId, DateTimeOffset at, string kind, params (string Key, object? Value)[] detail) =>
        new(at, "welcome", "3", customerId, instanceId, "step-1", kind, "b",
            detail.Length == 0 ? null : detail.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal));

    public static EmailToSend Email(string customerId, string sendKey, DateTimeOffset at, int outcomeIndex = 0) => new()
    {
        SendKey = sendKey,
        At = at,
        JourneyId = "welcome",
        Version = "3",
        InstanceId = "i-active",
        StepId = "welcome-email",
        CustomerId = customerId,
        Variant = "b",
        To = "ann.devries@example.nl",
        From = "Larkspur <hello@larkspur.example>",
        Subject = "Welcome, Ann",
        Preheader = "Good to have you",
        Html = "<p>Hallo Ann</p>",
        Text = "Hallo Ann",
        OutcomeIndex = outcomeIndex,
    };

    public static Decision Decision(CustomerState state, IReadOnlyList<Outcome>? outcomes = null, IReadOnlyList<EmailToSend>? sends = null, IReadOnlyList<Wakeup>? wakeups = null) =>
        new(state, outcomes ?? [], sends ?? [], wakeups ?? []);

    /// <summary>Every field of a state, times as UTC ticks (stores keep the instant, not the offset), JSON as raw text.</summary>
    public static string Describe(CustomerState state)
    {
        var text = new StringBuilder();
        var p = state.Profile;
        text.AppendLine(CultureInfo.InvariantCulture, $"profile {p.Id}|{p.Email}|{p.FirstName}|{p.LastName}|{p.Locale}|{p.TimeZone}");
        foreach (var (key, value) in p.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            text.AppendLine(CultureInfo.InvariantCulture, $"  attribute {key}={value.ValueKind}:{Normalized(value)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"unsubscribed {state.Unsubscribed} bounced {state.BouncedAddress} revision {state.Revision}");
        text.AppendLine(CultureInfo.InvariantCulture, $"recent {string.Join(",", state.RecentSends.Select(t => Ticks(t)))}");
        foreach (var i in state.Instances)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"instance {i.Id}|{i.JourneyId}|{i.Version}|{i.CustomerId}|{i.Key}|{Ticks(i.EnteredAt)}|{i.EntryEventId}|{i.EntryEventType}|{(i.EntryProperties is { } entry ? Normalized(entry) : "")}|"
                + $"{i.Status}|{i.StepId}|{i.Waiting}|{Ticks(i.WakeAt)}|{i.Variant}|{Ticks(i.ConvertedAt)}|{i.SendCount}|{Ticks(i.EndedAt)}|{i.EndReason}");
        }
        return text.ToString();
    }

    /// <summary>An outcome as the simulator prints it, plus the CLR type of each detail value.</summary>
    public static string Describe(Outcome outcome) =>
        OutcomeJson.ToJsonLine(outcome) + " version=" + outcome.Version + " types="
        + string.Join(",", (outcome.Detail ?? new Dictionary<string, object?>()).Select(d => $"{d.Key}:{d.Value?.GetType().Name ?? "null"}"));

    /// <summary>JSON compared by content: stores may re-serialize it (whitespace, escapes).</summary>
    private static string Normalized(JsonElement element) => JsonSerializer.Serialize(element, Relaxed);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Ticks(DateTimeOffset? time) => time is { } t ? t.UtcTicks.ToString(CultureInfo.InvariantCulture) : "-";
}
