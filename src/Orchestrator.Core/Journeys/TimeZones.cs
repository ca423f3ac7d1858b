using TimeZoneConverter;

namespace Orchestrator.Core.Journeys;

public static partial class JourneyLoader
{
    /// <summary>
    /// The zone names accepted everywhere (a journey's <c>time_zone</c>, a profile's <c>timeZone</c>): <c>UTC</c> and the
    /// IANA names of the form Area/Location (<c>Europe/Amsterdam</c>, <c>America/New_York</c>), spelt as IANA spells them.
    /// Abbreviations and Windows names are not accepted, although the OS would find some: <c>EST</c> is a fixed -05:00
    /// without daylight saving (New York in summer is -04:00), <c>CET</c> and <c>IST</c> mean different places to different
    /// people, and a Windows name means another zone list on every machine. Someone who writes one means a place; only
    /// its Area/Location name says which.
    /// </summary>
    public static readonly IReadOnlySet<string> AcceptedZoneNames =
        TZConvert.KnownIanaTimeZoneNames.Where(name => name.Contains('/', StringComparison.Ordinal)).Append("UTC").ToHashSet(StringComparer.Ordinal);

    /// <summary>Looks up one of <see cref="AcceptedZoneNames"/>, the same on every OS (TimeZoneConverter).</summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (id is null || !AcceptedZoneNames.Contains(id))
            return false;
        if (id is "UTC" or "Etc/UTC")
            return true;
        return TZConvert.TryGetTimeZoneInfo(id, out zone!);
    }
}
