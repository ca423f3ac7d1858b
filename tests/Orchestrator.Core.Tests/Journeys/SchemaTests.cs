using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Orchestrator.Core.Journeys;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>
/// <c>journeys/journey.schema.json</c> (what editors validate with) accepts every sample and rejects what the
/// loader rejects for shape reasons.
/// </summary>
public sealed partial class SchemaTests : IDisposable
{
    private const string ValidJourney = """
        id: demo
        name: Demo
        entry:
          event: cart.abandoned
          reentry: after 7d
        steps:
          - id: pause
            wait: 1h
          - id: wait-for-order
            wait_for:
              event: order.placed
              timeout: 1d
          - id: offer
            split:
              - variant: a
                weight: 50
                next: done
              - variant: b
                weight: 50
                next: done
          - id: done
            exit: {}
        """;

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryFolders.Journeys, "journey.schema.json"))));

    private readonly JourneyFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> SampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in RepositoryFolders.JourneyFiles)
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Every_sample_journey_validates_against_the_schema(string fileName)
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryFolders.Journeys, fileName));

        var problems = Validate(yaml);

        Assert.True(problems.Count == 0, $"{fileName} does not match journey.schema.json:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void The_valid_test_journey_passes_both_the_schema_and_the_loader()
    {
        Assert.Empty(Validate(ValidJourney));
        _folder.Journey("demo.yaml", ValidJourney);
        Expect.NoDiagnostics(_folder.Load());
    }

    [Theory]
    [InlineData("an unknown step kind", "    wait: 1h", "    sms: 1h")]
    [InlineData("a bad wait duration", "    wait: 1h", "    wait: 1hour")]
    [InlineData("a zero duration", "    wait: 1h", "    wait: 0h")]
    [InlineData("a bad timeout", "      timeout: 1d", "      timeout: 1 day")]
    [InlineData("a bad reentry", "  reentry: after 7d", "  reentry: after 7x")]
    [InlineData("a zero weight", "        weight: 50\n        next: done\n      - variant: b", "        weight: 0\n        next: done\n      - variant: b")]
    [InlineData("a text weight", "        weight: 50\n        next: done\n      - variant: b", "        weight: abc\n        next: done\n      - variant: b")]
    [InlineData("an exit step with next", "    exit: {}", "    exit: {}\n    next: pause")]
    [InlineData("an exit step with settings", "    exit: {}", "    exit: { reason: x }")]
    [InlineData("a step with two kinds", "    wait: 1h", "    wait: 1h\n    exit: {}")]
    [InlineData("an unknown field", "name: Demo", "name: Demo\nnmae: Demo")]
    [InlineData("a bad journey id", "id: demo", "id: Demo_1")]
    [InlineData("a missing entry event", "  event: cart.abandoned\n", "")]
    public void The_schema_rejects_what_the_loader_rejects(string what, string valid, string broken)
    {
        Assert.Contains(valid, ValidJourney, StringComparison.Ordinal);
        var yaml = ValidJourney.Replace(valid, broken, StringComparison.Ordinal);

        Assert.True(Validate(yaml).Count > 0, $"the schema accepts {what}");
        _folder.Journey("demo.yaml", yaml);
        Assert.True(_folder.Load().HasErrors, $"the loader accepts {what}");
    }

    [Fact]
    public void Yaml_scalars_keep_their_types_in_the_json_given_to_the_schema()
    {
        var json = ToJson(RootOf("""
            a: 1
            b: "1"
            c: true
            d: 'true'
            e: 1.5
            f: ~
            g: text
            h: [x, 2]
            i: {}
            """))!.AsObject();

        Assert.Equal(1L, json["a"]!.GetValue<long>());
        Assert.Equal("1", json["b"]!.GetValue<string>());
        Assert.True(json["c"]!.GetValue<bool>());
        Assert.Equal("true", json["d"]!.GetValue<string>());
        Assert.Equal(1.5, json["e"]!.GetValue<double>());
        Assert.Null(json["f"]);
        Assert.Equal("text", json["g"]!.GetValue<string>());
        Assert.Equal(2L, json["h"]![1]!.GetValue<long>());
        Assert.Empty(json["i"]!.AsObject());
    }

    private static List<string> Validate(string yaml)
    {
        var results = Schema.Value.Evaluate(ToJson(RootOf(yaml)), new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
            return [];
        return results.Details
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))
            .ToList();
    }

    private static YamlNode RootOf(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents[0].RootNode;
    }

    /// <summary>YAML to JSON the way an editor's YAML language server sees it: plain scalars follow the YAML 1.2 core schema.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => Plain(scalar.Value ?? ""),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => throw new NotSupportedException($"unexpected YAML node {node.NodeType}"),
    };

    private static JsonValue? Plain(string value)
    {
        if (value is "" or "~" or "null" or "Null" or "NULL")
            return null;
        if (value is "true" or "True" or "TRUE")
            return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE")
            return JsonValue.Create(false);
        if (Integer().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (Float().IsMatch(value))
            return JsonValue.Create(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
