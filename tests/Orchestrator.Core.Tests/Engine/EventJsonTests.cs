using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>The event reader every way in shares: what a publisher gets back for what it got wrong.</summary>
public sealed class EventJsonTests
{
    private static string Event(string occurredAt, string eventId = "e-1") =>
        $$$"""{"eventId":"{{{eventId}}}","customerId":"c-1","type":"order.placed","occurredAt":"{{{occurredAt}}}"}""";

    [Theory]
    [InlineData("03/02/2026 08:55", "is not an ISO 8601 time with its offset")]
    [InlineData("2026-03-02 08:55:00Z", "is not an ISO 8601 time with its offset")]
    [InlineData("2026-03-02T08:55:00", "is not an ISO 8601 time with its offset")]
    [InlineData("2026-02-30T08:55:00Z", "is not an ISO 8601 time with its offset")]
    [InlineData("0001-01-01T00:00:00Z", "is the zero date")]
    public void A_time_that_is_not_iso_with_an_offset_is_refused_with_the_reason(string occurredAt, string reason)
    {
        Assert.False(EventJson.TryParse(Event(occurredAt), out var evt, out var error));
        Assert.Null(evt);
        Assert.Contains($"occurredAt '{occurredAt}' {reason}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-03-02T08:55:00Z", "2026-03-02T08:55:00Z")]
    [InlineData("2026-03-02T09:55:00+01:00", "2026-03-02T08:55:00Z")]
    [InlineData("2026-03-02T08:55:00.123Z", "2026-03-02T08:55:00.123Z")]
    [InlineData("2026-03-02T08:55Z", "2026-03-02T08:55:00Z")]
    public void Iso_times_with_an_offset_are_read_as_that_instant(string occurredAt, string utc)
    {
        Assert.True(EventJson.TryParse(Event(occurredAt), out var evt, out var error), error);
        Assert.Equal(utc, Core.Engine.Iso.Format(evt!.OccurredAt));
    }

    [Theory]
    [InlineData("{\"eventId\":\"e\\ud800\",\"customerId\":\"c-1\",\"type\":\"t\",\"occurredAt\":\"2026-03-02T08:55:00Z\"}", "eventId")]
    [InlineData("{\"eventId\":\"e-1\",\"customerId\":\"c-1\",\"type\":\"t\",\"occurredAt\":\"2026-03-02T08:55:00Z\",\"properties\":{\"items\":[{\"name\":\"\\udc00x\"}]}}", "properties.items[0].name")]
    public void Text_that_is_not_unicode_is_refused_naming_where_it_is(string json, string path)
    {
        Assert.False(EventJson.TryParse(json, out _, out var error));
        Assert.Equal($"{path} holds text that is not valid Unicode (invalid UTF-8 or a lone surrogate escape)", error);
    }

    [Fact]
    public void Invalid_utf8_bytes_are_refused_naming_the_field()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(Event("2026-03-02T08:55:00Z", "e-X")).Select(b => b == (byte)'X' ? (byte)0xFF : b).ToArray();
        using var document = System.Text.Json.JsonDocument.Parse(bytes);

        Assert.False(EventJson.TryRead(document.RootElement, out _, out var error));
        Assert.StartsWith("eventId holds text that is not valid Unicode", error, StringComparison.Ordinal);
    }
}

/// <summary>How big an event may be: refused with the limit named, for the JSON reader and typed events alike.</summary>
public sealed class EventLimitTests
{
    private static string Event(string eventId = "e-1", string properties = "{}", string customer = """{"email":"ann@example.com"}""") =>
        $$$"""{"eventId":"{{{eventId}}}","customerId":"c-1","type":"order.placed","occurredAt":"2026-03-02T08:55:00Z","properties":{{{properties}}},"customer":{{{customer}}}}""";

    [Fact]
    public void Events_at_the_limits_are_taken()
    {
        var attributes = string.Join(",", Enumerable.Range(0, EventLimits.Default.MaxAttributeKeys).Select(i => $"\"k{i}\":{i}"));
        Assert.True(EventJson.TryParse(Event(new string('e', EventLimits.Default.MaxIdLength), "{\"note\":\"" + new string('x', 60_000) + "\"}", "{\"attributes\":{" + attributes + "}}"), out _, out var error), error);
    }

    [Theory]
    [InlineData("id", "eventId is 201 characters long; at most 200 are allowed")]
    [InlineData("properties", "properties are 70,011 characters of JSON; at most 65,536 are allowed")]
    [InlineData("keys", "customer.attributes has 201 keys; at most 200 are allowed")]
    [InlineData("customer", "customer is 20,")]
    public void Events_over_a_limit_are_refused_naming_it_for_json_and_typed_events(string what, string reason)
    {
        var json = what switch
        {
            "id" => Event(new string('e', EventLimits.Default.MaxIdLength + 1)),
            "properties" => Event(properties: "{\"note\":\"" + new string('x', 70_000) + "\"}"),
            "keys" => Event(customer: "{\"attributes\":{" + string.Join(",", Enumerable.Range(0, EventLimits.Default.MaxAttributeKeys + 1).Select(i => $"\"k{i}\":{i}")) + "}}"),
            _ => Event(customer: "{\"attributes\":{\"bio\":\"" + new string('x', 20_000) + "\"}}"),
        };
        Assert.False(EventJson.TryParse(json, out _, out var error));
        Assert.StartsWith(reason, error, StringComparison.Ordinal);

        // The same rule for an event that arrives typed (AMQP): read without the checks, then validated.
        var typed = System.Text.Json.JsonSerializer.Deserialize<Contracts.CustomerEvent>(json, EventJson.Options)!;
        Assert.StartsWith(reason, EventIngress.Validate(typed), StringComparison.Ordinal);
    }
}
