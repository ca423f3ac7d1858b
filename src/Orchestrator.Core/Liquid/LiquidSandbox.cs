using System.Globalization;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Ast;
using Fluid.Values;
using Microsoft.Extensions.FileProviders;
using Parlot;
using Parlot.Fluent;

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
        // Blank text is missing too: a first name of "  " would render "Dear   ,".
        if (input.IsNil() || (input.Type == FluidValues.String && string.IsNullOrWhiteSpace(input.ToStringValue())))
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

    /// <summary>
    /// Parses a condition or value expression (Liquid's expression syntax) on its own. On failure
    /// <paramref name="errorOffset"/> is the 0-based offset in <paramref name="source"/> where it stops making sense.
    /// </summary>
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
        // Parsing the longest valid prefix (instead of expression + end of input in one go) tells where the
        // expression stops making sense, so the error can point at that column.
        var context = new ParseContext(new Scanner(source));
        var result = new ParseResult<Expression>();
        bool parsed;
        try
        {
            parsed = Parser.Expression.Parse(context, ref result);
        }
        catch (Parlot.ParseException ex)
        {
            error = ex.Message;
            errorOffset = Math.Clamp(ex.Position.Offset, 0, source.Length);
            return false;
        }
        var offset = parsed ? context.Scanner.Cursor.Offset : 0;
        while (offset < source.Length && char.IsWhiteSpace(source[offset]))
            offset++;
        if (parsed && offset == source.Length)
        {
            expression = result.Value;
            return true;
        }
        errorOffset = offset;
        error = ExplainExpressionError(source, offset, parsed);
        return false;
    }

    private static string ExplainExpressionError(string source, int offset, bool startIsValid)
    {
        var rest = source[offset..].TrimEnd();
        var what = startIsValid ? $"unexpected '{rest}'" : $"'{rest}' does not start with a name or a value";
        string? hint = null;
        if (rest.StartsWith("&&", StringComparison.Ordinal))
            hint = "write 'and' instead of '&&'";
        else if (rest.StartsWith("||", StringComparison.Ordinal))
            hint = "write 'or' instead of '||'";
        else if (rest.StartsWith('=') && !rest.StartsWith("==", StringComparison.Ordinal))
            hint = "write '==' to compare";
        else if (rest.StartsWith('!') && !rest.StartsWith("!=", StringComparison.Ordinal))
            hint = "Liquid has no '!': compare with '== false' or use '!='";
        else if (rest.StartsWith('|'))
            hint = "filters ('|') cannot be used in a condition";
        else if (rest.Count(c => c == '\'') % 2 == 1 || rest.Count(c => c == '"') % 2 == 1)
            hint = "a text value is missing its closing quote";
        return hint is null ? what : $"{what}: {hint}";
    }

    /// <summary>Parses a template body; <paramref name="source"/> may use the <c>required</c> filter.</summary>
    public static bool TryParseTemplate(string source, out IFluidTemplate? template, out string? error)
    {
        if (TryParseTemplateAt(source, out template, out var problem))
        {
            error = null;
            return true;
        }
        error = $"{problem!.Message} (line {problem.Line}, column {problem.Column})";
        return false;
    }

    /// <summary>
    /// Parses a template body; on failure <paramref name="error"/> gives a one-line message and the 1-based line
    /// and column in <paramref name="source"/>. An unclosed block is reported where it opens.
    /// </summary>
    internal static bool TryParseTemplateAt(string source, out IFluidTemplate? template, out TemplateError? error)
    {
        error = null;
        if (Parser.TryParse(PassNameToRequired(source), out var parsed, out _))
        {
            template = parsed;
            return true;
        }
        template = null;
        // Positions are taken from the text as written: the `required` rewrite shifts columns.
        if (Parser.TryParse(source, out _, out var message))
        {
            error = new TemplateError(1, 1, "the 'required' filter cannot be used here: write it last, as in '{{ customer.firstName | required }}'");
            return false;
        }
        message ??= "invalid Liquid";
        var sourceEcho = message.IndexOf("\nSource:", StringComparison.Ordinal);
        if (sourceEcho >= 0)
            message = message[..sourceEcho];
        int line = 1, column = 1;
        var position = FluidPosition().Match(message);
        if (position.Success)
        {
            line = int.Parse(position.Groups[1].Value, CultureInfo.InvariantCulture);
            column = int.Parse(position.Groups[2].Value, CultureInfo.InvariantCulture);
            message = message[..position.Index].TrimEnd();
        }
        message = message.Trim();
        var unclosed = ExpectedEnd().Match(message);
        if (unclosed.Success && FindUnclosed(source, unclosed.Groups[1].Value) is { } opener)
        {
            error = new TemplateError(opener.Line, opener.Column,
                $"'{{% {unclosed.Groups[1].Value} %}}' is never closed: add '{{% end{unclosed.Groups[1].Value} %}}' where the block ends");
            return false;
        }
        error = new TemplateError(line, column, $"{message}; check that every '{{{{' has its '}}}}' and every '{{%' tag is closed");
        return false;
    }

    /// <summary>Where <paramref name="error"/> is in a file, for Liquid that starts at <paramref name="line"/>:<paramref name="column"/> of it.</summary>
    internal static (int Line, int Column) Offset(TemplateError error, int line, int column) =>
        error.Line == 1 ? (line, column + error.Column - 1) : (line + error.Line - 1, error.Column);

    [GeneratedRegex(@"\s*at \((\d+):(\d+)\)")]
    private static partial Regex FluidPosition();

    [GeneratedRegex(@"^'\{% end([a-z]+) %\}' was expected")]
    private static partial Regex ExpectedEnd();

    [GeneratedRegex(@"\{%-?\s*(end)?([a-z]+)\b")]
    private static partial Regex TagStart();

    /// <summary>The innermost <c>{% tag %}</c> that has no <c>{% endtag %}</c>, as 1-based line and column.</summary>
    private static (int Line, int Column)? FindUnclosed(string source, string tag)
    {
        var open = new Stack<int>();
        foreach (Match m in TagStart().Matches(source))
        {
            if (m.Groups[2].Value != tag)
                continue;
            if (m.Groups[1].Success)
                open.TryPop(out _);
            else
                open.Push(m.Index);
        }
        if (!open.TryPeek(out var offset))
            return null;
        var before = source[..offset];
        var lineStart = before.LastIndexOf('\n') + 1;
        return (before.Count(c => c == '\n') + 1, offset - lineStart + 1);
    }

    // `{{ customer.firstName | required }}` becomes `{{ customer.firstName | required: "customer.firstName" }}`
    // so that the filter can name what is missing in the skip reason (`missing-data:customer.firstName`). The name
    // is the whole path as written, indexes included (`entry.properties.items[0].name`, `entry.properties["gift-note"]`).
    [GeneratedRegex(@"(\{\{-?\s*)([A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[(?:[^\]'""\r\n{}]|'[^'\r\n]*'|""[^""\r\n]*"")*\])*)((?:\s*\|\s*[A-Za-z_]+(?:\s*:[^|}]*)?)*?\s*\|\s*required)(?!\s*:)")]
    private static partial Regex RequiredUse();

    internal static string PassNameToRequired(string source) =>
        source.Contains("required", StringComparison.Ordinal)
            ? RequiredUse().Replace(source, m => $"{m.Groups[1].Value}{m.Groups[2].Value}{m.Groups[3].Value}: {Quote(m.Groups[2].Value)}")
            : source;

    /// <summary>A Liquid text literal of <paramref name="name"/>; Liquid has no escapes, so the other quote is used.</summary>
    private static string Quote(string name) =>
        !name.Contains('"', StringComparison.Ordinal) ? $"\"{name}\""
            : !name.Contains('\'', StringComparison.Ordinal) ? $"'{name}'"
            : $"\"{name.Replace('"', '\'')}\"";

    private sealed class ExpressionParser : FluidParser
    {
        public ExpressionParser()
        {
            Expression = LogicalExpression;
        }

        public Parlot.Fluent.Parser<Expression> Expression { get; }
    }
}

/// <summary>Why a template does not parse, at a 1-based line and column of its source.</summary>
internal sealed record TemplateError(int Line, int Column, string Message);
