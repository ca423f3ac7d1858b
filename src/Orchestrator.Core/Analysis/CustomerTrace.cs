using System.Globalization;
using Orchestrator.Contracts;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Ports;

namespace Orchestrator.Core.Analysis;

/// <summary>One line of a customer's trace: an event, an outcome, an answer, or why something did not happen.</summary>
public sealed record TraceLine(DateTimeOffset At, string Kind, string? Journey, string? Step, string Text);

/// <summary>Per journey: what happened to the customer in it, or why nothing did.</summary>
public sealed record TraceJourney(string Journey, int Entered, int Sent, IReadOnlyList<string> Why);

/// <summary><c>orchestrator trace &lt;customerId&gt;</c>: everything the store knows about one customer, in time order, in words.</summary>
public sealed record CustomerTrace(string CustomerId, IReadOnlyList<TraceLine> Lines, IReadOnlyList<TraceJourney> Journeys, IReadOnlyList<string> Notes);

/// <summary>
/// Builds a trace from the event log and the outcome log. What did not happen (no entry, an event that could not
/// count) leaves no row; the engine is pure, so the trace replays the customer's stored events through it and asks
/// the entry rule why, instead of the worker writing a row for every non-event.
/// </summary>
public static class CustomerTraceBuilder
{
    public const string EventLine = "event";
    public const string OutcomeLine = "outcome";
    public const string FeedbackLine = "feedback";
    public const string WhyLine = "why";

    public static async Task<CustomerTrace> BuildAsync(string customerId, JourneyCatalog catalog, SendingOptions sending, IAnalysisReader reader, CancellationToken cancellationToken)
    {
        var events = await reader.ReadCustomerEventsAsync(customerId, cancellationToken).ConfigureAwait(false);
        var outcomes = await reader.ReadCustomerOutcomesAsync(customerId, cancellationToken).ConfigureAwait(false);
        var feedback = await reader.ReadCustomerFeedbackAsync(customerId, cancellationToken).ConfigureAwait(false);
        return Build(customerId, catalog, sending, events, outcomes, feedback);
    }

    public static CustomerTrace Build(string customerId, JourneyCatalog catalog, SendingOptions sending, IReadOnlyList<StoredEvent> events,
        IReadOnlyList<Outcome> outcomes, IReadOnlyList<FeedbackAnswer> feedback)
    {
        var lines = new List<(TraceLine Line, int Order)>();
        var order = 0;
        void Add(DateTimeOffset at, string kind, string? journey, string? step, string text) => lines.Add((new TraceLine(at, kind, journey, step, text), order++));
        var notes = new List<string>();
        var whyNot = new Dictionary<string, List<string>>(StringComparer.Ordinal);

        // The replay: the customer's events in arrival order through the journeys as they are now.
        var engine = new JourneyEngine(sending, TimeProvider.System);
        CustomerState? state = null;
        DateTimeOffset? unsubscribedAt = null;
        DateTimeOffset? bouncedAt = null;
        DateTimeOffset? latest = null;
        foreach (var stored in events)
        {
            var evt = stored.Event;
            var at = evt.OccurredAt.ToUniversalTime();
            // Late means out of order: it arrived after an event that happened later (a replay's arrival times are all "late").
            Add(at, EventLine, null, null, DescribeEvent(evt) + (at < latest ? $" (arrived {Time(stored.ReceivedAt)}, after an event of {Time(latest.Value)})" : ""));
            latest = latest is { } l && l > at ? l : at;
            if (evt.Type == ReservedEvents.Unsubscribed)
                unsubscribedAt = at;
            if (evt.Type == ReservedEvents.Resubscribed)
                unsubscribedAt = null;
            if (evt.Type == ReservedEvents.Bounced)
                bouncedAt ??= at;
            foreach (var instance in state?.Instances.Where(i => i.Status == InstanceStatus.Active && at < i.EnteredAt) ?? [])
            {
                if ((catalog.Find(instance.JourneyId, instance.Version) ?? catalog.LatestOf(instance.JourneyId)) is { } journey && Uses(journey, evt.Type))
                    Add(at, WhyLine, journey.Id, instance.StepId,
                        $"{evt.Type} occurred at {Time(at)}, before this {journey.Id} instance entered ({Time(instance.EnteredAt)}): it does not count for it (it arrived late)");
            }
            foreach (var (journey, check) in engine.ExplainEntries(catalog, state, evt))
            {
                var why = check.Verdict switch
                {
                    EntryVerdict.ConditionFalse => $"did not enter {journey.Id}: its entry condition `{journey.Entry.When!.Source}` was false ({check.ConditionValues})",
                    EntryVerdict.AlreadyActive => $"did not enter {journey.Id} again: an instance{KeyText(check.Key)} has been active since {Time(check.Other!.EnteredAt)}",
                    EntryVerdict.ReentryNever => $"did not enter {journey.Id} again: reentry is never and an instance{KeyText(check.Key)} entered at {Time(check.Other!.EnteredAt)}",
                    EntryVerdict.ReentryTooEarly => $"did not enter {journey.Id} again: reentry after {Duration.Format(journey.Entry.Reentry.After)}, so not before {Time(check.Until!.Value)}",
                    _ => null,
                };
                if (why is null)
                    continue;
                Add(at, WhyLine, journey.Id, null, why);
                (whyNot.TryGetValue(journey.Id, out var list) ? list : whyNot[journey.Id] = []).Add($"{Time(at)}: {why}");
            }
            state = engine.HandleEvent(catalog, state, evt).State;
        }

        foreach (var outcome in outcomes)
            Add(outcome.At, OutcomeLine, outcome.JourneyId, outcome.StepId, DescribeOutcome(outcome, unsubscribedAt, bouncedAt));
        foreach (var answer in feedback)
            Add(answer.At, FeedbackLine, answer.JourneyId, answer.StepId, DescribeFeedback(answer));

        var versions = outcomes.Select(o => (o.JourneyId, o.Version)).Distinct().Where(v => catalog.Find(v.JourneyId, v.Version) is null).ToList();
        if (versions.Count > 0)
            notes.Add($"Explanations replay the journey files as they are now; the store also has older versions whose text it does not keep ({string.Join(", ", versions.Select(v => $"{v.JourneyId} {Short(v.Version)}"))}).");
        if (events.Count == 0)
            notes.Add("No events in the event log for this customer (never seen, or older than Orchestrator:Analysis:EventRetention).");

        var journeys = catalog.Latest.Select(journey =>
        {
            var of = outcomes.Where(o => o.JourneyId == journey.Id).ToList();
            var entered = of.Count(o => o.Kind == OutcomeKind.Entered);
            var sent = of.Count(o => o.Kind == OutcomeKind.Sent);
            var why = new List<string>();
            if (entered == 0)
            {
                if (whyNot.TryGetValue(journey.Id, out var reasons))
                    why.AddRange(reasons);
                else if (events.All(e => e.Event.Type != journey.Entry.Event))
                    why.Add($"no {journey.Entry.Event} event, which is what starts {journey.Id}");
            }
            else if (sent == 0 && journey.Steps.OfType<EmailStep>().Any())
            {
                why.AddRange(of.Where(o => o.Kind is OutcomeKind.Skipped or OutcomeKind.Suppressed or OutcomeKind.Deferred or OutcomeKind.Failed)
                    .Select(o => $"{Time(o.At)} {o.StepId}: {DescribeOutcome(o, unsubscribedAt, bouncedAt)}"));
                if (why.Count == 0)
                    why.Add("no email step was reached (see the outcomes above)");
            }
            return new TraceJourney(journey.Id, entered, sent, why);
        }).ToList();

        return new CustomerTrace(customerId, lines.OrderBy(l => l.Line.At).ThenBy(l => l.Order).Select(l => l.Line).ToList(), journeys, notes);
    }

    private static bool Uses(JourneyDefinition journey, string type) =>
        journey.Goal?.Event == type || journey.Exits.Any(e => e.Event == type) || journey.Steps.OfType<WaitForStep>().Any(w => w.Event == type);

    private static string DescribeEvent(CustomerEvent evt)
    {
        var text = evt.Type;
        if (evt.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p)
        {
            var shown = p.EnumerateObject().Where(x => x.Value.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Array)).Take(5)
                .Select(x => $"{x.Name}={x.Value}");
            text += " " + string.Join(" ", shown);
        }
        return text.TrimEnd();
    }

    /// <summary>An outcome in words, with the reason a marketer can act on.</summary>
    public static string DescribeOutcome(Outcome o, DateTimeOffset? unsubscribedAt = null, DateTimeOffset? bouncedAt = null)
    {
        string? D(string key) => o.Detail is { } d && d.TryGetValue(key, out var v) && v is not null ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        var reason = D("reason");
        return o.Kind switch
        {
            OutcomeKind.Entered => $"entered {o.JourneyId}" + (D("key") is { } key ? $" (key {key})" : ""),
            OutcomeKind.Sent => $"sent '{D("subject")}' to {D("to")}",
            OutcomeKind.Skipped when reason == SkipReason.NoAddress => "skipped: the profile has no valid email address",
            OutcomeKind.Skipped when reason?.StartsWith(SkipReason.MissingDataPrefix, StringComparison.Ordinal) == true =>
                $"skipped: the template requires {reason[SkipReason.MissingDataPrefix.Length..]}, which the customer's data does not have",
            OutcomeKind.Skipped when reason == SkipReason.RenderError => $"skipped: the template failed to render ({D("error")})",
            OutcomeKind.Suppressed when reason == AddressSuppression.UnsubscribedReason => "suppressed: the customer unsubscribed" + (unsubscribedAt is { } u ? $" (since {Time(u)})" : ""),
            OutcomeKind.Suppressed when reason == AddressSuppression.Bounced => "suppressed: the address bounced permanently" + (bouncedAt is { } b ? $" (since {Time(b)})" : ""),
            OutcomeKind.Deferred when reason == SendRules.SendWindowReason => $"deferred: outside the send window{(D("zone") is { } z ? $" in {z}" : "")}, until {D("until")}",
            OutcomeKind.Deferred when reason == SendRules.FrequencyCapReason => $"deferred: the frequency cap is reached, until {D("until")}",
            OutcomeKind.Waiting => D("event") is { } e ? $"waiting for {e}" + (D("until") is { } until ? $" until {until}" : "") : $"waiting until {D("until")}",
            OutcomeKind.Resumed => D("by") switch { "event" => $"resumed by {D("event")}", "timeout" => "resumed: timed out", _ => "resumed: the wait is over" },
            OutcomeKind.Branched => $"branched: case {D("case")} -> {D("next")}",
            OutcomeKind.Assigned => $"assigned variant {o.Variant} -> {D("next")}",
            OutcomeKind.Converted => $"converted by {D("event")}" + (D("afterCompletion") == "True" ? " (after the instance completed, within the goal's window)" : ""),
            OutcomeKind.Exited => reason == EndReason.Goal ? "exited: reached the goal" : $"exited: {reason}",
            OutcomeKind.Completed => reason == EndReason.ExitStep ? "completed (exit step)" : "completed (end of the steps)",
            OutcomeKind.Failed => $"failed: {reason ?? D("error") ?? "the mail server refused it"}",
            OutcomeKind.Unknown => "unknown: the worker stopped while handing the mail to SMTP; not resent",
            _ => o.Kind + (reason is null ? "" : ": " + reason),
        };
    }

    private static string DescribeFeedback(FeedbackAnswer a)
    {
        var where = a.Level switch
        {
            FeedbackLevel.Touchpoint => $"touchpoint {a.JourneyId}/{a.StepId}",
            FeedbackLevel.Journey when a.Attributed => $"journey {a.JourneyId}",
            FeedbackLevel.Journey => $"journey {a.JourneyId} (no instance to belong to)",
            _ => a.Attributed ? "relationship" : "relationship (no recent email to belong to)",
        };
        return $"answered {a.Metric} {a.Score.ToString(CultureInfo.InvariantCulture)} ({where})" + (a.Comment is { } c ? $": \"{c}\"" : "");
    }

    private static string KeyText(string key) => key.Length == 0 ? "" : $" with key {key}";

    private static string Short(string version) => version.Length > 12 ? version[..12] : version;

    public static string Time(DateTimeOffset t) => Iso.Format(t);
}
