using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Core.Journeys;

/// <summary>Durations of the journey language: a positive integer and a unit (s, m, h, d, w).</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*([0-9]+)\s*(s|m|h|d|w)\s*$")]
    private static partial Regex Pattern();

    public const string Help = "write a positive whole number and a unit: 30s, 15m, 1h, 2d or 1w";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null)
            return false;
        var match = Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0 || amount > 100_000)
            return false;
        value = match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            "d" => TimeSpan.FromDays(amount),
            _ => TimeSpan.FromDays(7 * amount),
        };
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration: {Help}");

    /// <summary>The shortest exact form, for reports: 90m → 90m, 2d → 2d, 36h → 36h.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        if (value.Ticks % TimeSpan.FromDays(7).Ticks == 0) return $"{value.Ticks / TimeSpan.FromDays(7).Ticks}w";
        if (value.Ticks % TimeSpan.TicksPerDay == 0) return $"{value.Ticks / TimeSpan.TicksPerDay}d";
        if (value.Ticks % TimeSpan.TicksPerHour == 0) return $"{value.Ticks / TimeSpan.TicksPerHour}h";
        if (value.Ticks % TimeSpan.TicksPerMinute == 0) return $"{value.Ticks / TimeSpan.TicksPerMinute}m";
        return $"{(long)value.TotalSeconds}s";
    }
}
