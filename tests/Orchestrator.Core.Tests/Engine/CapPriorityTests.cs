using Orchestrator.Core.Engine;

namespace Orchestrator.Core.Tests.Engine;

/// <summary>
/// Which journey sends when the frequency cap lets only one: the higher <c>priority</c>, then the lower journey id,
/// never the file name or a hash of the event id. Cap 1 a day throughout, so the loser is deferred by a day.
/// </summary>
public sealed class CapPriorityTests
{
    private static EngineHarness TwoJourneys(int alphaPriority, int betaPriority, Func<string, string> steps, Func<string, string>? entryEvent = null)
    {
        var h = new EngineHarness(new SendingOptions { FrequencyCap = new FrequencyCapOptions { Count = 1, Period = "1d" } });
        foreach (var (id, priority) in new[] { ("alpha", alphaPriority), ("beta", betaPriority) })
        {
            h.WithJourney($$"""
                id: {{id}}
                name: {{id}}
                priority: {{priority}}
                entry:
                  event: {{entryEvent?.Invoke(id) ?? "promo.start"}}
                steps:
                {{steps(id)}}
                """);
            h.WithTemplate(id + "-mail", id);
        }
        return h.Load();
    }

    private static string MailOnly(string id) => $$"""
          - id: mail
            email: { template: {{id}}-mail }
        """;

    private static void AssertWinner(EngineHarness h, string winner, string sentAt, string deferredUntil)
    {
        var loser = winner == "alpha" ? "beta" : "alpha";
        Assert.Equal([(winner, EngineHarness.At(sentAt)), (loser, EngineHarness.At(deferredUntil))], h.Sends.Select(s => (s.JourneyId, s.At)));
        var deferred = Assert.Single(h.Outcomes, o => o.Kind == OutcomeKind.Deferred);
        Assert.Equal(loser, deferred.JourneyId);
        Assert.Equal("frequency-cap", EngineHarness.Detail(deferred, "reason"));
        Assert.Equal(deferredUntil, EngineHarness.Detail(deferred, "until"));
    }

    [Theory]
    [InlineData(0, 5, "beta")]
    [InlineData(5, 0, "alpha")]
    [InlineData(0, 0, "alpha")]   // equal: the lower journey id
    [InlineData(-2, -1, "beta")]
    public void Entries_of_one_event_send_in_priority_order(int alpha, int beta, string winner)
    {
        using var h = TwoJourneys(alpha, beta, MailOnly);

        h.Event("promo.start", "2026-03-02T08:00:00Z");
        h.AdvanceTo("2026-03-05T00:00:00Z");

        AssertWinner(h, winner, "2026-03-02T08:00:00Z", "2026-03-03T08:00:00Z");
    }

    [Theory]
    [InlineData(0, 5, "beta")]
    [InlineData(5, 0, "alpha")]
    [InlineData(0, 0, "alpha")]
    public void Timers_due_at_the_same_instant_fire_in_priority_order(int alpha, int beta, string winner)
    {
        using var h = TwoJourneys(alpha, beta, id => $$"""
              - id: pause
                wait: 1h
              - id: mail
                email: { template: {{id}}-mail }
            """);

        // Both waits end at 09:00; the instance ids (hashes with the event id) must not decide.
        h.Event("promo.start", "2026-03-02T08:00:00Z");
        h.AdvanceTo("2026-03-05T00:00:00Z");

        AssertWinner(h, winner, "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z");
    }

    [Theory]
    [InlineData(0, 5, "beta")]
    [InlineData(5, 0, "alpha")]
    [InlineData(0, 0, "alpha")]   // equal: the instance that entered first (alpha, at 08:00)
    public void Instances_one_event_resumes_send_in_priority_order(int alpha, int beta, string winner)
    {
        using var h = TwoJourneys(alpha, beta, id => $$"""
              - id: wait-for-order
                wait_for:
                  event: order.placed
              - id: mail
                email: { template: {{id}}-mail }
            """, entryEvent: id => id + ".start");

        h.Event("alpha.start", "2026-03-02T08:00:00Z");
        h.Event("beta.start", "2026-03-02T08:30:00Z");
        h.Event("order.placed", "2026-03-02T10:00:00Z");
        h.AdvanceTo("2026-03-05T00:00:00Z");

        AssertWinner(h, winner, "2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z");
    }
}
