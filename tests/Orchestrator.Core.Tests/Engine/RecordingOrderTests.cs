using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Where a send's <c>sent</c> goes among its decision's outcomes. The simulator and the engine harness placed a send
/// only at an index equal to the position (and so dropped one out of order or past the end), the store at the first
/// position at or past its index (and the rest at the end); the store's rule is the one kept: no outcome is lost.
/// </summary>
public sealed class RecordingOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_send_goes_before_the_outcome_at_its_index()
    {
        var decision = Decision(["entered", "waiting"], (1, "k-1"));
        Assert.Equal(["entered", "k-1", "waiting"], Order(decision));
    }

    [Fact]
    public void A_send_out_of_order_or_past_the_last_outcome_is_placed_not_dropped()
    {
        var decision = Decision(["entered", "waiting"], (2, "k-late"), (1, "k-early"), (7, "k-past"));
        Assert.Equal(["entered", "waiting", "k-late", "k-early", "k-past"], Order(decision));
    }

    private static List<string> Order(Decision decision) =>
        decision.InRecordingOrder().Select(e => e.Send?.SendKey ?? e.Outcome!.Kind).ToList();

    private static Decision Decision(string[] kinds, params (int Index, string Key)[] sends) => new(
        new CustomerState { Profile = new CustomerProfile { Id = "c-1" } },
        kinds.Select(k => new Outcome(T0, "welcome", "1", "c-1", "i-1", "s-1", k, null, null)).ToList(),
        sends.Select(s => new EmailToSend
        {
            SendKey = s.Key, At = T0, JourneyId = "welcome", Version = "1", InstanceId = "i-1", StepId = "s-1", CustomerId = "c-1",
            To = "a@example.com", Subject = "Hi", Html = "<p>Hi</p>", OutcomeIndex = s.Index,
        }).ToList(),
        []);
}
