namespace Orchestrator.Worker.Tests;

internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The worker built in the same configuration as these tests (the test command builds the solution first).</summary>
    public static string WorkerDll => Built("Orchestrator.Worker", "orchestrator-worker.dll");

    /// <summary>The CLI, as a marketer runs it (<c>orchestrator report ... --format html</c>).</summary>
    public static string CliDll => Built("Orchestrator.Cli", "orchestrator.dll");

    private static string Built(string project, string dll)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        var path = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first", path);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
