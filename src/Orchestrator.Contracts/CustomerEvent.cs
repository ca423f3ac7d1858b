using System.Text.Json;

namespace Orchestrator.Contracts;

/// <summary>
/// Something a customer did or that happened to a customer, published by a backend system over AMQP or
/// HTTP (see docs/journeys.md, "Events"). Required: <see cref="EventId"/>, <see cref="CustomerId"/>,
/// <see cref="Type"/> and <see cref="OccurredAt"/>.
/// </summary>
public sealed record CustomerEvent
{
    /// <summary>Unique id chosen by the publisher; events with the same id are processed once.</summary>
    public required string EventId { get; init; }

    /// <summary>The publisher's id of the customer.</summary>
    public required string CustomerId { get; init; }

    /// <summary>The event type, e.g. <c>cart.abandoned</c>. Types starting with <c>customer.</c> and
    /// <c>email.</c> include reserved ones (unsubscribe, resubscribe, bounce).</summary>
    public required string Type { get; init; }

    /// <summary>When it happened; journeys run on this time, not on the arrival time.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Free-form JSON object, readable in journeys as <c>event.properties.*</c>.</summary>
    public JsonElement? Properties { get; init; }

    /// <summary>Optional profile update, merged into the stored profile before the event is evaluated.</summary>
    public CustomerProfileUpdate? Customer { get; init; }
}
