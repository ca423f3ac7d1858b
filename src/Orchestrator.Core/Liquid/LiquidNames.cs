using Fluid;
using Fluid.Ast;
using Fluid.Parser;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Liquid;

/// <summary>
/// The names and filters a journey's Liquid may use, and the check that finds the others when the journeys are
/// loaded: a misspelt root (<c>evnt.properties.total</c>) or filter (<c>| defualt</c>) would otherwise be nil or
/// do nothing at send time, and nobody would notice. Conditions and templates are checked here, in one place.
/// </summary>
internal static class LiquidNames
{
    /// <summary>What every condition (<c>when</c>) and <c>key</c> can read: the roots <c>EngineScopes.BuildScope</c> sets.</summary>
    public static readonly IReadOnlyList<string> ConditionRoots = ["event", "entry", "customer", "journey"];

    /// <summary>What a template can read: the condition roots, <c>send</c> and <c>unsubscribe_url</c>, which the engine adds for every render.</summary>
    public static readonly IReadOnlyList<string> TemplateRoots = [.. ConditionRoots, "send", Engine.UnsubscribeLink.TemplateName];

    /// <summary>Names Liquid itself provides inside its loops.</summary>
    private static readonly string[] LoopNames = ["forloop", "tablerowloop"];

    /// <summary>The filters a template can use: Liquid's standard ones and <c>required</c>, as the sandbox registers them.</summary>
    public static IEnumerable<string> Filters => LiquidSandbox.Options.Filters.Select(f => f.Key);

    /// <summary>Unknown roots of a condition, at 1-based line and column of its source.</summary>
    public static IReadOnlyList<TemplateError> CheckCondition(LiquidExpression expression)
    {
        var names = new NameCollector();
        names.Visit(expression.Syntax);
        return Problems(names, expression.Source, template: false);
    }

    /// <summary>Unknown roots and filters of a template, at 1-based line and column of <paramref name="source"/>.</summary>
    public static IReadOnlyList<TemplateError> CheckTemplate(IFluidTemplate template, string source)
    {
        var names = new NameCollector();
        if (template is FluidTemplate parsed)
        {
            foreach (var statement in parsed.Statements)
                names.Visit(statement);
        }
        return Problems(names, source, template: true);
    }

    private static List<TemplateError> Problems(NameCollector names, string source, bool template)
    {
        var roots = template ? TemplateRoots : ConditionRoots;
        var inScope = new HashSet<string>(roots.Concat(names.Locals).Concat(LoopNames), StringComparer.Ordinal);
        var badRoots = names.Roots.Where(r => !inScope.Contains(r)).ToHashSet(StringComparer.Ordinal);
        var badFilters = names.Filters.Where(f => !LiquidSandbox.Options.Filters.TryGetValue(f, out _)).ToHashSet(StringComparer.Ordinal);
        var problems = new List<TemplateError>();
        if (badRoots.Count == 0 && badFilters.Count == 0)
            return problems;

        var tokens = LiquidTokens.Scan(source, template).ToList();
        void Report(HashSet<string> bad, LiquidTokens.Role role, Func<string, string> message)
        {
            foreach (var name in bad.Order(StringComparer.Ordinal))
            {
                var found = tokens.Where(t => t.Role == role && t.Name == name).Select(t => t.Offset).ToList();
                if (found.Count == 0)
                    found.Add(Math.Max(0, source.IndexOf(name, StringComparison.Ordinal)));
                problems.AddRange(found.Select(offset => At(source, offset, message(name))));
            }
        }
        var rootList = string.Join(", ", roots.Take(roots.Count - 1)) + " and " + roots[^1];
        var reads = template
            ? $"a template can read {rootList}, and the names it sets with assign, capture or for"
            : $"a condition can read {rootList}";
        Report(badRoots, LiquidTokens.Role.Root, name => !template && TemplateRoots.Contains(name)
            ? $"'{name}' is only in scope in email templates ({reads})"
            : $"'{name}' is not a name in scope{Suggest.DidYouMean(name, inScope)} ({reads})");
        Report(badFilters, LiquidTokens.Role.Filter, name =>
            $"'{name}' is not a Liquid filter{Suggest.DidYouMean(name, Filters)} (the filters are Liquid's standard ones, such as default, upcase, date and round, and 'required')");
        return problems.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList();
    }

    private static TemplateError At(string source, int offset, string message)
    {
        var before = source[..offset];
        var lineStart = before.LastIndexOf('\n') + 1;
        return new TemplateError(before.Count(c => c == '\n') + 1, offset - lineStart + 1, message);
    }

    /// <summary>
    /// Every root name (the first segment of <c>a.b[0].c</c>) and filter a template or expression uses, and the
    /// names it defines itself. A name defined anywhere counts as defined everywhere: the check is for typos, not
    /// for the order of <c>assign</c>s.
    /// </summary>
    private sealed class NameCollector : AstVisitor
    {
        public List<string> Roots { get; } = [];

        public List<string> Filters { get; } = [];

        public HashSet<string> Locals { get; } = new(StringComparer.Ordinal);

        protected override Expression VisitMemberExpression(MemberExpression memberExpression)
        {
            if (memberExpression.Segments.Count > 0 && memberExpression.Segments[0] is IdentifierSegment root)
                Roots.Add(root.Identifier);
            return base.VisitMemberExpression(memberExpression);
        }

        protected override Expression VisitFilterExpression(FilterExpression filterExpression)
        {
            Filters.Add(filterExpression.Name);
            return base.VisitFilterExpression(filterExpression);
        }

        protected override Statement VisitAssignStatement(AssignStatement assignStatement)
        {
            Locals.Add(assignStatement.Identifier);
            return base.VisitAssignStatement(assignStatement);
        }

        protected override Statement VisitCaptureStatement(CaptureStatement captureStatement)
        {
            Locals.Add(captureStatement.Identifier);
            return base.VisitCaptureStatement(captureStatement);
        }

        protected override Statement VisitForStatement(ForStatement forStatement)
        {
            Locals.Add(forStatement.Identifier);
            return base.VisitForStatement(forStatement);
        }

        protected override Statement VisitTableRowStatement(TableRowStatement tableRowStatement)
        {
            Locals.Add(tableRowStatement.Identifier);
            return base.VisitTableRowStatement(tableRowStatement);
        }

        protected override Statement VisitIncrementStatement(IncrementStatement incrementStatement)
        {
            Locals.Add(incrementStatement.Identifier);
            return base.VisitIncrementStatement(incrementStatement);
        }

        protected override Statement VisitDecrementStatement(DecrementStatement decrementStatement)
        {
            Locals.Add(decrementStatement.Identifier);
            return base.VisitDecrementStatement(decrementStatement);
        }

        protected override Statement VisitMacroStatement(MacroStatement macroStatement)
        {
            Locals.Add(macroStatement.Identifier);
            foreach (var argument in macroStatement.Arguments)
                Locals.Add(argument.Name);
            return base.VisitMacroStatement(macroStatement);
        }
    }
}

/// <summary>
/// Where names are written in Liquid source. Fluid's syntax tree has no positions, so the check finds what is
/// wrong in the tree and where it is written here: identifiers inside <c>{{ }}</c> and <c>{% %}</c> (or the whole
/// text, for a condition), outside quotes, raw and comment blocks.
/// </summary>
internal static class LiquidTokens
{
    public enum Role
    {
        /// <summary>The first name of a path, a tag name or a keyword: <c>customer</c> in <c>customer.firstName</c>.</summary>
        Root,

        /// <summary>The name right after a <c>|</c>.</summary>
        Filter,

        /// <summary>A member after a <c>.</c>.</summary>
        Member,
    }

    public readonly record struct Token(int Offset, string Name, Role Role);

    public static IEnumerable<Token> Scan(string source, bool template)
    {
        var regions = template ? Markup(source) : [(0, source.Length)];
        foreach (var (start, end) in regions)
        {
            var previous = '\0';
            var i = start;
            while (i < end)
            {
                var c = source[i];
                if (c is '\'' or '"')
                {
                    var close = source.IndexOf(c, i + 1);
                    i = close < 0 || close >= end ? end : close + 1;
                    previous = c;
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var j = i + 1;
                    while (j < end && (char.IsLetterOrDigit(source[j]) || source[j] is '_' or '-'))
                        j++;
                    var name = source[i..j].TrimEnd('-');
                    yield return new Token(i, name, previous switch { '|' => Role.Filter, '.' => Role.Member, _ => Role.Root });
                    previous = 'a';
                    i = j;
                }
                else if (char.IsDigit(c))
                {
                    while (i < end && (char.IsDigit(source[i]) || source[i] == '.') && !(source[i] == '.' && i + 1 < end && source[i + 1] == '.'))
                        i++;
                    previous = '0';
                }
                else
                {
                    if (!char.IsWhiteSpace(c))
                        previous = c;
                    i++;
                }
            }
        }
    }

    /// <summary>The insides of every <c>{{ … }}</c> and <c>{% … %}</c>, without raw and comment blocks and inline <c>#</c> comments.</summary>
    private static List<(int Start, int End)> Markup(string source)
    {
        var regions = new List<(int, int)>();
        var i = 0;
        while (i < source.Length)
        {
            var open = source.IndexOf('{', i);
            if (open < 0 || open + 1 >= source.Length)
                break;
            var kind = source[open + 1];
            if (kind is not ('{' or '%'))
            {
                i = open + 1;
                continue;
            }
            var closer = kind == '{' ? "}}" : "%}";
            var close = source.IndexOf(closer, open + 2, StringComparison.Ordinal);
            if (close < 0)
                close = source.Length;
            var inside = source[(open + 2)..close].Trim().TrimStart('-').TrimStart();
            i = Math.Min(source.Length, close + 2);
            if (kind == '%' && inside.StartsWith('#'))
                continue;
            if (kind == '%' && BlockName(inside) is "raw" or "comment")
            {
                var end = source.IndexOf("end" + BlockName(inside), i, StringComparison.Ordinal);
                var after = end < 0 ? -1 : source.IndexOf("%}", end, StringComparison.Ordinal);
                i = after < 0 ? source.Length : after + 2;
                continue;
            }
            regions.Add((open + 2, close));
        }
        return regions;
    }

    private static string BlockName(string inside)
    {
        var length = 0;
        while (length < inside.Length && char.IsLetter(inside[length]))
            length++;
        return inside[..length];
    }
}
