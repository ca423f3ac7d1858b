// Where an error is in the file (file:line:col, inside quotes and scalars) and what a YAML syntax error means to the person editing it.
using Orchestrator.Core.Liquid;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

public static partial class JourneyLoader
{
    private sealed partial class FileParser
    {
        private SourceLocation At(YamlNode node) => new(file, (int)node.Start.Line, (int)node.Start.Column);

        /// <summary>The position of a scalar's text, inside its quotes.</summary>
        private SourceLocation ValueAt(YamlNode node) =>
            new(file, (int)node.Start.Line, (int)node.Start.Column + (node is YamlScalarNode { Style: ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted } ? 1 : 0));

        private void Error(SourceLocation where, string message)
        {
            _errors++;
            diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, where, message));
        }


        /// <summary>
        /// Where a problem at a line and column of a scalar's text is in the file. Only a single-line value that is
        /// not a block scalar maps column for column; otherwise the value's start is the best guess.
        /// </summary>
        private SourceLocation InScalar(YamlNode node, TemplateError problem)
        {
            var at = ValueAt(node);
            if (problem.Line != 1 || node is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded })
                return at;
            var (line, column) = LiquidSandbox.Offset(problem, at.Line, at.Column);
            return at with { Line = line, Column = column };
        }

        private static string Clean(YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            var paren = message.IndexOf("): ", StringComparison.Ordinal);
            message = paren > 0 && message.StartsWith('(') ? message[(paren + 3)..] : message;
            if (message.StartsWith("Duplicate key ", StringComparison.Ordinal))
                return $"'{message["Duplicate key ".Length..]}' appears twice in the same mapping";
            return message.TrimEnd('.');
        }

        private static (int Line, int Column)? FirstTabIndent(string yaml)
        {
            var lines = yaml.ReplaceLineEndings("\n").Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
                var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
                if (tab >= 0 && tab < indent)
                    return (i + 1, tab + 1);
            }
            return null;
        }

        /// <summary>What to do about a YAML syntax error, in the words of someone who edits the file.</summary>
        private static string YamlHint(YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            if (message.Contains("Duplicate key", StringComparison.Ordinal))
                return "keep only one of them";
            if (message.Contains("',' or ']'", StringComparison.Ordinal))
                return "a '[' list is not closed: end it with ']' or put quotes around the value";
            if (message.Contains("',' or '}'", StringComparison.Ordinal))
                return "a '{' mapping is not closed: end it with '}' or put quotes around the value";
            if (message.Contains("tab", StringComparison.Ordinal))
                return "indent with spaces, not tabs";
            if (message.Contains("cannot start any token", StringComparison.Ordinal))
                return "indent with spaces, not tabs, and put quotes around values that start with a special character such as '@', '`' or '%'";
            if (message.Contains("quoted scalar", StringComparison.Ordinal))
                return "a quoted value is not closed: end it with the same quote it starts with";
            if (message.Contains("invalid mapping", StringComparison.Ordinal) || message.Contains("mapping values are not allowed", StringComparison.Ordinal))
                return "put quotes around a value that contains ': ', and indent the keys of one mapping to the same column";
            return "check the indentation (spaces only; items of one list or mapping start in the same column), quotes and brackets on this line and the one before";
        }
    }
}

/// <summary>
/// Remembers where the last YAML event ended, to place errors that YamlDotNet reports without a position: YamlDotNet 16
/// throws <see cref="InvalidOperationException"/> on some unclosed flow collections ('{ a: b' or '[a' up to the end of
/// the text). Journey files and templates' front matter both read YAML through it.
/// </summary>
internal sealed class TrackingParser(IParser inner) : IParser
{
    /// <summary>What to say at <see cref="LastEnd"/> when YamlDotNet failed without a position.</summary>
    public const string LostMessage = "this is not valid YAML after this point: check that every '{' and '[' is closed and every quote ends";

    public Mark LastEnd { get; private set; } = Mark.Empty;

    public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        var moved = inner.MoveNext();
        if (inner.Current is { } current)
            LastEnd = current.End;
        return moved;
    }
}
