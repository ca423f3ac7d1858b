using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.Core.Ports;
using Orchestrator.Email;
using Orchestrator.Worker.Http;

namespace Orchestrator.Worker.Tests.Http;

/// <summary>When the mail server, the outbox and the timers are degraded: the rules of <see cref="WorkerHealth"/>, without a process.</summary>
public sealed class HealthRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly HealthOptions Limits = new() { SmtpFailuresInARow = 3, SmtpFailingForSeconds = 300, OutboxWaitSeconds = 120, WakeupLatenessSeconds = 60 };

    private static readonly SendResult Refused = new(SendStatus.TransientFailure, "connection failed: ConnectionRefused: Connection refused");

    [Fact]
    public void A_mail_server_not_tried_yet_is_idle_and_healthy()
    {
        var state = new MailServerState();
        Assert.True(state.Current.IsIdle);
        var result = WorkerHealth.JudgeMailServer(state.Current, Limits, T0);
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.StartsWith("idle", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_in_a_row_degrade_at_the_limit_and_an_accepted_mail_ends_the_run()
    {
        var state = new MailServerState();
        state.Record(SendResult.Ok, T0);
        state.Record(Refused, T0.AddSeconds(1));
        state.Record(Refused, T0.AddSeconds(2));
        var two = WorkerHealth.JudgeMailServer(state.Current, Limits, T0.AddSeconds(3));
        Assert.Equal(HealthStatus.Healthy, two.Status);
        Assert.Contains("2 hand-off(s) in a row failed", two.Description, StringComparison.Ordinal);

        state.Record(Refused, T0.AddSeconds(3));
        var three = WorkerHealth.JudgeMailServer(state.Current, Limits, T0.AddSeconds(4));
        Assert.Equal(HealthStatus.Degraded, three.Status);
        Assert.Contains("ConnectionRefused", three.Description, StringComparison.Ordinal);
        Assert.Contains("last accepted a mail 4 s ago", three.Description, StringComparison.Ordinal);
        Assert.Equal((3, T0.AddSeconds(1), T0.AddSeconds(3)), (state.Current.ConsecutiveFailures, state.Current.FailingSince, state.Current.LastFailureAt));

        state.Record(SendResult.Ok, T0.AddSeconds(5));
        Assert.Equal(HealthStatus.Healthy, WorkerHealth.JudgeMailServer(state.Current, Limits, T0.AddSeconds(6)).Status);
        Assert.Equal((0, (DateTimeOffset?)null, T0.AddSeconds(5)), (state.Current.ConsecutiveFailures, state.Current.FailingSince, state.Current.LastSuccessAt));
        Assert.Equal(Refused.Reply, state.Current.LastFailure);
    }

    [Fact]
    public void Failing_for_longer_than_the_limit_degrades_even_below_the_count()
    {
        var state = new MailServerState();
        state.Record(Refused, T0);
        Assert.Equal(HealthStatus.Healthy, WorkerHealth.JudgeMailServer(state.Current, Limits, T0.AddSeconds(300)).Status);
        var late = WorkerHealth.JudgeMailServer(state.Current, Limits, T0.AddSeconds(301));
        Assert.Equal(HealthStatus.Degraded, late.Status);
        Assert.Contains("has accepted no mail since the start", late.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_mailbox_is_the_server_working_and_other_refusals_count()
    {
        var state = new MailServerState();
        state.Record(new SendResult(SendStatus.PermanentFailure, "550 5.1.1 no such user", MailboxUnknown: true), T0);
        Assert.True(state.Current.IsIdle);
        state.Record(new SendResult(SendStatus.PermanentFailure, "554 5.7.1 relay denied"), T0);
        Assert.Equal((1, "554 5.7.1 relay denied"), (state.Current.ConsecutiveFailures, state.Current.LastFailure));
    }

    [Fact]
    public void The_outbox_is_degraded_when_its_oldest_due_send_waits_past_the_limit()
    {
        var waiting = new Backlog(T0, QueuedSends: 7, DueSends: 2, OldestDueSendAt: T0.AddSeconds(-121), DueWakeups: 0, OldestDueWakeupAt: null);
        var result = WorkerHealth.JudgeOutbox(waiting, Limits);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("sends wait to go out: 7 queued, 2 due, the oldest due waiting 121 s (over 120 s, Orchestrator:Health:OutboxWaitSeconds)", result.Description);
        Assert.Equal(HealthStatus.Healthy, WorkerHealth.JudgeOutbox(waiting with { OldestDueSendAt = T0.AddSeconds(-120) }, Limits).Status);
        // Queued for later (a retry, a send window) is not waiting.
        Assert.Equal("7 queued, 0 due", WorkerHealth.JudgeOutbox(waiting with { DueSends = 0, OldestDueSendAt = null }, Limits).Description);
    }

    [Fact]
    public void The_timers_are_degraded_when_the_oldest_due_wakeup_is_later_than_the_limit()
    {
        var late = new Backlog(T0, 0, 0, null, DueWakeups: 4, OldestDueWakeupAt: T0.AddSeconds(-61));
        Assert.Equal(HealthStatus.Degraded, WorkerHealth.JudgeWakeups(late, Limits).Status);
        Assert.Equal(HealthStatus.Healthy, WorkerHealth.JudgeWakeups(late with { OldestDueWakeupAt = T0.AddSeconds(-60) }, Limits).Status);
        Assert.Equal("0 due", WorkerHealth.JudgeWakeups(late with { DueWakeups = 0, OldestDueWakeupAt = null }, Limits).Description);
    }
}
