using System.Collections.Concurrent;
using System.Reflection;

namespace Orchestrator.Pages;

/// <summary>
/// The scripts and the style sheet embedded in this assembly at build time (see the .csproj): the chart and map
/// libraries from npm, and the pages' own few lines. The worker serves them under <c>/assets/</c>; an exported page
/// carries them inline.
/// </summary>
public static class PageAssets
{
    /// <summary>In the order a page loads them: vega-embed needs vega and vega-lite as globals; pages.js needs all.</summary>
    public static readonly IReadOnlyList<string> Scripts = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "mermaid.min.js", "pages.js"];

    public const string StyleSheet = "pages.css";

    private static readonly ConcurrentDictionary<string, byte[]?> Cache = new(StringComparer.Ordinal);

    /// <summary>The asset's bytes, or null when there is no asset of that name.</summary>
    public static byte[]? Read(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream("assets/" + n);
        if (stream is null)
            return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static string ReadText(string name) =>
        System.Text.Encoding.UTF8.GetString(Read(name) ?? throw new InvalidOperationException($"asset {name} is not embedded (was npm ci run by the build?)"));

    public static string ContentType(string name) => name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";

    /// <summary>The assembly's version, in the assets' links: browsers cache the assets for a day, and a new build
    /// (which may embed other library versions) is fetched again because its links differ.</summary>
    public static string Version { get; } = typeof(PageAssets).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1";
}
