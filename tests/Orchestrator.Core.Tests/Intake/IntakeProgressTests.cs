using Microsoft.Extensions.Time.Testing;
using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Tests.Intake;

/// <summary>How far timers may run while event intake works off a backlog (<see cref="IntakeProgress"/>).</summary>
public sealed class IntakeProgressTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Without_sources_timers_run_up_to_now()
    {
        var time = new FakeTimeProvider(T0);
        Assert.Equal(T0, new IntakeProgress(time).CaughtUpTo(T0));
    }

    [Fact]
    public void A_source_just_started_holds_timers_until_it_takes_an_event_or_stays_quiet()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(time.GetUtcNow()));

        // Quiet for the whole window: its queue is empty.
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }

    [Fact]
    public void A_source_the_settings_name_holds_timers_until_it_starts_delivering()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time, [new IntakeSource("q.0")]);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(time.GetUtcNow()));

        progress.Started("q.0");
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }

    [Fact]
    public void Other_workers_are_held_only_by_events_taken_not_by_a_source_that_has_taken_none()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time, [new IntakeSource("q.0"), new IntakeSource("q.1")]);
        // Not delivering yet (or a standby of another worker's queue, or cut off from the broker): this worker waits,
        // the others need not.
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(T0));
        Assert.Equal(T0, progress.CaughtUpTo(T0, forOtherWorkers: true));

        progress.Started("q.1");
        progress.Taking("q.1", T0.AddMinutes(-3));
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(T0));
        Assert.Equal(T0.AddMinutes(-3), progress.CaughtUpTo(T0, forOtherWorkers: true));
    }

    [Fact]
    public void A_source_that_stopped_after_taking_events_holds_other_workers_at_its_last_event_for_a_while()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Taking("q.0", T0.AddMinutes(-5));
        progress.Took("q.0");
        progress.Stopped("q.0"); // cut off from the broker, its queue still its own until the broker notices
        progress.Stopped("q.0"); // faulted, then completed: the first stop counts

        time.Advance(IntakeProgress.StoppedHoldsOthersFor - TimeSpan.FromSeconds(1));
        Assert.Equal(T0.AddMinutes(-5), progress.CaughtUpTo(time.GetUtcNow(), forOtherWorkers: true));
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(time.GetUtcNow()));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow(), forOtherWorkers: true));
    }

    [Fact]
    public void A_source_working_off_a_backlog_holds_timers_at_the_last_event_it_took()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Started("q.1");

        // q.0 takes events a minute old: behind. q.1 takes one just published: caught up.
        progress.Taking("q.0", T0.AddMinutes(-1));
        progress.Took("q.0");
        progress.Taking("q.1", T0.AddMilliseconds(-20));
        progress.Took("q.1");
        Assert.Equal(T0.AddMinutes(-1), progress.CaughtUpTo(T0));

        time.Advance(TimeSpan.FromMilliseconds(300));
        progress.Taking("q.0", T0.AddSeconds(-40));
        Assert.Equal(T0.AddSeconds(-40), progress.CaughtUpTo(time.GetUtcNow()));

        // Still deciding that event long after it was taken: still behind, whatever the quiet time.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(T0.AddSeconds(-40), progress.CaughtUpTo(time.GetUtcNow()));

        // Done, and nothing more for the quiet time: the backlog is worked off.
        progress.Took("q.0");
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }

    /// <summary>The fault harness's kill scenario: a partition 0.6 s behind, once under the tolerance for "slightly
    /// behind", let a reminder due at T run before the customer's <c>account.deleted</c> of T - 0.46 s, still queued.</summary>
    [Fact]
    public void A_source_a_moment_behind_still_holds_timers_at_the_last_event_it_took()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Taking("q.0", T0.AddMilliseconds(-600));
        progress.Took("q.0");
        Assert.Equal(T0.AddMilliseconds(-600), progress.CaughtUpTo(T0));

        // Still active (not quiet for QuietAfter): the hold stays; then quiet, so nothing is queued behind it.
        time.Advance(IntakeProgress.QuietAfter / 2);
        Assert.Equal(T0.AddMilliseconds(-600), progress.CaughtUpTo(time.GetUtcNow()));
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }

    [Fact]
    public void A_source_that_catches_up_holds_nothing_back()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Taking("q.0", T0.AddMinutes(-5));
        Assert.Equal(T0.AddMinutes(-5), progress.CaughtUpTo(T0));

        // The next event is fresh: the backlog is behind it.
        progress.Took("q.0");
        progress.Taking("q.0", T0);
        Assert.Equal(T0, progress.CaughtUpTo(T0));
    }

    /// <summary>Its queue still holds what was published before the outage; a timer run meanwhile would overtake it
    /// (the fault harness's broker restart scenario, FaultTests).</summary>
    [Fact]
    public void A_source_that_stops_because_the_broker_went_away_holds_timers_until_it_is_back_and_has_shown_its_queue()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Taking("q.0", T0);
        progress.Took("q.0");
        Assert.Equal(T0, progress.CaughtUpTo(T0));

        progress.Stopped("q.0");
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(time.GetUtcNow()));

        // Back: the first event it delivers is 20 s old, queued during the outage; timers wait for that far.
        progress.Started("q.0");
        Assert.Equal(DateTimeOffset.MinValue, progress.CaughtUpTo(time.GetUtcNow()));
        progress.Taking("q.0", T0.AddSeconds(10));
        Assert.Equal(T0.AddSeconds(10), progress.CaughtUpTo(time.GetUtcNow()));
        progress.Took("q.0");
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }

    /// <summary>The pause between two tries looks like a quiet queue; without the hold, timers overtake the event once
    /// the database is back (the fault harness's locked database scenario, FaultTests).</summary>
    [Fact]
    public void An_event_that_will_be_taken_again_holds_timers_at_its_time_until_it_is_decided()
    {
        var time = new FakeTimeProvider(T0);
        var progress = new IntakeProgress(time);
        progress.Started("q.0");
        progress.Taking("q.0", T0);
        progress.Took("q.0", willRetry: true);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(T0, progress.CaughtUpTo(time.GetUtcNow()));

        progress.Taking("q.0", T0);
        progress.Took("q.0", willRetry: true);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(T0, progress.CaughtUpTo(time.GetUtcNow()));

        // Decided on the third try: its queue is quiet afterwards, so nothing holds.
        progress.Taking("q.0", T0);
        progress.Took("q.0");
        time.Advance(IntakeProgress.QuietAfter);
        Assert.Equal(time.GetUtcNow(), progress.CaughtUpTo(time.GetUtcNow()));
    }
}
