namespace Orchestrator.Storage.Relational;

/// <summary>Enums are stored by name in lower case, so the tables read well in analysis queries.</summary>
internal static class StoredEnum
{
    public static string Write<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static T Read<T>(string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new InvalidDataException($"'{value}' is not a stored {typeof(T).Name}");
}
