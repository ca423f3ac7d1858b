using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Processing;
using Orchestrator.Core.Simulation;
using Orchestrator.Core.Tests.Journeys;

namespace Orchestrator.Core.Tests.Analysis;

/// <summary>feedback.submitted: what is rejected, and what each answer is attributed to (docs/analysis-contract.md's four rules).</summary>
public sealed class FeedbackTests : IDisposable
{
    private readonly JourneyFolder _folder = new();
    private readonly JourneyCatalog _catalog;

    public FeedbackTests()
    {
        _folder.Template("survey", """
            ---
            subject: "How was it?"
            ---
            <a href="https://shop.example/feedback?score=5&amp;send={{ send.key }}">5</a>
            """);
        _folder.Journey("survey.yaml", """
            id: survey
            name: Survey
            entry:
              event: order.delivered
            steps:
              - id: wait-1h
                wait: 1h
              - id: ask
                email:
                  template: survey
              - id: wait-answer
                wait_for:
                  event: feedback.submitted
                  timeout: 2d
            """);
        var loaded = _folder.Load();
        Assert.False(loaded.HasErrors, Expect.Describe(loaded));
        _catalog = new JourneyCatalog(loaded.Journeys);
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("""{"metric":"stars","score":4}""", "unknown metric 'stars'")]
    [InlineData("""{"score":4}""", "needs properties.metric")]
    [InlineData("""{"metric":"csat","score":6}""", "score 6 is out of range for csat (1-5)")]
    [InlineData("""{"metric":"ces","score":0}""", "score 0 is out of range for ces (1-7)")]
    [InlineData("""{"metric":"nps","score":11}""", "out of range for nps (0-10)")]
    [InlineData("""{"metric":"nps","score":"9"}""", "needs properties.score, a number from 0-10")]
    [InlineData("""{"metric":"csat","score":4,"sendKey":12}""", "properties.sendKey must be text")]
    public void Bad_feedback_is_rejected_with_the_reason_on_every_way_in(string properties, string reason)
    {
        var json = $$"""{"eventId":"f-1","customerId":"c-1","type":"feedback.submitted","occurredAt":"2026-03-02T10:00:00Z","properties":{{properties}}}""";
        Assert.False(EventJson.TryParse(json, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var typed = new CustomerEvent { EventId = "f-1", CustomerId = "c-1", Type = FeedbackEvent.Type, OccurredAt = T(0), Properties = System.Text.Json.JsonDocument.Parse(properties).RootElement };
        Assert.Contains(reason, EventIngress.Validate(typed), StringComparison.Ordinal);
    }

    [Fact]
    public void A_send_key_from_the_email_attributes_the_answer_to_that_send_and_the_template_shows_it()
    {
        var first = Run([Delivered("c-1", 0)]);
        var send = Assert.Single(first.Sends);
        Assert.Contains($"send={send.SendKey}", send.Html, StringComparison.Ordinal);

        var result = Run([Delivered("c-1", 0), Feedback("c-1", 3, """{"metric":"csat","score":2,"sendKey":"KEY"}""".Replace("KEY", send.SendKey, StringComparison.Ordinal))]);
        var answer = Assert.Single(result.Feedback);
        Assert.Equal((FeedbackLevel.Touchpoint, "survey", "ask", send.InstanceId, send.SendKey, true), (answer.Level, answer.JourneyId, answer.StepId, answer.InstanceId, answer.SendKey, answer.Attributed));
        // The journey still sees the answer as an event: it resumed the wait_for.
        Assert.Contains(result.Outcomes, o => o.StepId == "wait-answer" && o.Kind == OutcomeKind.Resumed);
    }

    [Fact]
    public void Another_customers_send_key_does_not_attribute_and_the_next_rule_applies()
    {
        var send = Run([Delivered("c-1", 0)]).Sends.Single();
        var result = Run([Delivered("c-1", 0), Delivered("c-2", 0), Feedback("c-2", 3, $$"""{"metric":"csat","score":5,"sendKey":"{{send.SendKey}}"}""")]);
        var answer = Assert.Single(result.Feedback);
        // c-2's own survey mail went out at 1h: the last email within 3 days.
        Assert.Equal(FeedbackLevel.Touchpoint, answer.Level);
        Assert.NotEqual(send.SendKey, answer.SendKey);
        Assert.Equal(result.Sends.Single(s => s.CustomerId == "c-2").SendKey, answer.SendKey);
    }

    [Fact]
    public void A_journey_answer_belongs_to_the_latest_instance_while_active_or_ended_at_most_14_days_ago()
    {
        var result = Run([
            Delivered("c-1", 0),
            Feedback("c-1", 24 * 5, """{"metric":"csat","score":4,"journey":"survey"}"""),          // ended at 49h: 3 days ago
            Feedback("c-1", 24 * 20, """{"metric":"csat","score":4,"journey":"survey"}"""),         // ended 18 days ago
            Feedback("c-1", 24 * 21, """{"metric":"csat","score":4,"journey":"welcome"}"""),        // never in that journey
        ]);
        Assert.Equal(3, result.Feedback.Count);
        Assert.Equal((FeedbackLevel.Journey, true), (result.Feedback[0].Level, result.Feedback[0].Attributed));
        Assert.NotNull(result.Feedback[0].InstanceId);
        Assert.Equal((FeedbackLevel.Journey, false, (string?)null), (result.Feedback[1].Level, result.Feedback[1].Attributed, result.Feedback[1].InstanceId));
        Assert.Equal((FeedbackLevel.Journey, false, "welcome"), (result.Feedback[2].Level, result.Feedback[2].Attributed, result.Feedback[2].JourneyId));
    }

    [Fact]
    public void Nps_is_relationship_and_csat_without_a_recent_email_is_kept_unattributed()
    {
        var result = Run([
            Delivered("c-1", 0),
            Feedback("c-1", 5, """{"metric":"nps","score":9}"""),
            Feedback("c-1", 6, """{"metric":"ces","score":6,"comment":"easy"}"""),   // the survey mail at 1h: touchpoint
            Feedback("c-1", 24 * 4, """{"metric":"csat","score":3}"""),             // nothing sent in the last 3 days
        ]);
        Assert.Equal((FeedbackLevel.Relationship, true), (result.Feedback[0].Level, result.Feedback[0].Attributed));
        Assert.Equal((FeedbackLevel.Touchpoint, "ask", "easy"), (result.Feedback[1].Level, result.Feedback[1].StepId, result.Feedback[1].Comment));
        Assert.Equal((FeedbackLevel.Relationship, false), (result.Feedback[2].Level, result.Feedback[2].Attributed));
    }

    [Fact]
    public void The_mail_an_answer_triggers_is_not_the_mail_it_answers()
    {
        // The survey mail is due at 1h; the answer comes at 1h30 with no event in between, so the simulator runs the
        // due timer in the answer's own decision. The answer still belongs to that earlier mail.
        var result = Run([Delivered("c-1", 0), Feedback("c-1", 1.5, """{"metric":"csat","score":5}""")]);
        Assert.Equal(result.Sends.Single().SendKey, result.Feedback.Single().SendKey);
    }

    private SimulationResult Run(IReadOnlyList<CustomerEvent> events) =>
        Simulator.RunAsync(_catalog, events, new SendingOptions(), T(24 * 40)).GetAwaiter().GetResult();

    private static int _ids;

    private static CustomerEvent Delivered(string customer, double hours) => new()
    {
        EventId = $"d-{customer}-{hours}", CustomerId = customer, Type = "order.delivered", OccurredAt = T(hours),
        Customer = new CustomerProfileUpdate { Email = $"{customer}@example.com" },
    };

    private static CustomerEvent Feedback(string customer, double hours, string properties) => new()
    {
        EventId = $"f-{Interlocked.Increment(ref _ids)}", CustomerId = customer, Type = FeedbackEvent.Type, OccurredAt = T(hours),
        Properties = System.Text.Json.JsonDocument.Parse(properties).RootElement,
    };

    private static DateTimeOffset T(double hours) => new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero).AddHours(hours);
}
