namespace Orchestrator.Core.Tests.Journeys;

/// <summary>Folders of this repository, found from the test's output folder.</summary>
internal static class RepositoryFolders
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The folder that holds <c>Orchestrator.sln</c>.</summary>
    public static string Root => RootFolder.Value;

    public static string Journeys => Path.Combine(Root, "journeys");

    public static IReadOnlyList<string> JourneyFiles =>
        Directory.EnumerateFiles(Journeys, "*.yaml").Concat(Directory.EnumerateFiles(Journeys, "*.yml"))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Orchestrator.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Orchestrator.sln");
    }
}
