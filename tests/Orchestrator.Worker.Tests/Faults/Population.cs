using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Orchestrator.Worker.Tests.Faults;

/// <summary>
/// Many customers from the sample's few: customer k is a copy of sample customer k mod n (n sample customers) with
/// every event of theirs, under its own customer id, event ids and email addresses, at the same (squeezed) times.
/// So every journey pattern of the sample runs many times over, and the simulator still predicts each copy.
/// </summary>
internal static class Population
{
    /// <summary>The customer count of the test command; <c>ORCHESTRATOR_FAULTS_CUSTOMERS</c> sets it (the soak).</summary>
    public static int Customers => Setting("ORCHESTRATOR_FAULTS_CUSTOMERS", 200);

    /// <summary>A whole number from the environment variable <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>The sample's events of its first <paramref name="days"/> days (all of them for 0): a shorter squeezed
    /// run (a sample day is about 3 s of real time) with every journey pattern that starts in them.</summary>
    public static IReadOnlyList<string> FirstDays(IReadOnlyList<string> sample, int days)
    {
        if (days <= 0)
            return sample;
        static DateTimeOffset At(string line) => DateTimeOffset.Parse(JsonNode.Parse(line)!["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var end = sample.Min(At) + TimeSpan.FromDays(days);
        return sample.Where(l => At(l) < end).ToList();
    }

    /// <summary>How many customers copied from <paramref name="sample"/> make about <paramref name="events"/> events.</summary>
    public static int CustomersForEvents(IReadOnlyList<string> sample, int events)
    {
        var sampleCustomers = sample.Select(l => JsonNode.Parse(l)!["customerId"]!.GetValue<string>()).Distinct(StringComparer.Ordinal).Count();
        return Math.Max(1, (int)Math.Round((double)events * sampleCustomers / sample.Count));
    }

    /// <summary>The events of <paramref name="customers"/> customers copied from <paramref name="sample"/>'s, in the
    /// sample's order (copies of one sample event next to each other).</summary>
    public static IReadOnlyList<string> Replicate(IReadOnlyList<string> sample, int customers)
    {
        var parsed = sample.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var sampleCustomers = parsed.Select(e => e["customerId"]!.GetValue<string>()).Distinct(StringComparer.Ordinal).ToList();
        var copies = (customers + sampleCustomers.Count - 1) / sampleCustomers.Count;
        var lines = new List<string>();
        foreach (var evt in parsed)
        {
            var customer = sampleCustomers.IndexOf(evt["customerId"]!.GetValue<string>());
            for (var copy = 0; copy < copies; copy++)
            {
                if (copy * sampleCustomers.Count + customer >= customers)
                    break;
                lines.Add(Copy(evt, copy).ToJsonString());
            }
        }
        return lines;
    }

    private static JsonObject Copy(JsonObject evt, int copy)
    {
        var node = (JsonObject)Rename(evt.DeepClone(), copy);
        node["customerId"] = $"{evt["customerId"]!.GetValue<string>()}-{copy:D4}";
        // Repeats of one sample event id (the sample's redeliveries) stay repeats within their copy.
        node["eventId"] = EventId(evt["eventId"]!.GetValue<string>(), copy);
        return node;
    }

    /// <summary>Every email address (the profile's and those in properties, as a bounce names it) gets the copy's
    /// tag, so copies never share a mailbox, a suppression or a frequency cap.</summary>
    private static JsonNode Rename(JsonNode node, int copy)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                    if (obj[key] is { } child)
                        obj[key] = Rename(child.DeepClone(), copy);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is { } item)
                        array[i] = Rename(item.DeepClone(), copy);
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && !text.Contains(' ', StringComparison.Ordinal):
                return JsonValue.Create($"{text[..at]}+{copy:D4}{text[at..]}");
            default:
                return node;
        }
    }

    private static string EventId(string original, int copy) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{original}/{copy}"))[..16]).ToString();
}
