using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Simulation;

/// <summary>Prints outcomes as the simulator contract's JSON lines, or as a table for people.</summary>
public static class OutcomeWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
            if (outcome.Detail is null)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteStartObject();
                foreach (var (key, value) in outcome.Detail)
                {
                    json.WritePropertyName(key);
                    WriteValue(json, value);
                }
                json.WriteEndObject();
            }
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

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool b: json.WriteBooleanValue(b); break;
            case int i: json.WriteNumberValue(i); break;
            case long l: json.WriteNumberValue(l); break;
            case double d: json.WriteNumberValue(d); break;
            case DateTimeOffset t: json.WriteStringValue(Iso.Format(t)); break;
            default: json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    public static void WriteTable(IReadOnlyList<Outcome> outcomes, TextWriter output)
    {
        var rows = outcomes.Select(o => new[]
        {
            Iso.Format(o.At), o.CustomerId, o.JourneyId, o.StepId ?? "-", o.Kind, o.Variant ?? "-",
            o.Detail is null ? "" : string.Join(" ", o.Detail.Select(d => $"{d.Key}={Convert.ToString(d.Value, CultureInfo.InvariantCulture)}")),
        }).ToList();
        string[] header = ["at", "customer", "journey", "step", "outcome", "variant", "detail"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => i == header.Length - 1 ? h : h.PadRight(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select((w, i) => new string('-', i == header.Length - 1 ? Math.Max(6, Math.Min(w, 40)) : w))));
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
    }
}
