using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orchestrator.Core.Ports;
using Orchestrator.Email;
using Orchestrator.Storage;
using Orchestrator.Worker.Journeys;

namespace Orchestrator.Worker.Http;

/// <summary>
/// What the worker's health is made of, in one place: the database takes writes, the scheduler runs timers, the
/// intake consumes (with RabbitMQ), and the journeys load; and, degraded rather than unhealthy because nothing is lost
/// while they wait, the mail server accepts mail, the outbox's due sends go out and due timers run
/// (<see cref="HealthOptions"/>). <c>/health</c> shows all of it; <c>/health/ready</c> and <c>/health/live</c> are
/// ASP.NET Core's health checks over the same parts.
/// </summary>
internal sealed class WorkerHealth(JourneyCatalogHost journeys, JourneyStorage storage, IServiceProvider services, BacklogWatch backlog,
    IOptions<HealthOptions> options, TimeProvider time)
{
    public const string HttpOnly = "http only (Orchestrator:Messaging:Transport None)";

    /// <summary>Null when the database takes a write, else why not.</summary>
    public Task<string?> DatabaseAsync(CancellationToken cancellationToken) => storage.CheckAsync(cancellationToken);

    /// <summary>Null while the scheduler claims due wakeups as often as it should, else what is wrong.</summary>
    public string? Timers() => services.GetService<Orchestrator.Scheduling.SchedulerHeartbeat>()?.Problem();

    /// <summary>The intake's state; healthy when it is HTTP only.</summary>
    public Orchestrator.Messaging.IntakeHealth Intake() =>
        services.GetService<Orchestrator.Messaging.MessagingHealth>()?.Check() ?? new Orchestrator.Messaging.IntakeHealth(true, HttpOnly);

    /// <summary>The mail server as the outbox dispatcher saw it.</summary>
    public MailServerSnapshot MailServer() => services.GetService<OutboxDispatcher>()?.MailServer.Current ?? MailServerSnapshot.Idle;

    /// <summary>Healthy while hand-offs are accepted, or none was tried ("idle"); degraded once they have failed for
    /// longer than <see cref="HealthOptions.SmtpFailingForSeconds"/> or <see cref="HealthOptions.SmtpFailuresInARow"/> times in a row.</summary>
    public HealthCheckResult JudgeMailServer(MailServerSnapshot server) => JudgeMailServer(server, options.Value, time.GetUtcNow());

    internal static HealthCheckResult JudgeMailServer(MailServerSnapshot server, HealthOptions o, DateTimeOffset now)
    {
        var accepted = server.LastSuccessAt is { } success ? $"last accepted a mail {Ago(success, now)}" : "has accepted no mail since the start";
        if (server.IsIdle)
            return HealthCheckResult.Healthy("idle: nothing handed to the mail server since the start");
        if (server.FailingSince is not { } since)
            return HealthCheckResult.Healthy($"the mail server {accepted}");
        var failing = now - since;
        var run = $"{server.ConsecutiveFailures} hand-off(s) in a row failed over {failing.TotalSeconds:0} s, the last {Ago(server.LastFailureAt!.Value, now)}: {server.LastFailure}; the mail server {accepted}";
        return server.ConsecutiveFailures >= o.SmtpFailuresInARow || failing > TimeSpan.FromSeconds(o.SmtpFailingForSeconds)
            ? HealthCheckResult.Degraded($"mail waits in the outbox: {run} (degraded after {o.SmtpFailuresInARow} in a row or {o.SmtpFailingForSeconds} s, {HealthOptions.SectionName})")
            : HealthCheckResult.Healthy(run);
    }

    /// <summary>The store's queued sends and due wakeups (cached for a few seconds); null with the reason when it cannot be read.</summary>
    public async Task<(Backlog? Backlog, string? Problem)> BacklogAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await backlog.ReadAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (null, "the backlog cannot be read: " + ex.Message);
        }
    }

    /// <summary>Degraded when the oldest due send has waited longer than <see cref="HealthOptions.OutboxWaitSeconds"/>.</summary>
    public HealthCheckResult JudgeOutbox(Backlog backlog) => JudgeOutbox(backlog, options.Value);

    internal static HealthCheckResult JudgeOutbox(Backlog backlog, HealthOptions o)
    {
        var limit = o.OutboxWaitSeconds;
        var wait = backlog.OldestDueSendWait;
        var numbers = $"{backlog.QueuedSends} queued, {backlog.DueSends} due" + (backlog.DueSends > 0 ? $", the oldest due waiting {wait.TotalSeconds:0} s" : "");
        return wait > TimeSpan.FromSeconds(limit)
            ? HealthCheckResult.Degraded($"sends wait to go out: {numbers} (over {limit} s, {HealthOptions.SectionName}:OutboxWaitSeconds)")
            : HealthCheckResult.Healthy(numbers);
    }

    /// <summary>Degraded when the oldest due wakeup is later than <see cref="HealthOptions.WakeupLatenessSeconds"/>.</summary>
    public HealthCheckResult JudgeWakeups(Backlog backlog) => JudgeWakeups(backlog, options.Value);

    internal static HealthCheckResult JudgeWakeups(Backlog backlog, HealthOptions o)
    {
        var limit = o.WakeupLatenessSeconds;
        var late = backlog.OldestDueWakeupLateness;
        var numbers = $"{backlog.DueWakeups} due" + (backlog.DueWakeups > 0 ? $", the oldest {late.TotalSeconds:0} s late" : "");
        return late > TimeSpan.FromSeconds(limit)
            ? HealthCheckResult.Degraded($"timers run late: {numbers} (over {limit} s, {HealthOptions.SectionName}:WakeupLatenessSeconds)")
            : HealthCheckResult.Healthy(numbers);
    }

    private static string Ago(DateTimeOffset at, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (now - at).TotalSeconds):0} s ago ({at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})");

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

/// <summary>The mail server, degraded (not unhealthy) while hand-offs fail: mail waits in the outbox, nothing is lost.</summary>
internal sealed class SmtpHealthCheck(WorkerHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.JudgeMailServer(health.MailServer()));
}

/// <summary>
/// The outbox's due sends. Degraded also when the backlog cannot be read: the database check says unhealthy then, and
/// a second unhealthy part would add nothing.
/// </summary>
internal sealed class OutboxHealthCheck(WorkerHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await health.BacklogAsync(cancellationToken).ConfigureAwait(false) switch
        {
            ({ } backlog, _) => health.JudgeOutbox(backlog),
            (_, var problem) => HealthCheckResult.Degraded(problem),
        };
}

/// <summary>The due wakeups (timers), as <see cref="OutboxHealthCheck"/>.</summary>
internal sealed class WakeupsHealthCheck(WorkerHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await health.BacklogAsync(cancellationToken).ConfigureAwait(false) switch
        {
            ({ } backlog, _) => health.JudgeWakeups(backlog),
            (_, var problem) => HealthCheckResult.Degraded(problem),
        };
}
