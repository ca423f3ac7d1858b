namespace Orchestrator.Core.Journeys;

/// <summary>What loading a folder of journeys gave: the valid journeys and every error and warning of every file.</summary>
public sealed record LoadResult(IReadOnlyList<JourneyDefinition> Journeys, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> BrokenFiles)
{
    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}

/// <summary>
/// Reads journey files (<c>*.yaml</c>) and their templates from a folder and validates them against the journey
/// language. It never stops at the first problem: every error of every file is reported with <c>file:line:col</c>.
/// </summary>
public static partial class JourneyLoader
{
    /// <summary>Loads every <c>*.yaml</c>/<c>*.yml</c> file of <paramref name="folder"/>; templates come from its <c>templates</c> folder.</summary>
    public static LoadResult LoadFolder(string folder)
    {
        var diagnostics = new List<Diagnostic>();
        if (!Directory.Exists(folder))
        {
            diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, new SourceLocation(folder, 1, 1), "the journeys folder does not exist; pass the folder that holds your *.yaml journey files"));
            return new LoadResult([], diagnostics, []);
        }
        var files = Directory.EnumerateFiles(folder, "*.yaml").Concat(Directory.EnumerateFiles(folder, "*.yml"))
            .Order(StringComparer.Ordinal).ToList();
        return LoadFiles(files, Path.Combine(folder, "templates"), diagnostics);
    }

    public static LoadResult LoadFiles(IReadOnlyList<string> files, string templateFolder, List<Diagnostic>? diagnostics = null)
    {
        diagnostics ??= [];
        var templates = new TemplateLibrary(templateFolder, diagnostics);
        var journeys = new List<JourneyDefinition>();
        var broken = new List<string>();
        var firstDefinition = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var before = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            var journey = new FileParser(file, File.ReadAllText(file), templates, diagnostics).Parse(out var idLocation);
            if (journey is not null && idLocation is { } at)
            {
                if (firstDefinition.TryGetValue(journey.Id, out var first))
                {
                    diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, at,
                        $"journey id '{journey.Id}' is already used by {first.File}:{first.Line}; journey ids must be unique across all files, so rename one"));
                    journey = null;
                }
                else
                {
                    firstDefinition[journey.Id] = at;
                }
            }
            if (journey is not null && diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error) == before)
                journeys.Add(journey);
            else
                broken.Add(file);
        }
        templates.WarnUnused();
        return new LoadResult(journeys, diagnostics, broken);
    }

    /// <summary>
    /// Parses a stored version again, its templates from the stored text, as if its file lay in <paramref name="folder"/>.
    /// The result's version is the hash of that text, so it equals the stored one unless the text was altered.
    /// </summary>
    public static LoadResult LoadStored(JourneySource source, string folder)
    {
        var diagnostics = new List<Diagnostic>();
        var file = Path.Combine(folder, source.FileName);
        var templates = new TemplateLibrary(Path.Combine(folder, "templates"), diagnostics, source.TemplateFiles);
        var journey = new FileParser(file, source.Yaml, templates, diagnostics).Parse(out _);
        var ok = journey is not null && !diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new LoadResult(ok ? [journey!] : [], diagnostics, ok ? [] : [file]);
    }

    /// <summary>Parses one journey file's text; for tests and tools that hold the text already.</summary>
    public static LoadResult LoadText(string file, string yaml, string templateFolder)
    {
        var diagnostics = new List<Diagnostic>();
        var journey = new FileParser(file, yaml, new TemplateLibrary(templateFolder, diagnostics), diagnostics).Parse(out _);
        var ok = journey is not null && !diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new LoadResult(ok ? [journey!] : [], diagnostics, ok ? [] : [file]);
    }
}
