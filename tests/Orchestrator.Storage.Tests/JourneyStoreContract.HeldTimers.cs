using Orchestrator.Core.Engine;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>Timers held back while event intake catches up: claimed by their due time, leased from the clock's now.</summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task A_claim_held_at_an_earlier_time_takes_only_wakeups_due_by_then_and_leases_from_now()
    {
        await SaveAsync(Decision(RichState("c-1"), wakeups: [new Wakeup("c-1", "i-active", T0.AddMinutes(10))]));
        await SaveAsync(Decision(RichState("c-2"), wakeups: [new Wakeup("c-2", "i-active", T0.AddMinutes(20))]));
        var lease = TimeSpan.FromMinutes(1);
        var now = T0.AddMinutes(30);

        // Intake has come up to minute 15: c-2's wakeup (minute 20) waits although the clock is past it.
        Assert.Equal(["c-1"], await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(15), now, 10, lease, None));
        Assert.Empty(await Storage.Wakeups.ClaimDueAsync(T0.AddMinutes(15), now, 10, lease, None));

        // The lease runs from now, not from the held time: c-1 stays claimed for the minute after minute 30.
        Assert.Equal(["c-2"], await Storage.Wakeups.ClaimDueAsync(now, now.AddSeconds(59), 10, lease, None));
        Assert.Equal(["c-1", "c-2"], await Storage.Wakeups.ClaimDueAsync(now, now.AddMinutes(2), 10, lease, None));
    }
}
