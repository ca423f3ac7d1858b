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
        string text => DateTimeOffset.ParseExact(text, TextFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        _ => throw new InvalidCastException($"A stored time was {value.GetType().Name}, expected text or DateTimeOffset"),
    };

    public static DateTimeOffset? ReadNullable(object? value) => value is null or DBNull ? null : Read(value);
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
