using Orchestrator.Core.Engine;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>Group commit: the units of several customers in one transaction, all durable together or none.</summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task A_batch_makes_its_units_durable_together_and_each_sees_what_the_earlier_ones_saved()
    {
        await using (var batch = await Storage.Store.BeginBatchAsync(["c-2", "c-1", "c-2"], None))
        {
            await using (var unit = await batch.BeginAsync("c-1", None))
            {
                Assert.True(await unit.TryAddToInboxAsync(Event("e-1", "c-1"), None));
                await unit.SaveAsync(Decision(CustomerState.New("c-1"), [Outcome("c-1", "i-1", T0, OutcomeKind.Entered)]), None);
                await unit.CommitAsync(None);
            }
            await using (var unit = await batch.BeginAsync("c-2", None))
            {
                Assert.True(await unit.TryAddToInboxAsync(Event("e-2", "c-2"), None));
                await unit.SaveAsync(Decision(CustomerState.New("c-2"), [], [Email("c-2", "k-2", T0)]), None);
                await unit.CommitAsync(None);
            }
            // The same customer again, and the same event id again, within the batch: the earlier unit's writes count.
            await using (var unit = await batch.BeginAsync("c-1", None))
            {
                Assert.False(await unit.TryAddToInboxAsync(Event("e-1", "c-1"), None));
                Assert.True(await unit.TryAddToInboxAsync(Event("e-3", "c-1"), None));
                var seen = await unit.LoadCustomerAsync(None);
                Assert.Equal(1, seen!.Revision);
                await unit.SaveAsync(Decision(seen, [Outcome("c-1", "i-1", T0.AddMinutes(1), OutcomeKind.Completed)]), None);
                await unit.CommitAsync(None);
                Assert.Equal(1, seen.Revision);
            }
            await batch.CommitAsync(None);
        }
        Assert.Equal(2, (await LoadAsync("c-1"))!.Revision);
        Assert.Equal(1, (await LoadAsync("c-2"))!.Revision);
        Assert.Equal([OutcomeKind.Entered, OutcomeKind.Completed], (await Storage.Outcomes.ReadOutcomesAsync(None)).Select(o => o.Kind));
        Assert.Equal(["k-2"], (await ClaimEmailsAsync("w", T0.AddYears(1), 10, None)).Select(s => s.SendKey));
        Assert.Equal(3, await CountAsync("SELECT COUNT(*) FROM inbox"));
    }

    [SkippableFact]
    public async Task A_batch_disposed_without_its_commit_changes_nothing()
    {
        await using (var batch = await Storage.Store.BeginBatchAsync(["c-1", "c-2"], None))
        {
            foreach (var customer in new[] { "c-1", "c-2" })
            {
                await using var unit = await batch.BeginAsync(customer, None);
                Assert.True(await unit.TryAddToInboxAsync(Event($"e-{customer}", customer), None));
                await unit.SaveAsync(Decision(CustomerState.New(customer), [Outcome(customer, "i-1", T0, OutcomeKind.Entered)],
                    [Email(customer, $"k-{customer}", T0)], [new Wakeup(customer, "i-1", T0.AddDays(1))]), None);
                await unit.CommitAsync(None);
            }
        }
        Assert.Null(await LoadAsync("c-1"));
        Assert.Null(await LoadAsync("c-2"));
        Assert.Empty(await Storage.Outcomes.ReadOutcomesAsync(None));
        Assert.Empty(await ClaimEmailsAsync("w", T0.AddYears(1), 10, None));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM inbox"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM wakeups"));
    }

    [SkippableFact]
    public async Task A_batch_whose_unit_wrote_and_ended_without_its_commit_cannot_be_committed()
    {
        await using (var batch = await Storage.Store.BeginBatchAsync(["c-1", "c-2"], None))
        {
            await using (var good = await batch.BeginAsync("c-1", None))
            {
                await good.SaveAsync(Decision(CustomerState.New("c-1")), None);
                await good.CommitAsync(None);
            }
            // A unit that only looked (an event seen before, a customer with nothing due) may end without a commit.
            await using (var looked = await batch.BeginAsync("c-2", None))
                Assert.Null(await looked.LoadCustomerAsync(None));
            await using (var abandoned = await batch.BeginAsync("c-2", None))
                Assert.True(await abandoned.TryAddToInboxAsync(Event("e-2", "c-2"), None));
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => batch.CommitAsync(None));
            Assert.Contains("c-2", refused.Message, StringComparison.Ordinal);
        }
        Assert.Null(await LoadAsync("c-1"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM inbox"));
    }

    [SkippableFact]
    public async Task A_batch_runs_only_the_customers_it_locked_and_one_unit_at_a_time()
    {
        await using var batch = await Storage.Store.BeginBatchAsync(["c-1"], None);
        await Assert.ThrowsAsync<ArgumentException>(() => batch.BeginAsync("c-2", None));
        await using var first = await batch.BeginAsync("c-1", None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batch.BeginAsync("c-1", None));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.Store.BeginBatchAsync([], None));
    }

    [SkippableFact]
    public async Task Batches_that_share_customers_named_in_opposite_orders_wait_for_each_other_instead_of_deadlocking()
    {
        var customers = Enumerable.Range(1, 8).Select(i => $"c-{i}").ToList();
        async Task RunAsync(IReadOnlyList<string> order, string tag)
        {
            for (var round = 0; round < 5; round++)
            {
                await using var batch = await Storage.Store.BeginBatchAsync(order, None);
                foreach (var customer in order)
                {
                    await using var unit = await batch.BeginAsync(customer, None);
                    Assert.True(await unit.TryAddToInboxAsync(Event($"{tag}-{round}-{customer}", customer), None));
                    var state = await unit.LoadCustomerAsync(None) ?? CustomerState.New(customer);
                    await unit.SaveAsync(Decision(state), None);
                    await unit.CommitAsync(None);
                }
                await batch.CommitAsync(None);
            }
        }
        await Task.WhenAll(Task.Run(() => RunAsync(customers, "a")), Task.Run(() => RunAsync(customers.AsEnumerable().Reverse().ToList(), "b")))
            .WaitAsync(TimeSpan.FromSeconds(60));
        // Every unit of both writers counted: each customer saved ten times, one revision each.
        foreach (var customer in customers)
            Assert.Equal(10, (await LoadAsync(customer))!.Revision);
    }
}
