using Fluid;
using Orchestrator.Core.Liquid;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

/// <summary>
/// The templates of one <c>journeys/templates</c> folder: <c>&lt;name&gt;.liquid</c> (front matter + HTML) and the
/// optional <c>&lt;name&gt;.txt.liquid</c>. Each file is parsed once; its errors are reported once.
/// </summary>
internal sealed class TemplateLibrary
{
    private static readonly string[] FrontMatterKeys = ["subject", "from", "preheader"];

    private readonly string _folder;
    private readonly List<Diagnostic> _diagnostics;
    private readonly IReadOnlyDictionary<string, string>? _stored;
    private readonly Dictionary<string, Loaded?> _cache = new(StringComparer.Ordinal);

    /// <param name="folder">Where the template files are (and what diagnostics name).</param>
    /// <param name="diagnostics">Receives every problem found.</param>
    /// <param name="stored">The files by name, instead of the folder's: a stored version parsed again (<see cref="JourneySource"/>).</param>
    public TemplateLibrary(string folder, List<Diagnostic> diagnostics, IReadOnlyDictionary<string, string>? stored = null)
    {
        _folder = folder;
        _diagnostics = diagnostics;
        _stored = stored;
    }

    /// <param name="Files">The raw text of each file the template was read from, by file name, to store with a version.</param>
    public sealed record Loaded(EmailTemplate? Template, string Content, bool HasSubject, IReadOnlyDictionary<string, string> Files);

    public IEnumerable<string> Names => FileNames()
        .Where(n => n.EndsWith(".liquid", StringComparison.Ordinal) && !n.EndsWith(".txt.liquid", StringComparison.Ordinal))
        .Select(n => n[..^".liquid".Length])
        .Order(StringComparer.Ordinal);

    private IEnumerable<string> FileNames() => _stored?.Keys
        ?? (Directory.Exists(_folder) ? Directory.EnumerateFiles(_folder, "*.liquid").Select(f => Path.GetFileName(f)) : []);

    private bool TryRead(string fileName, out string text)
    {
        if (_stored is not null)
            return _stored.TryGetValue(fileName, out text!);
        var path = Path.Combine(_folder, fileName);
        text = File.Exists(path) ? File.ReadAllText(path) : null!;
        return text is not null;
    }

    /// <summary>The template, or null when its file does not exist. A file with errors gives a Loaded without a template.</summary>
    public Loaded? Get(string name)
    {
        if (_cache.TryGetValue(name, out var cached))
            return cached;
        Loaded? loaded = null;
        if (TryRead(name + ".liquid", out var html))
            loaded = Load(name, html);
        _cache[name] = loaded;
        return loaded;
    }

    private Loaded Load(string name, string rawHtml)
    {
        var errors = _diagnostics.Count;
        var htmlPath = Path.Combine(_folder, name + ".liquid");
        var textPath = Path.Combine(_folder, name + ".txt.liquid");
        var files = new Dictionary<string, string>(StringComparer.Ordinal) { [name + ".liquid"] = rawHtml };
        var source = rawHtml.ReplaceLineEndings("\n");
        var lines = source.Split('\n');
        IFluidTemplate? subject = null, from = null, preheader = null;
        var bodyStartLine = 1;
        if (lines.Length > 0 && lines[0].TrimEnd() == "---")
        {
            var close = Array.FindIndex(lines, 1, l => l.TrimEnd() == "---");
            if (close < 0)
            {
                Error(htmlPath, 1, 1, "the front matter that starts here is never closed: end it with a line '---' before the HTML body");
            }
            else
            {
                var frontMatter = string.Join('\n', lines[1..close]);
                ParseFrontMatter(htmlPath, frontMatter, ref subject, ref from, ref preheader);
                bodyStartLine = close + 2;
            }
        }
        var body = string.Join('\n', lines[(bodyStartLine - 1)..]);
        var html = ParseLiquid(htmlPath, body, bodyStartLine, 1);

        IFluidTemplate? text = null;
        var content = source;
        if (TryRead(name + ".txt.liquid", out var rawText))
        {
            files[name + ".txt.liquid"] = rawText;
            var textSource = rawText.ReplaceLineEndings("\n");
            content += "\0" + textSource;
            text = ParseLiquid(textPath, textSource, 1, 1);
        }
        if (_diagnostics.Count > errors || html is null)
            return new Loaded(null, content, subject is not null, files);
        // Without a subject in its front matter, a template is usable only by email steps that give their own.
        var template = new EmailTemplate { Name = name, Subject = subject ?? Parse(""), From = from, Preheader = preheader, Html = html, Text = text };
        return new Loaded(template, content, subject is not null, files);
    }

    private static IFluidTemplate Parse(string source) =>
        LiquidSandbox.TryParseTemplate(source, out var t, out _) ? t! : throw new InvalidOperationException("empty template");

    private void ParseFrontMatter(string path, string frontMatter, ref IFluidTemplate? subject, ref IFluidTemplate? from, ref IFluidTemplate? preheader)
    {
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(frontMatter)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            Error(path, (int)ex.Start.Line + 1, (int)ex.Start.Column, $"the front matter is not valid YAML: {ex.Message}");
            return;
        }
        catch (InvalidOperationException)
        {
            // The front matter starts on the file's second line.
            Error(path, Math.Max(1, (int)parser.LastEnd.Line) + 1, Math.Max(1, (int)parser.LastEnd.Column), $"the front matter: {TrackingParser.LostMessage}");
            return;
        }
        if (stream.Documents.Count == 0)
            return;
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            var n = stream.Documents[0].RootNode;
            Error(path, (int)n.Start.Line + 1, (int)n.Start.Column, "the front matter must be 'key: value' lines (subject, from, preheader)");
            return;
        }
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var line = (int)valueNode.Start.Line + 1;
            var column = (int)valueNode.Start.Column + (valueNode is YamlScalarNode { Style: ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted } ? 1 : 0);
            if (valueNode is not YamlScalarNode scalar)
            {
                Error(path, line, column, $"'{key}' must be text");
                continue;
            }
            var parsed = ParseLiquid(path, scalar.Value ?? "", line, column);
            switch (key)
            {
                case "subject": subject = parsed; break;
                case "from": from = parsed; break;
                case "preheader": preheader = parsed; break;
                default:
                    Error(path, (int)keyNode.Start.Line + 1, (int)keyNode.Start.Column,
                        $"unknown front matter field '{key}'{Suggest.DidYouMean(key, FrontMatterKeys)} (known: subject, from, preheader)");
                    break;
            }
        }
    }

    /// <summary>
    /// Warns about every template no journey asked for (<see cref="Get"/>), and every plain-text part without its
    /// HTML template: nothing can send them, so they are usually a misspelt name or a leftover. Warnings, not
    /// errors: a template written before the journey that will use it is fine.
    /// </summary>
    public void WarnUnused()
    {
        if (_stored is not null || !Directory.Exists(_folder))
            return;
        foreach (var name in Names.Where(n => !_cache.ContainsKey(n)))
        {
            Warning(Path.Combine(_folder, name + ".liquid"),
                $"template '{name}' is not used by any journey: name it in an email step ('template: {name}') or delete the file");
        }
        foreach (var textPath in Directory.EnumerateFiles(_folder, "*.txt.liquid").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(textPath)[..^".txt.liquid".Length];
            if (!File.Exists(Path.Combine(_folder, name + ".liquid")))
            {
                Warning(textPath,
                    $"the plain-text part '{name}.txt.liquid' has no HTML template '{name}.liquid', so it is never sent: add {name}.liquid or rename the file");
            }
        }
    }

    /// <summary>Parses Liquid that starts at <paramref name="line"/>:<paramref name="column"/> of <paramref name="path"/>.</summary>
    private IFluidTemplate? ParseLiquid(string path, string source, int line, int column)
    {
        if (LiquidSandbox.TryParseTemplateAt(source, out var template, out var error))
        {
            foreach (var problem in LiquidNames.CheckTemplate(template!, source))
            {
                var where = LiquidSandbox.Offset(problem, line, column);
                Error(path, where.Line, where.Column, problem.Message);
            }
            return template;
        }
        var at = LiquidSandbox.Offset(error!, line, column);
        Error(path, at.Line, at.Column, $"invalid Liquid: {error!.Message}");
        return null;
    }

    private void Warning(string path, string message) =>
        _diagnostics.Add(new Diagnostic(DiagnosticSeverity.Warning, new SourceLocation(path, 1, 1), message));

    private void Error(string path, int line, int column, string message) =>
        _diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, new SourceLocation(path, line, column), message));
}
