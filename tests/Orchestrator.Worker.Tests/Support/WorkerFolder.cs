namespace Orchestrator.Worker.Tests.Support;

/// <summary>A temporary folder for one worker: its journeys, database, schedule and mail. Deleted when disposed.</summary>
internal sealed class WorkerFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("orch-worker").FullName;

    public string Journeys => System.IO.Path.Combine(Path, "journeys");

    public string Database => WorkerProcess.DatabaseIn(Path);

    public string Eml => System.IO.Path.Combine(Path, "eml");

    /// <summary>Copies the repository's sample journeys and templates into <see cref="Journeys"/>.</summary>
    public WorkerFolder WithSampleJourneys()
    {
        var source = System.IO.Path.Combine(RepoPaths.Root, "journeys");
        Directory.CreateDirectory(System.IO.Path.Combine(Journeys, "templates"));
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(source, "templates")))
            File.Copy(file, System.IO.Path.Combine(Journeys, "templates", System.IO.Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(source, "*.yaml"))
            File.Copy(file, System.IO.Path.Combine(Journeys, System.IO.Path.GetFileName(file)));
        return this;
    }

    /// <summary>One journey, <c>welcome</c>: <c>signed.up</c> enters and gets one email at once (with an unsubscribe link).</summary>
    public async Task WithWelcomeJourneyAsync()
    {
        Directory.CreateDirectory(System.IO.Path.Combine(Journeys, "templates"));
        await File.WriteAllTextAsync(System.IO.Path.Combine(Journeys, "welcome.yaml"), """
            id: welcome
            name: Welcome
            entry:
              event: signed.up
            steps:
              - id: hello
                email:
                  template: hello
            """);
        await File.WriteAllTextAsync(System.IO.Path.Combine(Journeys, "templates", "hello.liquid"),
            "---\nsubject: \"Welcome\"\n---\n<p>Hello.</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n");
    }

    public Dictionary<string, string> Settings(int httpPort) => WorkerProcess.Settings(Path, Journeys, httpPort);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the temp folder is cleaned by the OS later.
        }
    }
}
