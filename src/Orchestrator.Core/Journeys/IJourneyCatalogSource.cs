namespace Orchestrator.Core.Journeys;

/// <summary>The journeys in force right now; the worker's changes when files change, the simulator's never.</summary>
public interface IJourneyCatalogSource
{
    JourneyCatalog Current { get; }
}
