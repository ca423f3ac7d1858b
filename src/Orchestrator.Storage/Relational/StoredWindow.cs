using System.Globalization;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Storage.Relational;

/// <summary>
/// A send's window in the <c>sends</c> columns: days as a bit set (bit n for <see cref="DayOfWeek"/> n, Sunday = 0),
/// from and to as "HH:mm" text as journeys write them. All null: no window.
/// </summary>
internal static class StoredWindow
{
    private const string TimeFormat = "HH:mm";

    public static int? Days(SendWindow? window) => window?.Days.Aggregate(0, (bits, day) => bits | (1 << (int)day));

    public static string? From(SendWindow? window) => window?.From.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static string? To(SendWindow? window) => window?.To.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static SendWindow? Read(long? days, string? from, string? to) =>
        days is { } bits && from is not null && to is not null
            ? new SendWindow(
                Enum.GetValues<DayOfWeek>().Where(d => (bits & (1L << (int)d)) != 0).ToHashSet(),
                TimeOnly.ParseExact(from, TimeFormat, CultureInfo.InvariantCulture),
                TimeOnly.ParseExact(to, TimeFormat, CultureInfo.InvariantCulture))
            : null;
}
