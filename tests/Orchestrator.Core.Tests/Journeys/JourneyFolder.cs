using System.Text;
using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>
/// A fresh folder of journey files and templates for one test, loaded with the real loader and deleted afterwards.
/// Files are written with '\n' line endings and a final newline, as an editor would save them.
/// </summary>
internal sealed class JourneyFolder : IDisposable
{
    public JourneyFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "orch-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(TemplateFolder);
    }

    public string Root { get; }

    public string TemplateFolder => Path.Combine(Root, "templates");

    /// <summary>Writes a journey file and returns its path, as diagnostics name it.</summary>
    public string Journey(string fileName, string yaml) => Write(Path.Combine(Root, fileName), yaml);

    /// <summary>Writes <c>templates/&lt;name&gt;.liquid</c> and returns its path.</summary>
    public string Template(string name, string text) => Write(Path.Combine(TemplateFolder, name + ".liquid"), text);

    /// <summary>Writes the plain-text part <c>templates/&lt;name&gt;.txt.liquid</c> and returns its path.</summary>
    public string TextPart(string name, string text) => Write(Path.Combine(TemplateFolder, name + ".txt.liquid"), text);

    /// <summary>A template with a subject and a trivial body, for journeys whose test is not about templates.</summary>
    public string SimpleTemplate(string name) => Template(name, """
        ---
        subject: "Hello {{ customer.firstName }}"
        ---
        <p>Hello</p>
        """);

    public LoadResult Load() => JourneyLoader.LoadFolder(Root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }

    private static string Write(string path, string text)
    {
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n", new UTF8Encoding(false));
        return path;
    }
}

/// <summary>Assertions on diagnostics that print every diagnostic when they fail.</summary>
internal static class Expect
{
    public static Diagnostic Error(LoadResult result, string file, int line, int column, string phrase) =>
        Find(result, DiagnosticSeverity.Error, file, line, column, phrase);

    public static Diagnostic Warning(LoadResult result, string file, int line, int column, string phrase) =>
        Find(result, DiagnosticSeverity.Warning, file, line, column, phrase);

    public static void ErrorCount(LoadResult result, int count) =>
        Assert.True(result.Errors.Count() == count, $"expected {count} error(s), got:\n{Describe(result)}");

    public static void NoDiagnostics(LoadResult result) =>
        Assert.True(result.Diagnostics.Count == 0, $"expected no diagnostics, got:\n{Describe(result)}");

    public static string Describe(LoadResult result) =>
        result.Diagnostics.Count == 0 ? "(none)" : string.Join("\n", result.Diagnostics);

    private static Diagnostic Find(LoadResult result, DiagnosticSeverity severity, string file, int line, int column, string phrase)
    {
        var location = new SourceLocation(file, line, column);
        var match = result.Diagnostics.FirstOrDefault(d =>
            d.Severity == severity && d.Location == location && d.Message.Contains(phrase, StringComparison.Ordinal));
        Assert.True(match is not null, $"expected {severity.ToString().ToLowerInvariant()} at {location} containing \"{phrase}\"; got:\n{Describe(result)}");
        return match!;
    }
}
