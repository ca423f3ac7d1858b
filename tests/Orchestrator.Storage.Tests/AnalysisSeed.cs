using System.Globalization;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// Thousands of made-up instances of the journey <see cref="Yaml"/>, generated from a seeded random source. Each
/// instance keeps the truth it was generated from (path, waits, conversion, end, arm, answers), so the expected
/// figures are computed from the truth, not by the report code reading the rows.
/// </summary>
internal sealed class AnalysisSeed
{
    public const string JourneyId = "seeded";

    public const string Yaml = """
        id: seeded
        name: Seeded journey
        phase: purchase
        entry:
          event: signup
        goal:
          event: order
          within: 7d
          exit: false
        steps:
          - id: wait-1d
            wait: 1d
          - id: mail-1
            email:
              template: t
          - id: wait-click
            wait_for:
              event: click
              timeout: 2d
              on_event: thanks
              on_timeout: test
          - id: test
            split:
              - variant: a
                weight: 40
                next: mail-a
              - variant: b
                weight: 40
                next: mail-b
              - variant: holdout
                weight: 20
                next: end
          - id: mail-a
            email:
              template: t
            next: end
          - id: mail-b
            email:
              template: t
            next: end
          - id: thanks
            branch:
              - when: "customer.attributes.vip == true"
                next: vip
              - else: end
          - id: vip
            email:
              template: t
          - id: end
            exit: {}
        """;

    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Now = T0.AddDays(60);
    public static readonly TimeSpan Within = TimeSpan.FromDays(7);

    public List<Truth> Instances { get; } = [];
    public List<FeedbackAnswer> Feedback { get; } = [];

    /// <summary>Events for the event log: unsubscribes (guardrail) and later orders (retention).</summary>
    public List<(string Customer, string Type, DateTimeOffset At)> Events { get; } = [];

    /// <summary>Goal events that also converted the journey "other".</summary>
    public HashSet<string> SharedEventIds { get; } = [];

    public sealed class Truth
    {
        public required string Customer { get; init; }
        public required string Instance { get; init; }
        public required string Version { get; init; }
        public required DateTimeOffset EnteredAt { get; init; }
        public List<Outcome> Log { get; } = [];
        public List<string> Path { get; } = [];
        public Dictionary<string, TimeSpan> Dwell { get; } = [];
        public bool Active { get; set; }
        public string? End { get; set; }
        public string? EndReason { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public string? Variant { get; set; }
        public DateTimeOffset? AssignedAt { get; set; }
        public DateTimeOffset? ConvertedAt { get; set; }
        public string? ConversionEventId { get; set; }
    }

    public static AnalysisSeed Generate(int count, int seed)
    {
        var random = new Random(seed);
        var result = new AnalysisSeed();
        for (var i = 0; i < count; i++)
        {
            var t = new Truth
            {
                Customer = $"c-{i:00000}",
                Instance = $"i-{i:00000}",
                Version = random.NextDouble() < 0.1 ? "v2" : "v1",
                EnteredAt = T0.AddMinutes(random.Next(28 * 24 * 60)),
            };
            var e = t.EnteredAt;
            void Add(string? step, string kind, DateTimeOffset at, string? reason = null, string? eventId = null)
            {
                var detail = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (reason is not null)
                    detail["reason"] = reason;
                if (eventId is not null)
                    detail["eventId"] = eventId;
                t.Log.Add(new Outcome(at, JourneyId, t.Version, t.Customer, t.Instance, step, kind, t.Variant, detail.Count == 0 ? null : detail));
                if (step is not null && (t.Path.Count == 0 || t.Path[^1] != step))
                    t.Path.Add(step);
            }
            void End(string step, string kind, string reason, DateTimeOffset at)
            {
                Add(step, kind, at, reason);
                t.End = kind;
                t.EndReason = reason;
                t.EndedAt = at;
            }

            Add(null, OutcomeKind.Entered, e);
            Add("wait-1d", OutcomeKind.Waiting, e);
            Add("wait-1d", OutcomeKind.Resumed, e.AddDays(1));
            t.Dwell["wait-1d"] = TimeSpan.FromDays(1);
            var mail = random.NextDouble();
            if (mail < 0.9)
                Add("mail-1", OutcomeKind.Sent, e.AddDays(1));
            else if (mail < 0.95)
                Add("mail-1", OutcomeKind.Skipped, e.AddDays(1), "no-address");
            else
                Add("mail-1", OutcomeKind.Suppressed, e.AddDays(1), "unsubscribed");
            Add("wait-click", OutcomeKind.Waiting, e.AddDays(1));

            var fate = random.NextDouble();
            if (fate < 0.05)
            {
                t.Active = true;
            }
            else if (fate < 0.08)
            {
                End("wait-click", OutcomeKind.Exited, "cancelled", e.AddDays(1).AddHours(6));
            }
            else if (fate < 0.28)
            {
                var click = e.AddDays(1).AddMinutes(random.Next(1, 48 * 60));
                Add("wait-click", OutcomeKind.Resumed, click);
                t.Dwell["wait-click"] = click - e.AddDays(1);
                Add("thanks", OutcomeKind.Branched, click);
                End("end", OutcomeKind.Completed, "exit-step", click);
                if (random.NextDouble() < 0.5)
                    Convert(t, click.AddMinutes(random.Next(1, 24 * 60)), Add);
            }
            else
            {
                var timeout = e.AddDays(3);
                Add("wait-click", OutcomeKind.Resumed, timeout);
                t.Dwell["wait-click"] = TimeSpan.FromDays(2);
                var arm = random.Next(100);
                t.Variant = arm < 40 ? "a" : arm < 80 ? "b" : "holdout";
                t.AssignedAt = timeout;
                Add("test", OutcomeKind.Assigned, timeout);
                if (t.Variant != "holdout")
                    Add("mail-" + t.Variant, OutcomeKind.Sent, timeout);
                End("end", OutcomeKind.Completed, "exit-step", timeout);
                var rate = t.Variant switch { "a" => 0.14, "b" => 0.10, _ => 0.08 };
                if (random.NextDouble() < rate)
                    Convert(t, timeout.AddMinutes(random.Next(1, 4 * 24 * 60)), Add);
                if (t.Variant == "a" && random.NextDouble() < 0.05)
                    result.Events.Add((t.Customer, ReservedEvents.Unsubscribed, timeout.AddHours(1)));
                if (t.Variant != "holdout" && random.NextDouble() < 0.4)
                    result.AddAnswers(t, random);
            }
            if (t.EndedAt is { } ended && random.NextDouble() < 0.3)
                result.Events.Add((t.Customer, "order", ended.AddDays(random.Next(1, 60))));
            if (random.NextDouble() < 0.1)
            {
                result.Feedback.Add(new FeedbackAnswer
                {
                    EventId = $"nps-{i}", CustomerId = t.Customer, At = e.AddDays(10), Metric = "nps", Score = random.Next(0, 11),
                    Level = FeedbackLevel.Relationship,
                });
            }
            result.Instances.Add(t);
        }
        foreach (var t in result.Instances.Where(t => t.ConversionEventId is not null).Take(40))
            result.SharedEventIds.Add(t.ConversionEventId!);
        for (var u = 0; u < 10; u++)
        {
            result.Feedback.Add(new FeedbackAnswer
            {
                EventId = $"lost-{u}", CustomerId = $"c-{u:00000}", At = T0.AddDays(40), Metric = "csat", Score = 3,
                Level = FeedbackLevel.Journey, JourneyId = JourneyId, Attributed = false,
            });
        }
        return result;
    }

    private static void Convert(Truth t, DateTimeOffset at, Action<string?, string, DateTimeOffset, string?, string?> add)
    {
        t.ConvertedAt = at;
        t.ConversionEventId = "order-" + t.Instance;
        add(null, OutcomeKind.Converted, at, null, t.ConversionEventId);
    }

    /// <summary>
    /// Two touchpoint answers (mail-1, then the arm's mail) and a journey answer. Half the customers had a late
    /// delivery: their touchpoints score 4-5, yet the journey 1-3 (the HBR pattern); the others judge the journey by
    /// its peak and end.
    /// </summary>
    private void AddAnswers(Truth t, Random random)
    {
        var late = random.NextDouble() < 0.5;
        var first = late ? random.Next(4, 6) : random.Next(1, 6);
        var second = late ? random.Next(4, 6) : random.Next(1, 6);
        var journey = late ? random.Next(1, 4) : Math.Clamp((int)Math.Round(((Math.Abs(first - 3) >= Math.Abs(second - 3) ? first : second) + second) / 2.0) + random.Next(-1, 2), 1, 5);
        FeedbackAnswer Answer(string id, string? step, double score, DateTimeOffset at, FeedbackLevel level) => new()
        {
            EventId = $"{id}-{t.Instance}", CustomerId = t.Customer, At = at, Metric = "csat", Score = score, Level = level,
            JourneyId = JourneyId, Version = t.Version, StepId = step, InstanceId = t.Instance,
        };
        Feedback.Add(Answer("tp1", "mail-1", first, t.EnteredAt.AddDays(1).AddHours(2), FeedbackLevel.Touchpoint));
        Feedback.Add(Answer("tp2", "mail-" + t.Variant, second, t.EnteredAt.AddDays(3).AddHours(2), FeedbackLevel.Touchpoint));
        Feedback.Add(Answer("journey", null, journey, t.EnteredAt.AddDays(4), FeedbackLevel.Journey));
    }

    public static string Week(DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(at.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(at.UtcDateTime):00}");
}
