using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>The workers' intake holds (IIntakeHoldStore): one row per holding worker, read by the others while fresh.</summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task Intake_holds_give_the_earliest_fresh_hold_of_the_other_workers()
    {
        var holds = Storage.IntakeHolds;
        Assert.Null(await holds.EarliestAsync("a", T0.AddMinutes(-1), None));

        await holds.HoldAsync("a", T0.AddMinutes(-30), T0, None);
        await holds.HoldAsync("b", T0.AddMinutes(-10), T0, None);
        // A worker never reads itself; the others' earliest.
        Assert.Equal(T0.AddMinutes(-10), await holds.EarliestAsync("a", T0.AddSeconds(-10), None));
        Assert.Equal(T0.AddMinutes(-30), await holds.EarliestAsync("b", T0.AddSeconds(-10), None));
        Assert.Equal(T0.AddMinutes(-30), await holds.EarliestAsync("c", T0.AddSeconds(-10), None));

        // Written again, the row moves (one row per worker, not one per write).
        await holds.HoldAsync("a", T0.AddMinutes(-5), T0.AddSeconds(2), None);
        Assert.Equal(T0.AddMinutes(-10), await holds.EarliestAsync("c", T0.AddSeconds(-10), None));
        Assert.Equal(2L, await CountAsync("SELECT COUNT(*) FROM intake_holds"));

        // b was last renewed at T0: read as of T0 + 11 s (fresh since T0 + 1 s) it is gone, a is not.
        Assert.Equal(T0.AddMinutes(-5), await holds.EarliestAsync("c", T0.AddSeconds(1), None));
        Assert.Null(await holds.EarliestAsync("c", T0.AddSeconds(3), None));
    }

    [SkippableFact]
    public async Task Releasing_a_hold_drops_the_workers_row_and_the_stale_rows_of_others()
    {
        var holds = Storage.IntakeHolds;
        // The earliest hold a worker can say: a partition that started and has shown nothing yet.
        await holds.HoldAsync("started", DateTimeOffset.MinValue, T0, None);
        await holds.HoldAsync("dead", T0.AddMinutes(-30), T0.AddSeconds(-60), None);
        await holds.HoldAsync("live", T0.AddMinutes(-10), T0, None);
        Assert.Equal(DateTimeOffset.MinValue, await holds.EarliestAsync("x", T0.AddSeconds(-10), None));

        await holds.ReleaseAsync("started", T0.AddSeconds(-10), None);
        Assert.Equal(1L, await CountAsync("SELECT COUNT(*) FROM intake_holds"));
        Assert.Equal(T0.AddMinutes(-10), await holds.EarliestAsync("x", T0.AddMinutes(-5), None));

        await holds.ReleaseAsync("live", T0.AddSeconds(-10), None);
        Assert.Null(await holds.EarliestAsync("x", T0.AddMinutes(-5), None));
    }
}
