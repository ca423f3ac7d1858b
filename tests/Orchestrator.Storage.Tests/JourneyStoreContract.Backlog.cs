using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>The backlog health and gauges read: queued sends by due time, and due wakeups with the oldest one's time.</summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task An_empty_store_has_no_backlog()
    {
        Assert.Equal(new Backlog(T0, 0, 0, null, 0, null), await Storage.Backlog.ReadBacklogAsync(T0, None));
    }

    [SkippableFact]
    public async Task The_backlog_counts_queued_sends_by_due_time_and_leaves_out_those_being_sent_or_done()
    {
        // Queued at T0 (due at once) and at T0+1m; k-3 and k-4 are queued at T0+2m and then taken out.
        await SaveAsync(Decision(RichState("c-1"), sends: [Email("c-1", "k-1", T0)]));
        Time.SetUtcNow(T0.AddMinutes(1));
        await SaveAsync(Decision(RichState("c-2"), sends: [Email("c-2", "k-2", T0)]));
        Time.SetUtcNow(T0.AddMinutes(2));
        await SaveAsync(Decision(RichState("c-3"), sends: [Email("c-3", "k-3", T0), Email("c-3", "k-4", T0, outcomeIndex: 1)]));

        var now = T0.AddMinutes(3);
        var all = await Storage.Backlog.ReadBacklogAsync(now, None);
        Assert.Equal((4L, 4L, T0), (all.QueuedSends, all.DueSends, all.OldestDueSendAt));
        Assert.Equal(TimeSpan.FromMinutes(3), all.OldestDueSendWait);

        // Read at T0+1m30s, k-3 and k-4 are not due yet, but queued.
        var earlier = await Storage.Backlog.ReadBacklogAsync(T0.AddSeconds(90), None);
        Assert.Equal((4L, 2L, T0), (earlier.QueuedSends, earlier.DueSends, earlier.OldestDueSendAt));

        // Claimed (being sent), sent, and queued again for later: none of them due now.
        var claimed = await ClaimEmailsAsync("worker-1", now, 10, None);
        Assert.Equal(4, claimed.Count);
        await Storage.Outbox.MarkSentAsync(claimed.Single(e => e.SendKey == "k-1"), now, None);
        await Storage.Outbox.RetryLaterAsync(claimed.Single(e => e.SendKey == "k-2"), "421 try later", now.AddHours(1), attempted: true, None);
        await Storage.Outbox.MarkFailedAsync(claimed.Single(e => e.SendKey == "k-3"), "550 no", now, None);
        var after = await Storage.Backlog.ReadBacklogAsync(now, None);
        Assert.Equal(new Backlog(now, 1, 0, null, 0, null), after);
        Assert.Equal(TimeSpan.Zero, after.OldestDueSendWait);

        // The retry's time comes: due, and waiting since then.
        var later = await Storage.Backlog.ReadBacklogAsync(now.AddHours(2), None);
        Assert.Equal((1L, 1L, now.AddHours(1)), (later.QueuedSends, later.DueSends, later.OldestDueSendAt));
        Assert.Equal(TimeSpan.FromHours(1), later.OldestDueSendWait);
    }

    [SkippableFact]
    public async Task The_backlog_counts_due_wakeups_claimed_or_not_with_the_oldest_due_time()
    {
        var c1 = RichState("c-1");
        await SaveAsync(Decision(c1, wakeups: [new Wakeup("c-1", "i-active", T0.AddMinutes(10)), new Wakeup("c-1", "i-other", T0.AddMinutes(20))]));
        await SaveAsync(Decision(RichState("c-2"), wakeups: [new Wakeup("c-2", "i-active", T0.AddMinutes(15))]));
        await SaveAsync(Decision(RichState("c-3"), wakeups: [new Wakeup("c-3", "i-active", T0.AddDays(2))]));

        Assert.Equal(new Backlog(T0.AddMinutes(5), 0, 0, null, 0, null), await Storage.Backlog.ReadBacklogAsync(T0.AddMinutes(5), None));
        var at16 = await Storage.Backlog.ReadBacklogAsync(T0.AddMinutes(16), None);
        Assert.Equal((2L, T0.AddMinutes(10)), (at16.DueWakeups, at16.OldestDueWakeupAt));
        Assert.Equal(TimeSpan.FromMinutes(6), at16.OldestDueWakeupLateness);

        // A claim that is never finished leaves the wakeup due, and later every minute.
        Assert.Equal(["c-1"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(30), 1, TimeSpan.FromMinutes(1), None));
        var at30 = await Storage.Backlog.ReadBacklogAsync(T0.AddMinutes(30), None);
        Assert.Equal((3L, T0.AddMinutes(10)), (at30.DueWakeups, at30.OldestDueWakeupAt));

        // Handling c-1 replaces its wakeups: c-2's is the oldest due now.
        await SaveAsync(Decision(c1));
        var handled = await Storage.Backlog.ReadBacklogAsync(T0.AddMinutes(30), None);
        Assert.Equal((1L, T0.AddMinutes(15)), (handled.DueWakeups, handled.OldestDueWakeupAt));
        Assert.Equal((0L, 0L), (handled.QueuedSends, handled.DueSends));
    }
}
