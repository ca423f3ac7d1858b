using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.Storage;
using Orchestrator.Worker.Journeys;

namespace Orchestrator.Worker.Http;

/// <summary>
/// What the worker's health is made of, in one place: the database takes writes, the scheduler runs timers, the
/// intake consumes (with RabbitMQ), and the journeys load. <c>/health</c> shows all of it; <c>/health/ready</c> and
/// <c>/health/live</c> are ASP.NET Core's health checks over the same parts.
/// </summary>
internal sealed class WorkerHealth(JourneyCatalogHost journeys, JourneyStorage storage, IServiceProvider services)
{
    public const string HttpOnly = "http only (Orchestrator:Messaging:Transport None)";

    /// <summary>Null when the database takes a write, else why not.</summary>
    public Task<string?> DatabaseAsync(CancellationToken cancellationToken) => storage.CheckAsync(cancellationToken);

    /// <summary>Null while the scheduler claims due wakeups as often as it should, else what is wrong.</summary>
    public string? Timers() => services.GetService<Orchestrator.Scheduling.SchedulerHeartbeat>()?.Problem();

    /// <summary>The intake's state; healthy when it is HTTP only.</summary>
    public Orchestrator.Messaging.IntakeHealth Intake() =>
        services.GetService<Orchestrator.Messaging.MessagingHealth>()?.Check() ?? new Orchestrator.Messaging.IntakeHealth(true, HttpOnly);

    /// <summary>Journey errors, held customers and version store problems: for attention, not a restart.</summary>
    public IReadOnlyList<string> Attention()
    {
        var lines = journeys.Diagnostics.Where(d => d.Severity == Core.Journeys.DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        lines.AddRange(journeys.Held.Select(h => $"{h.Active} customer(s) of {h.JourneyId} held: version {h.Version} is not loaded ({h.Reason})"));
        if (journeys.VersionStoreProblem is { } problem)
            lines.Add(problem);
        return lines;
    }
}

/// <summary>The parts of <see cref="WorkerHealth"/> as ASP.NET Core health checks, tagged "ready".</summary>
internal sealed class DatabaseHealthCheck(WorkerHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await health.DatabaseAsync(cancellationToken).ConfigureAwait(false) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy("takes writes");
}

internal sealed class TimersHealthCheck(WorkerHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.Timers() is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy("running"));
}

internal sealed class IntakeHealthCheck(WorkerHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.Intake() is var intake && intake.Healthy ? HealthCheckResult.Healthy(intake.Description) : HealthCheckResult.Unhealthy(intake.Description));
}

internal sealed class JourneysHealthCheck(WorkerHealth health) : IHealthCheck
{
    // Degraded, not unhealthy: the last good versions run, and a restart would fix none of it.
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.Attention() is { Count: > 0 } lines ? HealthCheckResult.Degraded(string.Join("; ", lines)) : HealthCheckResult.Healthy("loaded"));
}
