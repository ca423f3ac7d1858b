using System.Globalization;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Ast;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;
using Parlot;

namespace Orchestrator.Core.Liquid;

/// <summary>
/// The one Liquid (Fluid) configuration every journey expression and template runs in. It is a sandbox:
/// no file provider (so <c>include</c>/<c>render</c> find nothing), no CLR member access (values are only
/// dictionaries built from JSON), bounded steps and recursion, so a journey can read its values and nothing else.
/// </summary>
public static partial class LiquidSandbox
{
    /// <summary>Ambient key under which the <c>required</c> filter lists the names it found missing.</summary>
    internal const string MissingKey = "orchestrator.missing";

    internal static readonly TemplateOptions Options = CreateOptions();
    private static readonly ExpressionParser Parser = new();

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            FileProvider = new NullFileProvider(),
            MaxSteps = 100_000,
            MaxRecursion = 20,
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        options.Filters.AddFilter("required", RequiredFilter);
        return options;
    }

    private static ValueTask<FluidValue> RequiredFilter(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        if (input.IsNil() || (input.Type == FluidValues.String && input.ToStringValue().Length == 0))
        {
            var name = arguments.Count > 0 ? arguments.At(0).ToStringValue() : "value";
            if (!context.AmbientValues.TryGetValue(MissingKey, out var list) || list is not List<string> missing)
            {
                missing = [];
                context.AmbientValues[MissingKey] = missing;
            }
            missing.Add(name);
        }
        return new ValueTask<FluidValue>(input);
    }

    /// <summary>Parses a condition or value expression (Liquid's expression syntax) on its own.</summary>
    public static bool TryParseExpression(string source, out Expression? expression, out string? error, out int errorOffset)
    {
        expression = null;
        error = null;
        errorOffset = 0;
        if (string.IsNullOrWhiteSpace(source))
        {
            error = "the expression is empty";
            return false;
        }
        if (Parser.Full.TryParse(source, out var parsed, out ParseError? parseError) && parsed is not null)
        {
            expression = parsed;
            return true;
        }
        error = parseError?.Message ?? "it is not a valid expression";
        errorOffset = parseError?.Position.Offset ?? 0;
        return false;
    }

    /// <summary>Parses a template body; <paramref name="source"/> may use the <c>required</c> filter.</summary>
    public static bool TryParseTemplate(string source, out IFluidTemplate? template, out string? error)
    {
        var rewritten = PassNameToRequired(source);
        if (Parser.TryParse(rewritten, out var parsed, out var message))
        {
            template = parsed;
            error = null;
            return true;
        }
        template = null;
        error = message;
        return false;
    }

    // `{{ customer.firstName | required }}` becomes `{{ customer.firstName | required: "customer.firstName" }}`
    // so that the filter can name what is missing in the skip reason (`missing-data:customer.firstName`).
    [GeneratedRegex(@"(\{\{-?\s*)([A-Za-z_][A-Za-z0-9_.\-]*)((?:\s*\|\s*[A-Za-z_]+(?:\s*:[^|}]*)?)*?\s*\|\s*required)(?!\s*:)")]
    private static partial Regex RequiredUse();

    internal static string PassNameToRequired(string source) =>
        source.Contains("required", StringComparison.Ordinal)
            ? RequiredUse().Replace(source, m => $"{m.Groups[1].Value}{m.Groups[2].Value}{m.Groups[3].Value}: \"{m.Groups[2].Value}\"")
            : source;

    private sealed class ExpressionParser : FluidParser
    {
        public ExpressionParser()
        {
            Full = LogicalExpression.Eof();
        }

        public Parlot.Fluent.Parser<Expression> Full { get; }
    }
}
