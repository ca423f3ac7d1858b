using System.Text.Json;

namespace Orchestrator.Contracts;

/// <summary>
/// Profile fields carried by an event. Fields that are present replace the stored ones;
/// <see cref="Attributes"/> merge key by key.
/// </summary>
public sealed record CustomerProfileUpdate
{
    /// <summary>Email address marketing email is sent to.</summary>
    public string? Email { get; init; }

    /// <summary>Given name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Family name.</summary>
    public string? LastName { get; init; }

    /// <summary>Locale such as <c>nl-NL</c>.</summary>
    public string? Locale { get; init; }

    /// <summary>IANA time zone such as <c>Europe/Amsterdam</c>; send windows and <c>wait_until</c> use it.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Free-form JSON object, readable in journeys as <c>customer.attributes.*</c>.</summary>
    public JsonElement? Attributes { get; init; }
}
