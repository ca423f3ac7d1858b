using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Analysis;

/// <summary>
/// Decides what a <c>feedback.submitted</c> answer belongs to, in docs/analysis-contract.md's order: the send named by
/// <c>sendKey</c>; the latest instance of the named <c>journey</c>; relationship for nps; else the customer's last
/// email within the touchpoint window; else relationship, marked unattributed.
/// </summary>
public static class FeedbackAttribution
{
    /// <param name="decided">
    /// The sends of the event's own decision, not stored yet: timers due before the answer run in the same decision
    /// (in the simulator always, in the worker when it was down), so the mail being answered may be among them. Only
    /// those due before the answer count: a mail the answer itself triggers (a thank-you) is not what it answers.
    /// </param>
    public static async Task<FeedbackAnswer> AttributeAsync(CustomerEvent evt, CustomerState? before, IReadOnlyList<EmailToSend> decided, IJourneyUnitOfWork unit,
        AnalysisOptions options, CancellationToken cancellationToken)
    {
        var (metric, score, sendKey, journeyId, comment) = FeedbackEvent.Read(evt);
        var at = evt.OccurredAt.ToUniversalTime();
        var answer = new FeedbackAnswer
        {
            EventId = evt.EventId, CustomerId = evt.CustomerId, At = at, Metric = metric.Name, Score = score,
            Level = FeedbackLevel.Relationship, Comment = comment,
        };

        // A key of another customer's mail (a forwarded survey link) says nothing about this customer's touchpoint.
        var earlier = decided.Where(s => s.At < at).Select(s => new SendReference(s.SendKey, s.CustomerId, s.JourneyId, s.Version, s.StepId, s.InstanceId, s.At)).ToList();
        if (sendKey is not null
            && (earlier.FirstOrDefault(s => s.SendKey == sendKey) ?? await unit.FindSendAsync(sendKey, cancellationToken).ConfigureAwait(false)) is { } named
            && named.CustomerId == evt.CustomerId)
            return Touchpoint(answer, named);

        if (journeyId is not null)
        {
            var window = options.JourneyWindowSpan;
            var latest = before?.Instances.Where(i => i.JourneyId == journeyId && i.EnteredAt <= at).MaxBy(i => i.EnteredAt);
            var current = latest is not null && (latest.Status == InstanceStatus.Active || latest.EndedAt >= at - window) ? latest : null;
            return answer with
            {
                Level = FeedbackLevel.Journey,
                JourneyId = journeyId,
                Version = current?.Version,
                InstanceId = current?.Id,
                Attributed = current is not null,
            };
        }

        if (metric == FeedbackMetric.Nps)
            return answer;

        var since = at - options.TouchpointWindowSpan;
        var last = earlier.LastOrDefault(s => s.At >= since) ?? await unit.LastSentAsync(since, at, cancellationToken).ConfigureAwait(false);
        return last is null ? answer with { Attributed = false } : Touchpoint(answer, last);
    }

    private static FeedbackAnswer Touchpoint(FeedbackAnswer answer, SendReference send) => answer with
    {
        Level = FeedbackLevel.Touchpoint,
        JourneyId = send.JourneyId,
        Version = send.Version,
        StepId = send.StepId,
        InstanceId = send.InstanceId,
        SendKey = send.SendKey,
    };
}
