using System.Globalization;

namespace Orchestrator.Storage.Relational;

/// <summary>Times in the database are UTC. SQLite keeps them as fixed-width ISO 8601 text, which sorts and compares in time order.</summary>
internal static class StoredTime
{
    public const string TextFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string ToText(DateTimeOffset value) => value.UtcDateTime.ToString(TextFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset Read(object value) => value switch
    {
        DateTimeOffset offset => offset.ToUniversalTime(),
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        string text => DateTimeOffset.ParseExact(text, TextFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new InvalidCastException($"A stored time was {value.GetType().Name}, expected text or DateTimeOffset"),
    };

    public static DateTimeOffset? ReadNullable(object? value) => value is null or DBNull ? null : Read(value);
}
