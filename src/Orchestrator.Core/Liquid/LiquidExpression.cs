using Fluid.Ast;
using Fluid.Values;

namespace Orchestrator.Core.Liquid;

/// <summary>A parsed <c>when</c> condition or <c>key</c> expression of a journey, with its source text.</summary>
public sealed partial class LiquidExpression
{
    private readonly Expression _expression;

    private LiquidExpression(string source, Expression expression)
    {
        Source = source;
        _expression = expression;
    }

    public string Source { get; }

    /// <summary>The parsed expression, for the load-time checks of <see cref="LiquidNames"/>.</summary>
    internal Expression Syntax => _expression;

    public static bool TryParse(string source, out LiquidExpression? expression, out string? error, out int errorOffset)
    {
        if (LiquidSandbox.TryParseExpression(source, out var parsed, out error, out errorOffset))
        {
            expression = new LiquidExpression(source, parsed!);
            return true;
        }
        expression = null;
        return false;
    }

    public static LiquidExpression Parse(string source) =>
        TryParse(source, out var expression, out var error, out _) ? expression! : throw new FormatException(error);

    public FluidValue Evaluate(Scope scope)
    {
        var task = _expression.EvaluateAsync(scope.ConditionContext());
        return task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>True when the value is truthy in Liquid's sense; nil (a missing name) is false.</summary>
    public bool IsTrue(Scope scope) => Evaluate(scope).ToBooleanValue();

    /// <summary>
    /// The names the condition reads with the values they have in <paramref name="scope"/>, e.g.
    /// <c>event.properties.total = 12.9</c>: what a trace shows for a condition that was false.
    /// </summary>
    public string Explain(Scope scope)
    {
        var names = Names().Matches(Quoted().Replace(Source, "''")).Select(m => m.Value).Distinct(StringComparer.Ordinal);
        return string.Join(", ", names.Select(name =>
        {
            var value = Parse(name).Evaluate(scope);
            return value.IsNil() ? $"{name} = nil (missing)" : value is Fluid.Values.StringValue ? $"{name} = '{value.ToStringValue()}'" : $"{name} = {value.ToStringValue()}";
        }));
    }

    public override string ToString() => Source;

    // Built from the one list of roots, so that a root added there is explained here too.
    private static readonly System.Text.RegularExpressions.Regex NamePattern = new(
        $@"\b(?:{string.Join('|', LiquidNames.ConditionRoots)})(?:\.[A-Za-z_][A-Za-z0-9_]*)+",
        System.Text.RegularExpressions.RegexOptions.Compiled | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static System.Text.RegularExpressions.Regex Names() => NamePattern;

    [System.Text.RegularExpressions.GeneratedRegex("'[^']*'|\"[^\"]*\"")]
    private static partial System.Text.RegularExpressions.Regex Quoted();
}
