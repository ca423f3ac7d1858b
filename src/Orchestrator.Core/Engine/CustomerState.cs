using System.Text.Json;

namespace Orchestrator.Core.Engine;

/// <summary>What is known about a customer: the fields journeys read as <c>customer.*</c>.</summary>
public sealed record CustomerProfile
{
    public required string Id { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Locale { get; init; }
    public string? TimeZone { get; init; }
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; init; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
}

/// <summary>
/// Everything the engine needs to decide for one customer: the profile, the marketing-consent flags, recent sends
/// (for the frequency cap) and the customer's journey instances, active and ended.
/// The engine never changes a state it is given; it returns a new one in its decision.
/// </summary>
public sealed class CustomerState
{
    public required CustomerProfile Profile { get; set; }

    public string CustomerId => Profile.Id;

    /// <summary>Set by <c>customer.unsubscribed</c>, cleared by <c>customer.resubscribed</c>.</summary>
    public bool Unsubscribed { get; set; }

    /// <summary>The address a permanent bounce suppressed; a new address in the profile is not suppressed.</summary>
    public string? BouncedAddress { get; set; }

    /// <summary>
    /// Of the addresses this decision may mail (normalized, <see cref="AddressSuppression"/>), those suppressed for
    /// every customer, with why: <see cref="AddressSuppression.Bounced"/> (a bounce, or a server that does not know the
    /// mailbox) or <see cref="AddressSuppression.UnsubscribedReason"/>. Not the customer's own data: the processor
    /// reads it from the store before each decision.
    /// </summary>
    public IReadOnlyDictionary<string, string> SuppressedAddresses { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Set by this decision's <c>customer.unsubscribed</c> / <c>customer.resubscribed</c> for the customer's
    /// address, for the store to suppress it for everyone or lift that; not kept between decisions.</summary>
    public AddressSubscription? SubscriptionChange { get; set; }

    /// <summary>Times of recent sends across all journeys, for the frequency cap.</summary>
    public List<DateTimeOffset> RecentSends { get; init; } = [];

    public List<JourneyInstance> Instances { get; init; } = [];

    /// <summary>Optimistic-concurrency token for stores; the engine does not read it.</summary>
    public long Revision { get; set; }

    public static CustomerState New(string customerId) => new() { Profile = new CustomerProfile { Id = customerId } };

    public CustomerState Clone() => new()
    {
        Profile = Profile,
        Unsubscribed = Unsubscribed,
        BouncedAddress = BouncedAddress,
        SuppressedAddresses = SuppressedAddresses,
        RecentSends = [.. RecentSends],
        Instances = Instances.Select(i => i.Clone()).ToList(),
        Revision = Revision,
    };

    /// <summary>The current address bounced: this customer's own bounce, or anyone's (<see cref="SuppressedAddresses"/>).</summary>
    public bool IsSuppressed => SuppressedBecause is AddressSuppression.Bounced;

    /// <summary>Why no marketing email may go to this customer now (<c>unsubscribed</c> or <c>bounced</c>), or null.</summary>
    public string? SuppressedBecause
    {
        get
        {
            if (Unsubscribed)
                return AddressSuppression.UnsubscribedReason;
            if (Profile.Email is not { } email || string.IsNullOrWhiteSpace(email))
                return null;
            var address = AddressSuppression.Normalize(email);
            if (BouncedAddress is not null && AddressSuppression.Normalize(BouncedAddress) == address)
                return AddressSuppression.Bounced;
            return SuppressedAddresses.TryGetValue(address, out var reason)
                ? reason == AddressSuppression.UnsubscribedReason ? AddressSuppression.UnsubscribedReason : AddressSuppression.Bounced
                : null;
        }
    }

    /// <summary>The earliest moment an active instance of this customer needs the engine again, if any.</summary>
    public DateTimeOffset? NextWakeup => Instances.Where(i => i.Status == InstanceStatus.Active && i.WakeAt is not null).Min(i => i.WakeAt);
}

public enum InstanceStatus
{
    Active,
    Completed,
    Exited,
}

/// <summary>Why an active instance is not moving.</summary>
public enum WaitingFor
{
    Nothing,

    /// <summary>A <c>wait</c> or <c>wait_until</c> step: continues at <see cref="JourneyInstance.WakeAt"/>.</summary>
    Time,

    /// <summary>A <c>wait_for</c> step: continues on the event, or on timeout at <see cref="JourneyInstance.WakeAt"/>.</summary>
    Event,

    /// <summary>A deferred email (send window or frequency cap): tried again at <see cref="JourneyInstance.WakeAt"/>.</summary>
    SendSlot,
}

/// <summary>One customer's pass through one journey, pinned to the version it entered with.</summary>
public sealed class JourneyInstance
{
    public required string Id { get; init; }
    public required string JourneyId { get; init; }
    public required string Version { get; set; }
    public required string CustomerId { get; init; }
    public required string Key { get; init; }
    public required DateTimeOffset EnteredAt { get; init; }
    public required string EntryEventId { get; init; }
    public required string EntryEventType { get; init; }

    /// <summary>The entering event's properties, readable as <c>entry.properties.*</c>.</summary>
    public JsonElement? EntryProperties { get; init; }

    public InstanceStatus Status { get; set; }
    public string? StepId { get; set; }
    public WaitingFor Waiting { get; set; }
    public DateTimeOffset? WakeAt { get; set; }
    public string? Variant { get; set; }
    public DateTimeOffset? ConvertedAt { get; set; }

    /// <summary>How many emails this instance has sent; part of each send key.</summary>
    public int SendCount { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
    public string? EndReason { get; set; }

    public JourneyInstance Clone() => (JourneyInstance)MemberwiseClone();
}
