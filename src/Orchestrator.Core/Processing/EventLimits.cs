using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Processing;

/// <summary>
/// How big an event may be, for every way in (<see cref="EventJson"/> and typed AMQP messages alike; section
/// <c>Orchestrator:Intake:Limits</c>). The profile is rewritten with every later event of the customer and the event
/// log keeps every payload, so a 20 MB attribute or 200,000 attribute keys would slow every decision of that customer
/// for good: such events are refused with the limit and its setting named, and nothing of them is kept.
/// </summary>
public sealed class EventLimits
{
    public const string SectionName = "Orchestrator:Intake:Limits";

    /// <summary>The limits when nothing is configured (the benchmarks' event files, events built inside the process); a
    /// new instance each time, so that no caller can change them for another.</summary>
    public static EventLimits Default => new();

    /// <summary>eventId, customerId and type, in characters: identifiers, not documents. Default 200. At most 230:
    /// SQL Server keeps ids in 256 characters, and the unsubscribe link's event id adds 26 to a customer id.</summary>
    [Range(1, 230)]
    public int MaxIdLength { get; set; } = 200;

    /// <summary>The event's <c>properties</c> as JSON text, in characters. Default 65,536 (64 KB).</summary>
    [Range(2, 16 * 1024 * 1024)]
    public int MaxPropertiesBytes { get; set; } = 64 * 1024;

    /// <summary>The <c>customer</c> update as JSON text, attributes included (it becomes part of the stored profile),
    /// in characters. Default 16,384 (16 KB).</summary>
    [Range(2, 1024 * 1024)]
    public int MaxCustomerBytes { get; set; } = 16 * 1024;

    /// <summary>Keys in <c>customer.attributes</c>. Default 200.</summary>
    [Range(0, 100_000)]
    public int MaxAttributeKeys { get; set; } = 200;

    /// <summary>
    /// Every limit out of its range, one line each, named as it is configured
    /// (<c>Orchestrator:Intake:Limits:MaxIdLength: The field MaxIdLength must be between 1 and 230.</c>). The worker stops
    /// at start with these lines and <c>orchestrator simulate</c> with the same ones: the ranges above are the rule, read
    /// here for both.
    /// </summary>
    public IReadOnlyList<string> SettingProblems()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return [.. results.Select(r => $"{SectionName}:{string.Join(", ", r.MemberNames)}: {r.ErrorMessage}")];
    }

    /// <summary>Why the event is too big, or null.</summary>
    public string? Problem(CustomerEvent evt)
    {
        foreach (var (name, value) in new[] { ("eventId", evt.EventId), ("customerId", evt.CustomerId), ("type", evt.Type) })
        {
            if (value is { Length: var length } && length > MaxIdLength)
                return $"{name} is {length:N0} characters long; at most {MaxIdLength:N0} are allowed ({Setting(nameof(MaxIdLength))})";
        }
        if (evt.Properties is { ValueKind: JsonValueKind.Object } properties && properties.GetRawText().Length is var size && size > MaxPropertiesBytes)
            return $"properties are {size:N0} characters of JSON; at most {MaxPropertiesBytes:N0} are allowed ({Setting(nameof(MaxPropertiesBytes))})";
        if (evt.Customer is { } customer)
        {
            if (customer.Attributes is { ValueKind: JsonValueKind.Object } attributes)
            {
                var keys = attributes.EnumerateObject().Count();
                if (keys > MaxAttributeKeys)
                    return $"customer.attributes has {keys:N0} keys; at most {MaxAttributeKeys:N0} are allowed ({Setting(nameof(MaxAttributeKeys))})";
            }
            var customerSize = JsonSerializer.Serialize(customer, EventJson.Options).Length;
            if (customerSize > MaxCustomerBytes)
                return $"customer is {customerSize:N0} characters of JSON; at most {MaxCustomerBytes:N0} are allowed ({Setting(nameof(MaxCustomerBytes))}; the profile is kept and rewritten with every event)";
        }
        return null;
    }

    private static string Setting(string name) => $"{SectionName}:{name}";
}
