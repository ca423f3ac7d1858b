using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Processing;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Timers never run before their due time on the engine's clock, whatever an event's <c>occurredAt</c> says (issue 9,
/// defect 2): an event dated ahead of the clock (within the intake's skew) is decided at the clock's time, and the
/// worker's timers can be held at an earlier time than now while event intake catches up.
/// </summary>
public sealed class EarlyEventTests
{
    private const string Reminder = """
        id: reminder
        name: Reminder
        entry:
          event: cart.abandoned
        steps:
          - id: pause
            wait: 1h
          - id: nudge
            email:
              template: nudge
        """;

    private static EngineHarness Harness() => new EngineHarness().WithJourney(Reminder).WithTemplate("nudge", "Your cart").Load();

    private static CustomerEvent Event(string type, string at, string eventId) =>
        EventJson.TryParse(EngineHarness.EventText(type, EngineHarness.At(at), eventId: eventId), out var evt, out var error) ? evt! : throw new ArgumentException(error);

    [Fact]
    public void An_event_dated_ahead_of_the_clock_runs_no_timer_before_its_due_time()
    {
        using var h = Harness();
        h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), h.State()!.NextWakeup);

        // 08:58 on the worker's clock; a publisher whose clock runs four minutes fast dates its event 09:02.
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T08:58:00Z"));
        var decision = h.Engine.HandleEvent(h.Catalog, h.State(), Event("page.viewed", "2026-03-02T09:02:00Z", "e-early"));

        Assert.Empty(decision.Sends);
        Assert.DoesNotContain(decision.Outcomes, o => o.StepId == "nudge");
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), decision.State.NextWakeup);
    }

    [Fact]
    public void An_entry_dated_ahead_of_the_clock_enters_at_the_clock_time()
    {
        using var h = Harness();
        var decision = h.Engine.HandleEvent(h.Catalog, null, Event("cart.abandoned", "2026-03-02T08:03:00Z", "e-entry"));

        var entered = Assert.Single(decision.Outcomes, o => o.Kind == OutcomeKind.Entered);
        Assert.Equal(EngineHarness.DefaultStart, entered.At);
        Assert.Equal(EngineHarness.DefaultStart.AddHours(1), decision.State.NextWakeup);
    }

    [Fact]
    public void An_event_dated_before_the_clock_is_decided_at_its_own_time()
    {
        using var h = Harness();
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T08:30:00Z"));
        var decision = h.Engine.HandleEvent(h.Catalog, null, Event("cart.abandoned", "2026-03-02T08:10:00Z", "e-late"));

        Assert.Equal(EngineHarness.At("2026-03-02T08:10:00Z"), Assert.Single(decision.Outcomes, o => o.Kind == OutcomeKind.Entered).At);
        Assert.Equal(EngineHarness.At("2026-03-02T09:10:00Z"), decision.State.NextWakeup);
    }

    [Fact]
    public void Timers_due_after_the_time_they_are_held_at_wait_even_when_the_clock_is_past_them()
    {
        using var h = Harness();
        h.Event("cart.abandoned", "2026-03-02T08:00:00Z");
        h.Time.SetUtcNow(EngineHarness.At("2026-03-02T09:30:00Z"));

        var held = h.Engine.HandleDue(h.Catalog, h.State()!, dueBy: EngineHarness.At("2026-03-02T08:59:59Z"));
        Assert.Empty(held.Sends);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), held.State.NextWakeup);

        var due = h.Engine.HandleDue(h.Catalog, h.State()!, dueBy: EngineHarness.At("2026-03-02T09:00:00Z"));
        Assert.Equal("nudge", Assert.Single(due.Sends).StepId);
        Assert.Equal(EngineHarness.At("2026-03-02T09:00:00Z"), due.Sends[0].At);
    }
}
