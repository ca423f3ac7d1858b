using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Orchestrator.Core.Engine;

/// <summary>
/// The one writer of outcome JSON: the simulator contract's line (printed by the CLI, compared by the store tests)
/// and the detail object that the stored column holds too, so the two cannot drift in how a value type is written.
/// </summary>
public static class OutcomeJson
{
    // Unescaped non-ASCII text reads better in the database and the terminal; the JSON never lands in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One outcome as one line of the simulator's JSON output.</summary>
    public static string ToJsonLine(Outcome outcome)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("at", Iso.Format(outcome.At));
            json.WriteString("journey", outcome.JourneyId);
            json.WriteString("customerId", outcome.CustomerId);
            json.WriteString("instance", outcome.InstanceId);
            WriteNullable(json, "step", outcome.StepId);
            json.WriteString("outcome", outcome.Kind);
            WriteNullable(json, "variant", outcome.Variant);
            json.WritePropertyName("detail");
            WriteDetail(json, outcome.Detail);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
            json.WriteNull(name);
        else
            json.WriteString(name, value);
    }

    /// <summary>The detail as a JSON object, or null when the outcome has none (the stored column).</summary>
    public static string? DetailToJson(IReadOnlyDictionary<string, object?>? detail)
    {
        if (detail is null)
            return null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            WriteDetail(json, detail);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Writes the detail as a JSON object, or a JSON null. The engine writes strings, booleans and whole numbers;
    /// decimals and JSON values only come back from a store.
    /// </summary>
    public static void WriteDetail(Utf8JsonWriter json, IReadOnlyDictionary<string, object?>? detail)
    {
        if (detail is null)
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartObject();
        foreach (var (key, value) in detail)
        {
            json.WritePropertyName(key);
            switch (value)
            {
                case null: json.WriteNullValue(); break;
                case bool b: json.WriteBooleanValue(b); break;
                case int i: json.WriteNumberValue(i); break;
                case long l: json.WriteNumberValue(l); break;
                case double d: json.WriteNumberValue(d); break;
                case decimal m: json.WriteNumberValue(m); break;
                case DateTimeOffset t: json.WriteStringValue(Iso.Format(t)); break;
                case JsonElement e: e.WriteTo(json); break;
                default: json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
        }
        json.WriteEndObject();
    }
}
