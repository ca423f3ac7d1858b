using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Processing;

/// <summary>
/// How big an event may be, for every way in (<see cref="EventJson"/> and typed AMQP messages alike). The profile is
/// rewritten with every later event of the customer and the event log keeps every payload, so a 20 MB attribute or
/// 200,000 attribute keys would slow every decision of that customer for good: such events are refused with the
/// limit named, and nothing of them is kept.
/// </summary>
public static class EventLimits
{
    /// <summary>eventId, customerId and type: identifiers, not documents.</summary>
    public const int MaxIdLength = 200;

    /// <summary>The event's <c>properties</c> as JSON text.</summary>
    public const int MaxPropertiesBytes = 64 * 1024;

    /// <summary>The <c>customer</c> update as JSON text, attributes included (it becomes part of the stored profile).</summary>
    public const int MaxCustomerBytes = 16 * 1024;

    /// <summary>Keys in <c>customer.attributes</c>.</summary>
    public const int MaxAttributeKeys = 200;

    /// <summary>Why the event is too big, or null.</summary>
    public static string? Problem(CustomerEvent evt)
    {
        foreach (var (name, value) in new[] { ("eventId", evt.EventId), ("customerId", evt.CustomerId), ("type", evt.Type) })
        {
            if (value is { Length: > MaxIdLength })
                return $"{name} is {value.Length:N0} characters long; at most {MaxIdLength} are allowed";
        }
        if (evt.Properties is { ValueKind: JsonValueKind.Object } properties && properties.GetRawText().Length is var size and > MaxPropertiesBytes)
            return $"properties are {size:N0} characters of JSON; at most {MaxPropertiesBytes:N0} are allowed";
        if (evt.Customer is { } customer)
        {
            if (customer.Attributes is { ValueKind: JsonValueKind.Object } attributes)
            {
                var keys = attributes.EnumerateObject().Count();
                if (keys > MaxAttributeKeys)
                    return $"customer.attributes has {keys:N0} keys; at most {MaxAttributeKeys} are allowed";
            }
            var customerSize = JsonSerializer.Serialize(customer, EventJson.Options).Length;
            if (customerSize > MaxCustomerBytes)
                return $"customer is {customerSize:N0} characters of JSON; at most {MaxCustomerBytes:N0} are allowed (the profile is kept and rewritten with every event)";
        }
        return null;
    }
}
