using System.Net.Mail;

namespace Orchestrator.Core.Engine;

/// <summary>
/// Suppression belongs to an email address, not to a customer id: a permanent bounce of <c>old@</c> stops mail to
/// <c>old@</c> for every customer who has it, now or later, whatever their profiles did in between. Addresses are
/// compared trimmed and case-insensitively (how mail systems treat them in practice), in this one form everywhere.
/// </summary>
public static class AddressSuppression
{
    /// <summary>The reasons a suppression is stored with, and the outcome reason it gives.</summary>
    public const string Bounced = "bounced";
    public const string UnsubscribedReason = "unsubscribed";

    public static string Normalize(string address) => address.Trim().ToLowerInvariant();

    /// <summary>An address mail can be sent to: one mailbox, nothing around it, and a dot in its domain.</summary>
    internal static bool IsValidAddress(string? email) =>
        !string.IsNullOrWhiteSpace(email) && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email.Trim() && email.Contains('.', StringComparison.Ordinal);

    /// <summary>The addresses whose suppression matters for one decision: the customer's current one and the one the
    /// event brings, normalized, without blanks and repeats.</summary>
    public static IReadOnlyList<string> Candidates(params string?[] addresses) =>
        addresses.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => Normalize(a!)).Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>An address unsubscribed (suppressed for every customer) or resubscribed (that suppression lifted).</summary>
public sealed record AddressSubscription(string Address, bool Unsubscribed);
