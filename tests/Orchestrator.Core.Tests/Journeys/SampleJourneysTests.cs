using Orchestrator.Core.Journeys;

namespace Orchestrator.Core.Tests.Journeys;

/// <summary>The journeys shipped in the repository's <c>journeys/</c> folder are data, and tested as data.</summary>
public sealed class SampleJourneysTests
{
    private static readonly string[] StepKinds = ["email", "wait", "wait_until", "wait_for", "branch", "split", "exit"];

    [Fact]
    public void There_are_sample_journeys() =>
        Assert.NotEmpty(RepositoryFolders.JourneyFiles);

    [Fact]
    public void Every_sample_journey_loads_without_errors_or_warnings()
    {
        var result = JourneyLoader.LoadFolder(RepositoryFolders.Journeys);

        Expect.NoDiagnostics(result);
        Assert.Empty(result.BrokenFiles);
        Assert.Equal(RepositoryFolders.JourneyFiles.Count, result.Journeys.Count);
    }

    [Fact]
    public void Together_the_sample_journeys_use_every_step_kind()
    {
        var result = JourneyLoader.LoadFolder(RepositoryFolders.Journeys);

        var used = result.Journeys.SelectMany(j => j.Steps).Select(s => s.Kind).ToHashSet(StringComparer.Ordinal);

        Assert.All(StepKinds, kind => Assert.Contains(kind, used));
    }

    [Fact]
    public void Each_sample_file_is_named_after_its_journey_id()
    {
        var result = JourneyLoader.LoadFolder(RepositoryFolders.Journeys);

        Assert.All(result.Journeys, j => Assert.Equal(j.Id, Path.GetFileNameWithoutExtension(j.SourceFile)));
    }
}
