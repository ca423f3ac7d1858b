namespace Orchestrator.Core.Engine;

/// <summary>When an instance needs the engine again; firing it late or twice is harmless (the engine re-checks).</summary>
public sealed record Wakeup(string CustomerId, string InstanceId, DateTimeOffset DueAt);
