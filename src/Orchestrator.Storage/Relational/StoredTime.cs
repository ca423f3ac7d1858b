using System.Data;
using System.Globalization;
using Dapper;

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
        string text => ReadText(text),
        _ => throw new InvalidCastException($"A stored time was {value.GetType().Name}, expected text or DateTimeOffset"),
    };

    public static DateTimeOffset? ReadNullable(object? value) => value is null or DBNull ? null : Read(value);

    /// <summary>
    /// The fixed-width text format read digit by digit: reports read a million of these, and ParseExact costs more
    /// than the rest of the row. Anything not exactly in the format goes to ParseExact and its error.
    /// </summary>
    public static DateTimeOffset ReadText(string text)
    {
        if (text.Length == 28 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' && text[16] == ':' && text[19] == '.' && text[27] == 'Z')
        {
            int N(int start, int length)
            {
                var value = 0;
                for (var i = start; i < start + length; i++)
                {
                    var digit = text[i] - '0';
                    if ((uint)digit > 9)
                        return -1;
                    value = (value * 10) + digit;
                }
                return value;
            }
            var (year, month, day, hour, minute, second, fraction) = (N(0, 4), N(5, 2), N(8, 2), N(11, 2), N(14, 2), N(17, 2), N(20, 7));
            if (year > 0 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour is >= 0 and < 24
                && minute is >= 0 and < 60 && second is >= 0 and < 60 && fraction >= 0)
                return new DateTimeOffset(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction));
        }
        return DateTimeOffset.ParseExact(text, TextFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }
}

/// <summary>
/// A time parameter that binds with the provider's type even when it is null: a null in an object-typed Dapper
/// parameter would go to SQL Server as sql_variant, which does not convert implicitly to datetimeoffset.
/// </summary>
internal sealed class TimeParameter(DateTimeOffset? value, bool asText) : SqlMapper.ICustomQueryParameter
{
    public DateTimeOffset? Value => value;

    public void AddParameter(IDbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        if (asText)
        {
            parameter.DbType = DbType.String;
            parameter.Value = value is { } text ? StoredTime.ToText(text) : DBNull.Value;
        }
        else
        {
            parameter.DbType = DbType.DateTimeOffset;
            parameter.Value = value is { } time ? time.ToUniversalTime() : DBNull.Value;
        }
        command.Parameters.Add(parameter);
    }
}
