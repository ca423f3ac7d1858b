using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Core.Engine;

/// <summary>How an event's <c>customer</c> block updates the stored profile: given fields replace, attributes merge by name.</summary>
public static class ProfileMerge
{
    public static CustomerProfile Apply(CustomerProfile profile, CustomerProfileUpdate? update)
    {
        if (update is null)
            return profile;
        var attributes = profile.Attributes;
        if (update.Attributes is { ValueKind: JsonValueKind.Object } incoming)
        {
            var merged = new Dictionary<string, JsonElement>(profile.Attributes, StringComparer.Ordinal);
            foreach (var property in incoming.EnumerateObject())
                merged[property.Name] = property.Value.Clone();
            attributes = merged;
        }
        return profile with
        {
            Email = update.Email ?? profile.Email,
            FirstName = update.FirstName ?? profile.FirstName,
            LastName = update.LastName ?? profile.LastName,
            Locale = update.Locale ?? profile.Locale,
            TimeZone = update.TimeZone ?? profile.TimeZone,
            Attributes = attributes,
        };
    }
}
