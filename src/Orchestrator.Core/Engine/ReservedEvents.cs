using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Engine;

/// <summary>Event types every customer has, whatever the journeys, and what each does to the customer's state.</summary>
public static class ReservedEvents
{
    public const string Unsubscribed = "customer.unsubscribed";
    public const string Resubscribed = "customer.resubscribed";
    public const string Bounced = "email.bounced";

    internal static void Apply(CustomerState state, CustomerEvent evt)
    {
        switch (evt.Type)
        {
            // An unsubscribe belongs to the address too: a new customer id with it gets no marketing mail either.
            case Unsubscribed:
                state.Unsubscribed = true;
                state.SubscriptionChange = Subscription(state, unsubscribed: true);
                break;
            case Resubscribed:
                state.Unsubscribed = false;
                state.SubscriptionChange = Subscription(state, unsubscribed: false);
                break;
            case Bounced when evt.Properties is { ValueKind: JsonValueKind.Object } p
                              && p.TryGetProperty("permanent", out var permanent) && permanent.ValueKind == JsonValueKind.True:
                state.BouncedAddress = p.TryGetProperty("email", out var address) && address.ValueKind == JsonValueKind.String
                    ? address.GetString()
                    : state.Profile.Email;
                break;
        }
    }

    private static AddressSubscription? Subscription(CustomerState state, bool unsubscribed) =>
        string.IsNullOrWhiteSpace(state.Profile.Email) ? null : new AddressSubscription(AddressSuppression.Normalize(state.Profile.Email), unsubscribed);
}
