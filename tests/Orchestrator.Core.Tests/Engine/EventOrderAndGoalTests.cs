using Orchestrator.Core.Engine;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>Event time, deduplication, and the fixed exit → goal → wait_for order (docs/journey-format.md, "Semantics").</summary>
public sealed class EventOrderAndGoalTests
{
    private static EngineHarness Cart(string goal = "", string exits = "", string reentry = "never") => new EngineHarness()
        .WithJourney($$"""
            id: cart
            name: Cart
            entry:
              event: cart.abandoned
              key: event.properties.cartId
              reentry: {{reentry}}
            {{goal}}
            {{exits}}
            steps:
              - id: wait-1h
                wait: 1h
              - id: reminder
                email: { template: reminder }
              - id: wait-for-order
                wait_for:
                  event: order.placed
                  when: "event.properties.cartId == entry.properties.cartId"
                  timeout: 1d
                  on_event: thanks
                  on_timeout: last-call
              - id: last-call
                email: { template: last-call }
                next: end
              - id: thanks
                email: { template: thanks }
              - id: end
                exit: {}
            """)
        .WithTemplate("reminder", "Your cart is waiting")
        .WithTemplate("last-call", "Last call")
        .WithTemplate("thanks", "Thanks")
        .Load();

    private const string GoalExit = """
        goal:
          event: order.placed
          when: "event.properties.cartId == entry.properties.cartId"
        """;

    private const string GoalKeepGoing = """
        goal:
          event: order.placed
          when: "event.properties.cartId == entry.properties.cartId"
          exit: false
        """;

    private const string Cart1 = """{"cartId":"k-1"}""";

    [Fact]
    public void Timers_due_before_an_event_are_handled_first_each_at_its_own_time()
    {
        using var h = Cart(exits: """
            exit:
              - event: account.deleted
            """);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        // No wakeup fired in between: the event itself must bring the 09:00 timer first.
        var decision = h.Event("account.deleted", "2026-03-02T10:00:00Z");

        Assert.Equal(["wait-1h:resumed", "reminder:sent", "wait-for-order:waiting", "wait-for-order:exited"], h.Trace().Skip(2));
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), Assert.Single(decision.Sends).At);
        Assert.Equal(EngineHarness.At("2026-03-02T10:00:00Z"), h.Single(OutcomeKind.Exited).At);
    }

    [Fact]
    public void A_timer_due_exactly_at_the_events_time_is_handled_before_the_event()
    {
        using var h = Cart();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-02T09:00:00Z");
        // The wait_for times out at 2026-03-03T09:00; an order at that very instant comes too late.
        h.Event("order.placed", "2026-03-03T09:00:00Z", properties: Cart1);

        Assert.Equal(["Your cart is waiting", "Last call"], h.Sends.Select(s => s.Subject));
        Assert.Equal("timeout", EngineHarness.Detail(h.OutcomesOf(OutcomeKind.Resumed).Last(), "by"));
    }

    [Fact]
    public void An_event_one_second_before_the_timeout_resumes_the_wait_for()
    {
        using var h = Cart();

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-02T09:00:00Z");
        h.Event("order.placed", "2026-03-03T08:59:59Z", properties: Cart1);
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(["Your cart is waiting", "Thanks"], h.Sends.Select(s => s.Subject));
    }

    [Fact]
    public void An_event_older_than_an_instances_entry_is_ignored_for_that_instance()
    {
        using var h = Cart(goal: GoalKeepGoing, exits: """
            exit:
              - event: account.deleted
            """);

        h.Event("cart.abandoned", "2026-03-02T10:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-02T11:00:00Z");
        // Both happened before the cart was abandoned; they arrive late.
        var order = h.Event("order.placed", "2026-03-02T09:00:00Z", properties: Cart1);
        var deleted = h.Event("account.deleted", "2026-03-02T09:30:00Z");

        Assert.Empty(order.Outcomes);
        Assert.Empty(deleted.Outcomes);
        Assert.Equal(InstanceStatus.Active, h.Instance().Status);
        Assert.Equal(WaitingFor.Event, h.Instance().Waiting);
        Assert.Empty(h.OutcomesOf(OutcomeKind.Converted));
    }

    [Fact]
    public async Task The_same_event_id_twice_is_decided_once()
    {
        using var h = Cart();
        using var store = new InMemoryJourneyStore();
        var processor = new EventProcessor(h.Engine, store, () => h.Catalog);
        var json = EngineHarness.EventText("cart.abandoned", EngineHarness.At("2026-03-02T08:00:00Z"), Cart1, eventId: "evt-1");
        Assert.True(EventJson.TryParse(json, out var evt, out _));

        var first = await processor.ProcessEventAsync(evt!, CancellationToken.None);
        var second = await processor.ProcessEventAsync(evt!, CancellationToken.None);
        var sameIdOtherBody = await processor.ProcessEventAsync(evt! with { OccurredAt = evt!.OccurredAt.AddMinutes(5) }, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Null(sameIdOtherBody);
        var decision = Assert.Single(store.Decisions);
        Assert.Single(decision.Outcomes, o => o.Kind == OutcomeKind.Entered);
        Assert.Single(Assert.Single(store.Customers).Instances);
    }

    [Fact]
    public void A_goal_with_exit_true_converts_and_ends_without_resuming_the_wait_for()
    {
        using var h = Cart(goal: GoalExit);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-02T12:00:00Z");
        h.Event("order.placed", "2026-03-02T12:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-10T00:00:00Z");

        Assert.Equal(["wait-for-order:converted", "wait-for-order:exited"], h.Trace().Skip(5));
        Assert.Equal("goal", EngineHarness.Detail(h.Single(OutcomeKind.Exited), "reason"));
        Assert.DoesNotContain(h.OutcomesOf(OutcomeKind.Resumed), o => o.StepId == "wait-for-order");
        Assert.Equal(["Your cart is waiting"], h.Sends.Select(s => s.Subject));
        Assert.Equal(InstanceStatus.Exited, h.Instance().Status);
    }

    [Fact]
    public void A_goal_with_exit_false_converts_keeps_the_instance_and_resumes_the_wait_for()
    {
        using var h = Cart(goal: GoalKeepGoing);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.AdvanceTo("2026-03-02T12:00:00Z");
        h.Event("order.placed", "2026-03-02T12:00:00Z", properties: Cart1);

        Assert.Equal(
            ["wait-for-order:converted", "wait-for-order:resumed", "thanks:sent", "end:completed"],
            h.Trace().Skip(5));
        Assert.Equal(["Your cart is waiting", "Thanks"], h.Sends.Select(s => s.Subject));
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Fact]
    public void An_exit_criterion_comes_before_the_goal_for_the_same_event()
    {
        using var h = Cart(goal: GoalKeepGoing, exits: """
            exit:
              - event: order.placed
                when: "event.properties.channel == 'store'"
            """);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.Event("order.placed", "2026-03-02T08:30:00Z", properties: """{"cartId":"k-1","channel":"store"}""");

        Assert.Empty(h.OutcomesOf(OutcomeKind.Converted));
        var exited = h.Single(OutcomeKind.Exited);
        Assert.Equal("order.placed", EngineHarness.Detail(exited, "reason"));
        Assert.Equal("wait-1h", exited.StepId);
        h.AdvanceTo("2026-03-10T00:00:00Z");
        Assert.Empty(h.Sends);
    }

    [Fact]
    public void An_instance_converts_only_once()
    {
        using var h = Cart(goal: """
            goal:
              event: order.placed
              exit: false
            """);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.Event("order.placed", "2026-03-02T08:10:00Z", properties: """{"cartId":"k-9"}""");
        h.Event("order.placed", "2026-03-02T08:20:00Z", properties: """{"cartId":"k-8"}""");

        var converted = h.Single(OutcomeKind.Converted);
        Assert.Equal(EngineHarness.At("2026-03-02T08:10:00Z"), converted.At);
        Assert.Equal(EngineHarness.At("2026-03-02T08:10:00Z"), h.Instance().ConvertedAt);
    }

    [Theory]
    [InlineData("2026-03-03T07:59:59Z", true)]
    [InlineData("2026-03-03T08:00:01Z", false)]
    public void A_goal_counts_only_within_its_window_from_entry(string orderAt, bool converts)
    {
        using var h = Cart(goal: """
            goal:
              event: order.placed
              within: 1d
              exit: false
            """);

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z", properties: Cart1);
        h.Event("order.placed", orderAt, properties: """{"cartId":"k-2"}""");

        Assert.Equal(converts, h.OutcomesOf(OutcomeKind.Converted).Any());
        Assert.Equal(InstanceStatus.Active, h.Instance().Status);
    }

    private static EngineHarness Holdout(string within) => new EngineHarness()
        .WithJourney($$"""
            id: offer
            name: Offer
            entry:
              event: cart.abandoned
            goal:
              event: order.placed
            {{within}}
            steps:
              - id: test
                split:
                  - variant: control
                    weight: 1
                    next: end
              - id: mail
                email: { template: offer }
              - id: end
                exit: {}
            """)
        .WithTemplate("offer", "Offer")
        .Load();

    [Fact]
    public void A_goal_after_completion_within_the_window_is_measured_for_the_holdout()
    {
        using var h = Holdout("  within: 7d");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
        h.Event("order.placed", "2026-03-05T08:00:00Z");
        h.Event("order.placed", "2026-03-06T08:00:00Z");

        Assert.Empty(h.Sends);
        var converted = h.Single(OutcomeKind.Converted);
        Assert.Equal("control", converted.Variant);
        Assert.Equal("True", EngineHarness.Detail(converted, "afterCompletion"));
        Assert.Equal(EngineHarness.At("2026-03-05T08:00:00Z"), converted.At);
        Assert.Equal(InstanceStatus.Completed, h.Instance().Status);
    }

    [Fact]
    public void A_goal_after_completion_outside_the_window_is_not_counted()
    {
        using var h = Holdout("  within: 7d");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        h.Event("order.placed", "2026-03-09T08:00:01Z");

        Assert.Empty(h.OutcomesOf(OutcomeKind.Converted));
    }

    [Fact]
    public void Without_within_a_goal_counts_only_until_the_instance_ends()
    {
        using var h = Holdout("");

        h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        h.Event("order.placed", "2026-03-02T09:00:00Z");

        Assert.Empty(h.OutcomesOf(OutcomeKind.Converted));
    }
}
