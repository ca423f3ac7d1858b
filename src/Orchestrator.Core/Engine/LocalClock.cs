using System.Collections.Concurrent;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Engine;

/// <summary>The zone a customer's local times are computed in; <paramref name="Unknown"/> is the profile's zone name when
/// it was not accepted and <paramref name="Zone"/> is the fallback used instead.</summary>
public readonly record struct CustomerZone(TimeZoneInfo Zone, string? Unknown);

/// <summary>
/// Local-time arithmetic in a customer's zone. Daylight saving rules: a local time that does not exist
/// (spring forward) moves forward by the gap; a local time that occurs twice (fall back) takes the earlier instant.
/// A send window's opening that falls in a gap is not an opening: the window opens at the first local time after
/// the gap that is still inside it, and when none is (02:30-03:00 on the night clocks jump from 02:00 to 03:00),
/// at the next day's opening.
/// </summary>
public static class LocalClock
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);

    /// <summary>
    /// The profile's zone when it is one <see cref="JourneyLoader.TryFindZone"/> accepts, else the journey's
    /// <c>time_zone</c>, else UTC. A profile zone that was given but not accepted comes back as
    /// <see cref="CustomerZone.Unknown"/>, so that the outcome using the zone can say so instead of falling back silently.
    /// </summary>
    public static CustomerZone ZoneFor(string? profileZone, TimeZoneInfo? journeyZone)
    {
        if (string.IsNullOrWhiteSpace(profileZone))
            return new CustomerZone(journeyZone ?? TimeZoneInfo.Utc, null);
        if (Zones.GetOrAdd(profileZone, id => JourneyLoader.TryFindZone(id, out var z) ? z : null) is { } zone)
            return new CustomerZone(zone, null);
        return new CustomerZone(journeyZone ?? TimeZoneInfo.Utc, profileZone);
    }

    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local))
            offset = zone.GetUtcOffset(local.AddDays(-1)); // the offset before the gap: lands as far past the gap as the time was into it
        else if (zone.IsAmbiguousTime(local))
            offset = zone.GetAmbiguousTimeOffsets(local).Max(); // the larger offset is the earlier instant
        else
            offset = zone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }

    public static bool IsOpen(SendWindow window, TimeZoneInfo zone, DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        var time = TimeOnly.FromDateTime(local);
        return window.Days.Contains(local.DayOfWeek) && time >= window.From && time < window.To;
    }

    // Today and the next eight days: every weekday comes round again within a week, and the extra day covers a today
    // whose window has closed and a zone change (DST) that shifts the local date by one.
    private const int DaysSearched = 8;

    /// <summary>The first instant at or after <paramref name="at"/> inside the window.</summary>
    public static DateTimeOffset NextOpening(SendWindow window, TimeZoneInfo zone, DateTimeOffset at)
    {
        if (IsOpen(window, zone, at))
            return at;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
        for (var d = 0; d <= DaysSearched; d++)
        {
            var date = today.AddDays(d);
            if (!window.Days.Contains(date.DayOfWeek))
                continue;
            var opening = ToInstant(FirstRealLocalTime(date.ToDateTime(window.From), zone), zone);
            if (opening >= at && IsOpen(window, zone, opening))
                return opening;
        }
        throw new InvalidOperationException("a send window without days");
    }

    /// <summary><paramref name="local"/>, or when it falls in a daylight-saving gap, the first minute after the gap.</summary>
    private static DateTime FirstRealLocalTime(DateTime local, TimeZoneInfo zone)
    {
        var candidate = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (!zone.IsInvalidTime(candidate))
            return candidate;
        // Gaps are whole minutes and a few hours at most: walking them minute by minute is exact and short.
        candidate = new DateTime(candidate.Ticks - candidate.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(candidate))
            candidate = candidate.AddMinutes(1);
        return candidate;
    }

    /// <summary>The first instant at or after <paramref name="at"/> whose local time is <paramref name="time"/> on one of <paramref name="days"/>.</summary>
    public static DateTimeOffset NextLocalTime(TimeOnly time, IReadOnlySet<DayOfWeek>? days, TimeZoneInfo zone, DateTimeOffset at)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
        for (var d = 0; d <= DaysSearched; d++)
        {
            var date = today.AddDays(d);
            if (days is not null && !days.Contains(date.DayOfWeek))
                continue;
            var candidate = ToInstant(date.ToDateTime(time), zone);
            if (candidate >= at)
                return candidate;
        }
        throw new InvalidOperationException("wait_until without days");
    }
}
