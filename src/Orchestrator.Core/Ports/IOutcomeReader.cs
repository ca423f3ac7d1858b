using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Ports;

/// <summary>Reads the analysis store: one row per outcome.</summary>
public interface IOutcomeReader
{
    /// <summary>Outcomes in the simulator's order (time, then customer, then recording order).</summary>
    Task<IReadOnlyList<Outcome>> ReadOutcomesAsync(CancellationToken cancellationToken);
}
