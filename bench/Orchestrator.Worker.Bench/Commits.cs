namespace Orchestrator.Bench.Intake;

/// <summary>The worker's commits over a run, from its <c>/metrics</c>: how many, their total time, and the events and
/// timers they decided.</summary>
internal sealed record Commits(double Count, double Seconds, double Decisions);
