using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Instances, keys and re-entry (docs/journey-format.md, "Semantics").</summary>
public sealed class EntryAndInstanceTests
{
    private static EngineHarness Cart(string reentry = "never", string key = "\n  key: event.properties.cartId") => new EngineHarness()
        .WithJourney($$"""
            id: cart
            name: Cart
            entry:
              event: cart.abandoned
              when: "event.properties.total >= 20"{{key}}
              reentry: {{reentry}}
            steps:
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  when: "event.properties.cartId == entry.properties.cartId"
              - id: thanks
                email: { template: thanks }
            """)
        .WithTemplate("thanks", "Thanks")
        .Load();

    private static EngineHarness OneMail(string reentry) => new EngineHarness()
        .WithJourney($$"""
            id: news
            name: News
            entry:
              event: signed.up
              reentry: {{reentry}}
            steps:
              - id: hello
                email: { template: hello }
            """)
        .WithTemplate("hello", "Hello")
        .Load();

    [Fact]
    public void Two_carts_make_two_instances()
    {
        using var h = Cart();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("cart.abandoned", "2026-03-02T08:05:00Z", properties: """{"cartId":"k-2","total":40}""");

        var instances = h.Instances();
        Assert.Equal(2, instances.Count);
        Assert.Equal(["k-1", "k-2"], instances.Select(i => i.Key).Order(StringComparer.Ordinal));
        Assert.NotEqual(instances[0].Id, instances[1].Id);
        Assert.Equal(["k-1", "k-2"], h.OutcomesOf(OutcomeKind.Entered).Select(o => EngineHarness.Detail(o, "key")));

        // The order for cart 2 resumes only cart 2's instance.
        h.Event("order.placed", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-2"}""");
        Assert.Equal(InstanceStatus.Active, h.Instances().Single(i => i.Key == "k-1").Status);
        Assert.Equal(InstanceStatus.Completed, h.Instances().Single(i => i.Key == "k-2").Status);
    }

    [Fact]
    public void The_same_key_while_active_does_not_enter_a_second_time()
    {
        using var h = Cart(reentry: "always");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        var again = h.Event("cart.abandoned", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-1","total":35}""");

        Assert.Empty(again.Outcomes);
        Assert.Single(h.Instances());
        Assert.Single(h.OutcomesOf(OutcomeKind.Entered));
    }

    [Fact]
    public void Without_a_key_a_customer_has_one_instance_per_journey()
    {
        using var h = Cart(reentry: "always", key: "");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("cart.abandoned", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-2","total":30}""");

        Assert.Equal("", h.Instance().Key);
        Assert.Null(EngineHarness.Detail(h.Single(OutcomeKind.Entered), "key"));
    }

    [Fact]
    public void An_entry_condition_that_is_false_does_not_enter()
    {
        using var h = Cart();

        var decision = h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":19.99}""");
        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-2"}""");

        Assert.Empty(decision.Outcomes);
        Assert.Empty(h.Instances());
    }

    [Fact]
    public void Reentry_never_keeps_a_customer_out_after_the_instance_ended()
    {
        using var h = OneMail("never");

        h.Event("signed.up", "2026-03-02T08:00:00Z");
        h.Event("signed.up", "2026-04-02T08:00:00Z");

        Assert.Single(h.OutcomesOf(OutcomeKind.Entered));
        Assert.Single(h.Sends);
    }

    [Fact]
    public void Reentry_is_never_by_default()
    {
        using var h = new EngineHarness()
            .WithJourney("""
                id: news
                name: News
                entry:
                  event: signed.up
                steps:
                  - id: hello
                    email: { template: hello }
                """)
            .WithTemplate("hello", "Hello")
            .Load();

        h.Event("signed.up", "2026-03-02T08:00:00Z");
        h.Event("signed.up", "2027-03-02T08:00:00Z");

        Assert.Single(h.OutcomesOf(OutcomeKind.Entered));
    }

    [Fact]
    public void Reentry_always_lets_a_customer_enter_again_once_the_instance_ended()
    {
        using var h = OneMail("always");

        h.Event("signed.up", "2026-03-02T08:00:00Z");
        h.Event("signed.up", "2026-03-02T08:00:01Z");

        Assert.Equal(2, h.OutcomesOf(OutcomeKind.Entered).Count());
        Assert.Equal(2, h.Sends.Count);
        Assert.NotEqual(h.Sends[0].InstanceId, h.Sends[1].InstanceId);
    }

    [Fact]
    public void Reentry_always_still_needs_the_previous_instance_to_have_ended()
    {
        using var h = Cart(reentry: "always");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("cart.abandoned", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        Assert.Single(h.Instances());

        h.Event("order.placed", "2026-03-02T10:00:00Z", properties: """{"cartId":"k-1"}""");
        h.Event("cart.abandoned", "2026-03-02T11:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        Assert.Equal(2, h.Instances().Count);
        Assert.Equal(2, h.OutcomesOf(OutcomeKind.Entered).Count());
    }

    [Fact]
    public void Reentry_after_7d_allows_entry_exactly_seven_days_after_the_previous_entry()
    {
        using var h = OneMail("after 7d");

        h.Event("signed.up", "2026-03-02T08:00:00Z");
        h.Event("signed.up", "2026-03-09T08:00:00Z");

        var entered = h.OutcomesOf(OutcomeKind.Entered).ToList();
        Assert.Equal(2, entered.Count);
        Assert.Equal(EngineHarness.At("2026-03-09T08:00:00Z"), entered[1].At);
    }

    [Fact]
    public void Reentry_after_7d_refuses_entry_one_second_before_seven_days()
    {
        using var h = OneMail("after 7d");

        h.Event("signed.up", "2026-03-02T08:00:00Z");
        var early = h.Event("signed.up", "2026-03-09T07:59:59Z");

        Assert.Empty(early.Outcomes);
        Assert.Single(h.OutcomesOf(OutcomeKind.Entered));

        // ... and the refused attempt does not restart the clock.
        h.Event("signed.up", "2026-03-09T08:00:00Z");
        Assert.Equal(2, h.OutcomesOf(OutcomeKind.Entered).Count());
    }

    [Fact]
    public void Reentry_after_7d_counts_from_entry_but_still_needs_the_instance_to_have_ended()
    {
        using var h = Cart(reentry: "after 7d");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("cart.abandoned", "2026-03-10T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        Assert.Single(h.Instances());

        // Ended at 3/10 09:00, but entered 3/2: eight days since entry, so the next abandon re-enters at once.
        h.Event("order.placed", "2026-03-10T09:00:00Z", properties: """{"cartId":"k-1"}""");
        h.Event("cart.abandoned", "2026-03-10T09:00:01Z", properties: """{"cartId":"k-1","total":30}""");
        Assert.Equal(2, h.Instances().Count);
    }

    [Fact]
    public void Reentry_is_judged_per_key()
    {
        using var h = Cart(reentry: "never");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("order.placed", "2026-03-02T09:00:00Z", properties: """{"cartId":"k-1"}""");
        h.Event("cart.abandoned", "2026-03-02T10:00:00Z", properties: """{"cartId":"k-1","total":30}""");
        h.Event("cart.abandoned", "2026-03-02T10:00:00Z", properties: """{"cartId":"k-2","total":30}""");

        Assert.Equal(["k-1", "k-2"], h.OutcomesOf(OutcomeKind.Entered).Select(o => EngineHarness.Detail(o, "key")));
    }
}
