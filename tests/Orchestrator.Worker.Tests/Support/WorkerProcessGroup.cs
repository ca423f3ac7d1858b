namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// Tests that run worker processes run one at a time: the end-to-end tests squeeze days into seconds, and a second
/// worker competing for the two cores would make their real-time waits late.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkerProcessGroup
{
    public const string Name = "worker processes";
}
