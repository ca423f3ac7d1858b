// Reading typed values (text, booleans, durations, times, expressions) out of YAML nodes, each reporting its own error.
using System.Text.RegularExpressions;
using Orchestrator.Core.Liquid;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

public static partial class JourneyLoader
{
    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    private static partial Regex TimePattern();

    private sealed partial class FileParser
    {
        private static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private void CheckKeys(YamlMappingNode map, string[] known, string what)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (!known.Contains(name))
                    Error(At(key), $"unknown field '{name}' in {what}{Suggest.DidYouMean(name, known)} (known: {string.Join(", ", known)})");
            }
        }

        private string? Scalar(YamlNode node, string what)
        {
            if (node is YamlScalarNode scalar && scalar.Value is { } value && (value.Length > 0 || scalar.Style is ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted))
                return value;
            Error(At(node), $"'{what}' must be a single value");
            return null;
        }

        private string? RequiredText(YamlMappingNode map, string key, string owner, string help)
        {
            var node = Get(map, key);
            if (node is null)
            {
                Error(At(map), $"{owner} has no '{key}': {help}");
                return null;
            }
            return Scalar(node, key);
        }

        private string? OptionalText(YamlMappingNode map, string key) =>
            Get(map, key) is { } node ? Scalar(node, key) : null;

        private bool? OptionalBool(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node)
                return null;
            var value = Scalar(node, key);
            if (value is "true" or "false")
                return value == "true";
            if (value is not null)
                Error(At(node), $"'{key}' must be true or false");
            return null;
        }

        private TimeSpan? OptionalDuration(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node || Scalar(node, key) is not { } value)
                return null;
            if (Duration.TryParse(value, out var span))
                return span;
            Error(ValueAt(node), $"{key} '{value}' is not a duration: {Duration.Help}");
            return null;
        }

        private TimeOnly? RequiredTime(YamlMappingNode map, string key, string owner)
        {
            var node = Get(map, key);
            if (node is null)
            {
                Error(At(map), $"{owner} has no '{key}': write a local time as \"HH:mm\", e.g. \"09:00\"");
                return null;
            }
            var value = Scalar(node, key);
            if (value is null)
                return null;
            if (!TimePattern().IsMatch(value.Trim()))
            {
                Error(ValueAt(node), $"{key} '{value}' is not a time: write \"HH:mm\" on the 24-hour clock, e.g. \"09:00\" or \"21:30\"");
                return null;
            }
            return TimeOnly.ParseExact(value.Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        }

        private LiquidExpression? OptionalExpression(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node || Scalar(node, key) is not { } source)
                return null;
            if (LiquidExpression.TryParse(source, out var expression, out var error, out var offset))
            {
                foreach (var problem in LiquidNames.CheckCondition(expression!))
                    Error(InScalar(node, problem), $"'{key}': {problem.Message}");
                return expression;
            }
            var at = ValueAt(node);
            var line = source[..Math.Min(offset, source.Length)].Count(c => c == '\n');
            var where = line == 0 && node is YamlScalarNode { Style: not (ScalarStyle.Literal or ScalarStyle.Folded) }
                ? at with { Column = at.Column + offset }
                : at;
            var example = key == "key" ? "event.properties.cartId" : "event.properties.total >= 20 and customer.attributes.vip == true";
            Error(where, $"'{key}' is not a valid expression: {error}; use Liquid's syntax, e.g. \"{example}\"");
            return null;
        }
    }
}
