using Fluid.Values;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Liquid;
using static Orchestrator.Core.Engine.EngineScopes;
using static Orchestrator.Core.Engine.SendKeys;

namespace Orchestrator.Core.Engine;

/// <summary>
/// The decision engine: given the journeys, one customer's state and one event (or the passing of time), it returns
/// what happens. It does no I/O and keeps no state of its own, so the worker and the simulator decide identically.
/// </summary>
public sealed partial class JourneyEngine
{
    // A journey whose steps keep jumping without waiting is stopped rather than spinning (the validator rejects
    // such loops; this guards versions loaded before that check existed or built in code).
    private const int MaxStepsPerDecision = 1_000;

    // How long a held instance (its version not loaded) waits before its timer is looked at again.
    internal static readonly TimeSpan HeldRecheck = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly string _defaultFrom;
    private readonly FrequencyCap? _cap;

    public JourneyEngine(SendingOptions sending, TimeProvider time)
    {
        _time = time;
        _defaultFrom = sending.DefaultFrom;
        _cap = FrequencyCap.From(sending);
    }

    /// <summary>
    /// Decides one event: timers due at or before its <c>occurredAt</c> first, then the profile update, the reserved
    /// types, every active instance (exit → goal → wait_for), goals of completed instances within their window, and entries.
    /// </summary>
    public Decision HandleEvent(JourneyCatalog catalog, CustomerState? current, CustomerEvent evt)
    {
        var run = new Run(this, catalog, (current ?? CustomerState.New(evt.CustomerId)).Clone());
        var at = DecisionTime(evt);
        run.AdvanceTimers(at);
        run.State.Profile = ProfileMerge.Apply(run.State.Profile, evt.Customer);
        ReservedEvents.Apply(run.State, evt);
        var eventValue = EventValue(evt);

        // Higher priority first (the frequency cap may let only the first send), then the order they entered in.
        foreach (var instance in run.State.Instances.Where(i => i.Status == InstanceStatus.Active)
                     .OrderByDescending(i => catalog.PriorityOf(i.JourneyId, i.Version)).ThenBy(i => i.EnteredAt).ThenBy(i => i.Id, StringComparer.Ordinal).ToList())
        {
            if (at < instance.EnteredAt || run.Resolve(instance, at) is not { } journey)
                continue;
            run.OnEvent(journey, instance, evt, eventValue, at);
        }
        foreach (var instance in run.State.Instances.Where(i => i.Status == InstanceStatus.Completed && i.ConvertedAt is null).ToList())
        {
            if (catalog.Find(instance.JourneyId, instance.Version) is { Goal: { Within: { } within } goal } journey
                && evt.Type == goal.Event && at >= instance.EnteredAt && at <= instance.EnteredAt + within
                && run.Matches(goal.When, journey, instance, eventValue))
            {
                instance.ConvertedAt = at;
                run.Record(at, journey, instance, null, OutcomeKind.Converted, ("event", evt.Type), ("eventId", evt.EventId), ("afterCompletion", true));
            }
        }
        foreach (var journey in catalog.EnteredBy(evt.Type))
            run.TryEnter(journey, evt, eventValue, at);
        return run.Finish(at);
    }

    /// <summary>
    /// Runs every wait, timeout and deferred send of the customer that is due at the current time, or by
    /// <paramref name="dueBy"/> when that is earlier (the worker's timers wait for event intake to catch up).
    /// </summary>
    public Decision HandleDue(JourneyCatalog catalog, CustomerState current, DateTimeOffset? dueBy = null)
    {
        var run = new Run(this, catalog, current.Clone());
        var now = _time.GetUtcNow();
        if (dueBy < now)
            now = dueBy.Value;
        run.AdvanceTimers(now);
        return run.Finish(now);
    }

    /// <summary>
    /// When an event is decided: at its own <c>occurredAt</c>, as the simulator decides it, but never later than the
    /// clock's now. An event dated a little ahead (a publisher's clock running fast, within the intake's
    /// <c>MaxClockSkew</c>) is decided at the worker's time, so no timer of the customer runs before its due time. The
    /// simulator's clock stands at each event's time, so there the two are the same.
    /// </summary>
    private DateTimeOffset DecisionTime(CustomerEvent evt)
    {
        var at = evt.OccurredAt.ToUniversalTime();
        var now = _time.GetUtcNow();
        return at > now ? now.ToUniversalTime() : at;
    }

    /// <summary>
    /// Why each journey that <paramref name="evt"/>'s type can start would, or would not, let the customer in, judged
    /// on <paramref name="current"/> before the event is decided (for traces; decides nothing).
    /// </summary>
    public IReadOnlyList<(JourneyDefinition Journey, EntryCheck Check)> ExplainEntries(JourneyCatalog catalog, CustomerState? current, CustomerEvent evt)
    {
        var run = new Run(this, catalog, (current ?? CustomerState.New(evt.CustomerId)).Clone());
        var at = DecisionTime(evt);
        run.State.Profile = ProfileMerge.Apply(run.State.Profile, evt.Customer);
        var eventValue = EventValue(evt);
        return catalog.EnteredBy(evt.Type).Select(j => (j, run.CheckEntry(j, evt, eventValue, at))).ToList();
    }

    /// <summary>
    /// Renders an email step for a customer as the engine would at send time, for <c>orchestrator preview</c>.
    /// <paramref name="entry"/> stands for the event that started the instance.
    /// </summary>
    public static RenderedEmail Preview(JourneyDefinition journey, EmailStep step, CustomerProfile profile, CustomerEvent entry, string? variant = null)
    {
        var instance = new JourneyInstance
        {
            Id = "preview", JourneyId = journey.Id, Version = journey.Version, CustomerId = profile.Id, Key = "",
            EnteredAt = entry.OccurredAt, EntryEventId = entry.EventId, EntryEventType = entry.Type, EntryProperties = entry.Properties,
            Variant = variant, StepId = step.Id,
        };
        return journey.Templates[step.Template].Render(
            TemplateScope(BuildScope(journey, instance, CustomerValue(profile), EventValue(entry)), SendKey(instance, step.Id, 0)), step.Subject);
    }

    /// <summary>One decision in progress: a private copy of the state and what has been decided so far.</summary>
    private sealed partial class Run(JourneyEngine engine, JourneyCatalog catalog, CustomerState state)
    {
        private readonly List<Outcome> _outcomes = [];
        private readonly List<EmailToSend> _sends = [];
        private readonly HashSet<JourneyInstance> _held = new(ReferenceEqualityComparer.Instance);
        private readonly SortedSet<string> _unknownZones = new(StringComparer.Ordinal);
        private int _steps;
        private FluidValue? _customer;

        public CustomerState State { get; } = state;

        private FluidValue Customer => _customer is { } c && ReferenceEquals(_customerProfile, State.Profile) ? c : _customer = CustomerValue(_customerProfile = State.Profile);
        private CustomerProfile? _customerProfile;

        public void TryEnter(JourneyDefinition journey, CustomerEvent evt, FluidValue eventValue, DateTimeOffset at)
        {
            var check = CheckEntry(journey, evt, eventValue, at);
            if (check.Verdict != EntryVerdict.Enters)
                return;
            var key = check.Key;
            var instance = new JourneyInstance
            {
                Id = Hash($"{journey.Id}|{State.CustomerId}|{key}|{evt.EventId}", 16),
                JourneyId = journey.Id,
                Version = journey.Version,
                CustomerId = State.CustomerId,
                Key = key,
                EnteredAt = at,
                EntryEventId = evt.EventId,
                EntryEventType = evt.Type,
                EntryProperties = evt.Properties?.Clone(),
                StepId = journey.Steps[0].Id,
            };
            State.Instances.Add(instance);
            Record(at, journey, instance, null, OutcomeKind.Entered, ("event", evt.Type), ("key", key.Length == 0 ? null : key));
            Execute(journey, instance, at, eventValue);
        }

        /// <summary>
        /// The entry rule, in one place for entering and for explaining: the condition on the event, then one active
        /// instance per key, then <c>reentry</c> counted from the previous entry with the same key.
        /// </summary>
        public EntryCheck CheckEntry(JourneyDefinition journey, CustomerEvent evt, FluidValue eventValue, DateTimeOffset at)
        {
            var probe = new JourneyInstance
            {
                Id = "", JourneyId = journey.Id, Version = journey.Version, CustomerId = State.CustomerId, Key = "",
                EnteredAt = at, EntryEventId = evt.EventId, EntryEventType = evt.Type, EntryProperties = evt.Properties,
            };
            if (!Matches(journey.Entry.When, journey, probe, eventValue))
                return new EntryCheck(EntryVerdict.ConditionFalse, "", null, journey.Entry.When!.Explain(ScopeFor(journey, probe, eventValue)));
            var key = "";
            if (journey.Entry.Key is { } keyExpression)
            {
                var value = keyExpression.Evaluate(ScopeFor(journey, probe, eventValue));
                key = value.IsNil() ? "" : value.ToStringValue();
            }
            JourneyInstance? previous = null;
            foreach (var other in State.Instances)
            {
                if (other.JourneyId != journey.Id || other.Key != key)
                    continue;
                if (other.Status == InstanceStatus.Active)
                    return new EntryCheck(EntryVerdict.AlreadyActive, key, other, null);
                if (previous is null || other.EnteredAt > previous.EnteredAt)
                    previous = other;
            }
            if (previous is not null)
            {
                var reentry = journey.Entry.Reentry;
                if (reentry.Kind == ReentryKind.Never)
                    return new EntryCheck(EntryVerdict.ReentryNever, key, previous, null);
                if (reentry.Kind == ReentryKind.After && at < previous.EnteredAt + reentry.After)
                    return new EntryCheck(EntryVerdict.ReentryTooEarly, key, previous, null) { Until = previous.EnteredAt + reentry.After };
            }
            return new EntryCheck(EntryVerdict.Enters, key, previous, null);
        }

        /// <summary>Moves to <paramref name="target"/> (or the following step) and runs from there.</summary>
        private void Go(JourneyDefinition journey, JourneyInstance instance, string? target, DateTimeOffset at, FluidValue? eventValue)
        {
            var index = journey.IndexOf(instance.StepId!);
            var next = target ?? journey.Graph.Following(journey.Steps[index]);
            if (next is null)
            {
                End(instance, journey, at, InstanceStatus.Completed, EndReason.EndOfSteps, instance.StepId);
                return;
            }
            instance.StepId = next;
            Execute(journey, instance, at, eventValue);
        }

        /// <summary>Runs the instance's current step and those after it until one waits or the instance ends.</summary>
        private void Execute(JourneyDefinition journey, JourneyInstance instance, DateTimeOffset at, FluidValue? eventValue)
        {
            if (++_steps > MaxStepsPerDecision)
            {
                End(instance, journey, at, InstanceStatus.Exited, EndReason.LoopGuard, instance.StepId);
                return;
            }
            var step = journey.FindStep(instance.StepId!);
            switch (step)
            {
                case null:
                    End(instance, journey, at, InstanceStatus.Exited, EndReason.VersionRemoved, instance.StepId);
                    return;
                case EmailStep email:
                    if (Send(journey, instance, email, at, eventValue))
                        Go(journey, instance, null, at, eventValue);
                    return;
                case WaitStep wait:
                    Wait(journey, instance, step, at, at + wait.Duration, WaitingFor.Time);
                    return;
                case WaitUntilStep until:
                    var zone = ZoneOf(journey);
                    var target = LocalClock.NextLocalTime(until.Time, until.Days, zone.Zone, at);
                    if (target <= at)
                        Go(journey, instance, null, at, eventValue);
                    else
                        Wait(journey, instance, step, at, target, WaitingFor.Time, ("zone", zone.Zone.Id), ("zoneFallback", zone.Unknown));
                    return;
                case WaitForStep waitFor:
                    instance.Waiting = WaitingFor.Event;
                    instance.WakeAt = waitFor.Timeout is { } timeout ? at + timeout : null;
                    Record(at, journey, instance, step.Id, OutcomeKind.Waiting, ("event", waitFor.Event), ("until", instance.WakeAt is { } u ? Iso.Format(u) : null));
                    return;
                case BranchStep branch:
                    var scope = ScopeFor(journey, instance, eventValue);
                    for (var i = 0; i < branch.Cases.Count; i++)
                    {
                        if (branch.Cases[i].When.IsTrue(scope))
                        {
                            Record(at, journey, instance, step.Id, OutcomeKind.Branched, ("case", i + 1), ("next", branch.Cases[i].Next));
                            Go(journey, instance, branch.Cases[i].Next, at, eventValue);
                            return;
                        }
                    }
                    var fallback = branch.Else ?? journey.Graph.Following(step);
                    Record(at, journey, instance, step.Id, OutcomeKind.Branched, ("case", "else"), ("next", fallback));
                    Go(journey, instance, branch.Else, at, eventValue);
                    return;
                case SplitStep split:
                    var variant = Choose(split, journey.Id, State.CustomerId);
                    instance.Variant = variant.Variant;
                    Record(at, journey, instance, step.Id, OutcomeKind.Assigned, ("next", variant.Next ?? journey.Graph.Following(step)));
                    Go(journey, instance, variant.Next, at, eventValue);
                    return;
                case ExitStep:
                    End(instance, journey, at, InstanceStatus.Completed, EndReason.ExitStep, step.Id);
                    return;
            }
        }

        private static SplitVariant Choose(SplitStep split, string journeyId, string customerId)
        {
            var total = (ulong)split.Variants.Sum(v => v.Weight);
            var point = StableHash($"{journeyId}|{split.Id}|{customerId}") % total;
            foreach (var variant in split.Variants)
            {
                if (point < (ulong)variant.Weight)
                    return variant;
                point -= (ulong)variant.Weight;
            }
            return split.Variants[^1];
        }

        private void Wait(JourneyDefinition journey, JourneyInstance instance, Step step, DateTimeOffset at, DateTimeOffset until, WaitingFor waiting, params (string, object?)[] extra)
        {
            instance.Waiting = waiting;
            instance.WakeAt = until;
            Record(at, journey, instance, step.Id, OutcomeKind.Waiting, [("until", Iso.Format(until)), .. extra]);
        }
    }
}
