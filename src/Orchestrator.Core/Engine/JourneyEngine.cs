using System.Globalization;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fluid.Values;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Liquid;

namespace Orchestrator.Core.Engine;

/// <summary>
/// The decision engine: given the journeys, one customer's state and one event (or the passing of time), it returns
/// what happens. It does no I/O and keeps no state of its own, so the worker and the simulator decide identically.
/// </summary>
public sealed class JourneyEngine
{
    /// <summary>Event types every customer has, whatever the journeys.</summary>
    public const string Unsubscribed = "customer.unsubscribed";
    public const string Resubscribed = "customer.resubscribed";
    public const string Bounced = "email.bounced";

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
        run.State.Profile = MergeProfile(run.State.Profile, evt.Customer);
        ApplyReserved(run.State, evt);
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
        run.State.Profile = MergeProfile(run.State.Profile, evt.Customer);
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

    private static void ApplyReserved(CustomerState state, CustomerEvent evt)
    {
        switch (evt.Type)
        {
            // An unsubscribe belongs to the address too: a new customer id with it gets no marketing mail either.
            case Unsubscribed:
                state.Unsubscribed = true;
                state.SubscriptionChange = Subscription(state, unsubscribed: true);
                break;
            case Resubscribed:
                state.Unsubscribed = false;
                state.SubscriptionChange = Subscription(state, unsubscribed: false);
                break;
            case Bounced when evt.Properties is { ValueKind: JsonValueKind.Object } p
                              && p.TryGetProperty("permanent", out var permanent) && permanent.ValueKind == JsonValueKind.True:
                state.BouncedAddress = p.TryGetProperty("email", out var address) && address.ValueKind == JsonValueKind.String
                    ? address.GetString()
                    : state.Profile.Email;
                break;
        }
    }

    private static AddressSubscription? Subscription(CustomerState state, bool unsubscribed) =>
        string.IsNullOrWhiteSpace(state.Profile.Email) ? null : new AddressSubscription(AddressSuppression.Normalize(state.Profile.Email), unsubscribed);

    public static CustomerProfile MergeProfile(CustomerProfile profile, CustomerProfileUpdate? update)
    {
        if (update is null)
            return profile;
        var attributes = profile.Attributes;
        if (update.Attributes is { ValueKind: JsonValueKind.Object } incoming)
        {
            var merged = new Dictionary<string, JsonElement>(profile.Attributes, StringComparer.Ordinal);
            foreach (var property in incoming.EnumerateObject())
                merged[property.Name] = property.Value.Clone();
            attributes = merged;
        }
        return profile with
        {
            Email = update.Email ?? profile.Email,
            FirstName = update.FirstName ?? profile.FirstName,
            LastName = update.LastName ?? profile.LastName,
            Locale = update.Locale ?? profile.Locale,
            TimeZone = update.TimeZone ?? profile.TimeZone,
            Attributes = attributes,
        };
    }

    internal static FluidValue EventValue(CustomerEvent evt) => Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal)
    {
        ["eventId"] = new StringValue(evt.EventId),
        ["type"] = new StringValue(evt.Type),
        ["occurredAt"] = new StringValue(Iso.Format(evt.OccurredAt)),
        ["properties"] = Scope.FromJson(evt.Properties),
    });

    internal static FluidValue CustomerValue(CustomerProfile profile) => Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal)
    {
        ["id"] = new StringValue(profile.Id),
        ["email"] = Scope.FromString(profile.Email),
        ["firstName"] = Scope.FromString(profile.FirstName),
        ["lastName"] = Scope.FromString(profile.LastName),
        ["locale"] = Scope.FromString(profile.Locale),
        ["timeZone"] = Scope.FromString(profile.TimeZone),
        ["attributes"] = Scope.FromObject(profile.Attributes.ToDictionary(a => a.Key, a => Scope.FromJson(a.Value), StringComparer.Ordinal)),
    });

    internal static string Hash(string text, int length)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash)[..length];
    }

    /// <summary>
    /// FNV-1a, stable across processes and .NET versions (unlike string.GetHashCode), then the SplitMix64 finalizer:
    /// FNV's low bits depend only on the input's low bits, so without mixing two 50/50 splits in different journeys
    /// would put every customer in matching arms, and two experiments would really be one.
    /// </summary>
    internal static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        hash ^= hash >> 31;
        return hash;
    }

    /// <summary>Deterministic per (journey version, instance, step, occurrence): the outcome's key and the Message-ID.</summary>
    internal static string SendKey(JourneyInstance instance, string stepId, int occurrence) =>
        Hash($"{instance.Version}|{instance.Id}|{stepId}|{occurrence.ToString(CultureInfo.InvariantCulture)}", 32);

    /// <summary>What a template reads beyond a condition's names: this send (<c>send.key</c>) and its unsubscribe link.</summary>
    internal static Scope TemplateScope(Scope scope, string sendKey) => scope
        .Set("send", Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal) { ["key"] = new StringValue(sendKey) }))
        .Set(UnsubscribeLink.TemplateName, new StringValue(UnsubscribeLink.Placeholder));

    internal static bool IsValidAddress(string? email) =>
        !string.IsNullOrWhiteSpace(email) && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email.Trim() && email.Contains('.', StringComparison.Ordinal);

    /// <summary>The names in scope for a journey's expressions and templates (journey-format.md, Expressions).</summary>
    internal static Scope BuildScope(JourneyDefinition journey, JourneyInstance instance, FluidValue customer, FluidValue? eventValue) => new Scope()
            .Set("event", eventValue ?? NilValue.Instance)
            .Set("entry", Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal)
            {
                ["eventId"] = new StringValue(instance.EntryEventId),
                ["type"] = new StringValue(instance.EntryEventType),
                ["occurredAt"] = new StringValue(Iso.Format(instance.EnteredAt)),
                ["properties"] = Scope.FromJson(instance.EntryProperties),
            }))
            .Set("customer", customer)
            .Set("journey", Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal)
            {
                ["id"] = new StringValue(journey.Id),
                ["name"] = new StringValue(journey.Name),
                ["version"] = new StringValue(instance.Version),
                ["variant"] = Scope.FromString(instance.Variant),
                ["enteredAt"] = new StringValue(Iso.Format(instance.EnteredAt)),
            }));

    /// <summary>One decision in progress: a private copy of the state and what has been decided so far.</summary>
    private sealed class Run(JourneyEngine engine, JourneyCatalog catalog, CustomerState state)
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

        public Decision Finish(DateTimeOffset now)
        {
            Prune(now);
            // A held instance keeps its due time (it runs at it, late, once its version is back) but is looked at
            // again only after a pause, not in a loop of wakeups that find nothing to run.
            var wakeups = State.Instances
                .Where(i => i.Status == InstanceStatus.Active && i.WakeAt is not null)
                .Select(i => new Wakeup(i.CustomerId, i.Id, _held.Contains(i) ? now + HeldRecheck : i.WakeAt!.Value))
                .OrderBy(w => w.DueAt).ThenBy(w => w.InstanceId, StringComparer.Ordinal)
                .ToList();
            return new Decision(State, _outcomes, _sends, wakeups) { UnknownTimeZones = [.. _unknownZones] };
        }

        /// <summary>Fires every timer due at or before <paramref name="until"/>, earliest first, each at its own due time;
        /// timers due at the same instant in <see cref="JourneyCatalog.CompareForCap"/> order, then by instance id.</summary>
        public void AdvanceTimers(DateTimeOffset until)
        {
            while (true)
            {
                JourneyInstance? due = null;
                foreach (var instance in State.Instances)
                {
                    if (instance.Status == InstanceStatus.Active && instance.WakeAt is { } wake && wake <= until && !_held.Contains(instance)
                        && (due is null || wake < due.WakeAt || (wake == due.WakeAt && FiresBefore(instance, due))))
                        due = instance;
                }
                if (due is null)
                    return;
                var at = due.WakeAt!.Value;
                if (Resolve(due, at) is not { } journey)
                {
                    // Held: its timer stays as it is, to run when the version is there again (see Finish).
                    if (due.Status == InstanceStatus.Active)
                        _held.Add(due);
                    continue;
                }
                due.WakeAt = null;
                if (due.Status == InstanceStatus.Active)
                    OnTimer(journey, due, at);
            }
        }

        private bool FiresBefore(JourneyInstance a, JourneyInstance b)
        {
            var order = JourneyCatalog.CompareForCap(catalog.PriorityOf(a.JourneyId, a.Version), a.JourneyId, catalog.PriorityOf(b.JourneyId, b.Version), b.JourneyId);
            return order < 0 || (order == 0 && string.CompareOrdinal(a.Id, b.Id) < 0);
        }

        /// <summary>
        /// The version an instance runs on, after <c>on_change: migrate</c> if the journey asks for it; null when it
        /// ended here, or when it is held: pinned to a version that is not loaded (a worker that could not read it
        /// from the database), under a journey that does not migrate or is not loaded at all. A held instance is
        /// never moved or ended for that: it waits, and the worker's health names its version.
        /// </summary>
        public JourneyDefinition? Resolve(JourneyInstance instance, DateTimeOffset at)
        {
            var pinned = catalog.Find(instance.JourneyId, instance.Version);
            var latest = catalog.LatestOf(instance.JourneyId);
            if (latest is null || latest.Version == instance.Version || latest.OnChange == OnChange.Pin)
                return pinned;
            // Migrate: the new version asks for it. A step that changed kind cannot carry the instance's waiting
            // state over, so it counts as removed.
            var step = instance.StepId is null ? null : latest.FindStep(instance.StepId);
            instance.Version = latest.Version;
            if (step is null || step.Kind != (pinned?.FindStep(instance.StepId!)?.Kind ?? step.Kind))
            {
                End(instance, latest, at, InstanceStatus.Exited, "version-removed", instance.StepId);
                return null;
            }
            return latest;
        }

        public bool Matches(LiquidExpression? when, JourneyDefinition journey, JourneyInstance instance, FluidValue? eventValue) =>
            when is null || when.IsTrue(ScopeFor(journey, instance, eventValue));

        private Scope ScopeFor(JourneyDefinition journey, JourneyInstance instance, FluidValue? eventValue)
        {
            // Conditions of one instance within one event share a scope: building it is most of their cost.
            if (_lastScope is { } last && ReferenceEquals(_lastInstance, instance) && ReferenceEquals(_lastEvent, eventValue)
                && ReferenceEquals(_lastJourney, journey) && _lastVariant == instance.Variant && _lastProfile == State.Profile)
                return last;
            _lastInstance = instance;
            _lastEvent = eventValue;
            _lastJourney = journey;
            _lastVariant = instance.Variant;
            _lastProfile = State.Profile;
            return _lastScope = BuildScope(journey, instance, Customer, eventValue);
        }

        private Scope? _lastScope;
        private JourneyInstance? _lastInstance;
        private FluidValue? _lastEvent;
        private JourneyDefinition? _lastJourney;
        private string? _lastVariant;
        private CustomerProfile? _lastProfile;


        public void OnEvent(JourneyDefinition journey, JourneyInstance instance, CustomerEvent evt, FluidValue eventValue, DateTimeOffset at)
        {
            foreach (var exit in journey.Exits)
            {
                if (exit.Event == evt.Type && Matches(exit.When, journey, instance, eventValue))
                {
                    End(instance, journey, at, InstanceStatus.Exited, evt.Type, instance.StepId);
                    return;
                }
            }
            if (journey.Goal is { } goal && instance.ConvertedAt is null && goal.Event == evt.Type
                && (goal.Within is null || at <= instance.EnteredAt + goal.Within.Value)
                && Matches(goal.When, journey, instance, eventValue))
            {
                instance.ConvertedAt = at;
                Record(at, journey, instance, instance.StepId, OutcomeKind.Converted, ("event", evt.Type), ("eventId", evt.EventId));
                if (goal.Exit)
                {
                    End(instance, journey, at, InstanceStatus.Exited, "goal", instance.StepId);
                    return;
                }
            }
            if (instance.Waiting == WaitingFor.Event && journey.FindStep(instance.StepId!) is WaitForStep waitFor
                && waitFor.Event == evt.Type && Matches(waitFor.When, journey, instance, eventValue))
            {
                Record(at, journey, instance, waitFor.Id, OutcomeKind.Resumed, ("by", "event"), ("event", evt.Type));
                instance.Waiting = WaitingFor.Nothing;
                instance.WakeAt = null;
                Go(journey, instance, waitFor.OnEvent, at, eventValue);
            }
        }

        private void OnTimer(JourneyDefinition journey, JourneyInstance instance, DateTimeOffset at)
        {
            var step = instance.StepId is null ? null : journey.FindStep(instance.StepId);
            var waiting = instance.Waiting;
            instance.Waiting = WaitingFor.Nothing;
            switch (waiting)
            {
                case WaitingFor.Time when step is not null:
                    Record(at, journey, instance, step.Id, OutcomeKind.Resumed, ("by", "time"));
                    Go(journey, instance, null, at, null);
                    break;
                case WaitingFor.Event when step is WaitForStep waitFor:
                    Record(at, journey, instance, step.Id, OutcomeKind.Resumed, ("by", "timeout"));
                    Go(journey, instance, waitFor.OnTimeout, at, null);
                    break;
                case WaitingFor.SendSlot when step is not null:
                    Execute(journey, instance, at, null);
                    break;
            }
        }

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
            var next = target ?? journey.Steps[index].Next ?? (index + 1 < journey.Steps.Count ? journey.Steps[index + 1].Id : null);
            if (next is null)
            {
                End(instance, journey, at, InstanceStatus.Completed, "end-of-steps", instance.StepId);
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
                End(instance, journey, at, InstanceStatus.Exited, "loop-guard", instance.StepId);
                return;
            }
            var step = journey.FindStep(instance.StepId!);
            switch (step)
            {
                case null:
                    End(instance, journey, at, InstanceStatus.Exited, "version-removed", instance.StepId);
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
                    var fallback = branch.Else ?? branch.Next ?? Following(journey, step);
                    Record(at, journey, instance, step.Id, OutcomeKind.Branched, ("case", "else"), ("next", fallback));
                    Go(journey, instance, branch.Else, at, eventValue);
                    return;
                case SplitStep split:
                    var variant = Choose(split, journey.Id, State.CustomerId);
                    instance.Variant = variant.Variant;
                    Record(at, journey, instance, step.Id, OutcomeKind.Assigned, ("next", variant.Next ?? split.Next ?? Following(journey, step)));
                    Go(journey, instance, variant.Next, at, eventValue);
                    return;
                case ExitStep:
                    End(instance, journey, at, InstanceStatus.Completed, "exit-step", step.Id);
                    return;
            }
        }

        private static string? Following(JourneyDefinition journey, Step step) =>
            journey.IndexOf(step.Id) + 1 < journey.Steps.Count ? journey.Steps[journey.IndexOf(step.Id) + 1].Id : null;

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

        /// <summary>Applies the sending rules in the spec's order. False when the instance must wait for a send slot.</summary>
        private bool Send(JourneyDefinition journey, JourneyInstance instance, EmailStep step, DateTimeOffset at, FluidValue? eventValue)
        {
            var profile = State.Profile;
            if (!IsValidAddress(profile.Email))
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", "no-address"));
                return true;
            }
            if (State.SuppressedBecause is { } suppressed)
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Suppressed, ("reason", suppressed));
                return true;
            }
            // The zone goes with the send, so the hand-off judges the window in the zone the decision did.
            CustomerZone? zone = journey.SendWindow is null ? null : ZoneOf(journey);
            if (engine._cap is { } cap)
                State.RecentSends.RemoveAll(t => t <= at - cap.Period); // what no later decision counts any more
            if (SendRules.Judge(journey.SendWindow, zone?.Zone ?? TimeZoneInfo.Utc, engine._cap, State.RecentSends, at) is { } deferral)
            {
                DeferSend(journey, instance, step, at, deferral, zone);
                return false;
            }
            var template = journey.Templates[step.Template];
            // The key is known before rendering, so a template can put it into a survey link ({{ send.key }}) and the
            // answer is attributed to this very send.
            var sendKey = SendKey(instance, step.Id, instance.SendCount);
            RenderedEmail email;
            try
            {
                email = template.Render(TemplateScope(ScopeFor(journey, instance, eventValue), sendKey), step.Subject);
            }
            // Rendering runs a marketer's Liquid on one customer's data, so whatever it throws (an include or render
            // the sandbox has no file for, a division by zero, the step limit) belongs to that template and data: the
            // send is skipped. Letting it escape would fail the whole decision, and every retry of the event with it.
            catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", "render-error"), ("error", ex.Message));
                return true;
            }
            if (email.MissingRequired.Count > 0)
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", "missing-data:" + email.MissingRequired[0]));
                return true;
            }
            instance.SendCount++;
            State.RecentSends.Add(at);
            _sends.Add(new EmailToSend
            {
                SendKey = sendKey,
                At = at,
                JourneyId = journey.Id,
                Version = instance.Version,
                InstanceId = instance.Id,
                StepId = step.Id,
                CustomerId = State.CustomerId,
                Variant = instance.Variant,
                To = profile.Email!.Trim(),
                From = email.From ?? engine._defaultFrom,
                Subject = email.Subject,
                Preheader = email.Preheader,
                Html = email.Html,
                Text = email.Text,
                OutcomeIndex = _outcomes.Count,
                SendWindow = journey.SendWindow,
                TimeZone = zone?.Zone.Id,
            });
            return true;
        }

        private void DeferSend(JourneyDefinition journey, JourneyInstance instance, EmailStep step, DateTimeOffset at, SendDeferral deferral, CustomerZone? zone)
        {
            instance.Waiting = WaitingFor.SendSlot;
            instance.WakeAt = deferral.Until;
            // zoneFallback only where the zone mattered: the send window, judged in a zone the profile did not name rightly.
            Record(at, journey, instance, step.Id, OutcomeKind.Deferred,
                [.. deferral.Detail(), ("zoneFallback", deferral.Reason == SendRules.SendWindowReason ? zone?.Unknown : null)]);
        }

        /// <summary>The customer's zone for this journey; a profile zone that fell back is remembered for the decision, so
        /// the worker can warn about it even when no outcome shows it (a send inside the window goes out at once).</summary>
        private CustomerZone ZoneOf(JourneyDefinition journey)
        {
            var zone = LocalClock.ZoneFor(State.Profile.TimeZone, journey.TimeZone);
            if (zone.Unknown is { } unknown)
                _unknownZones.Add(unknown);
            return zone;
        }

        private void End(JourneyInstance instance, JourneyDefinition journey, DateTimeOffset at, InstanceStatus status, string reason, string? stepId)
        {
            instance.Status = status;
            instance.Waiting = WaitingFor.Nothing;
            instance.WakeAt = null;
            instance.EndedAt = at;
            instance.EndReason = reason;
            Record(at, journey, instance, stepId, status == InstanceStatus.Completed ? OutcomeKind.Completed : OutcomeKind.Exited, ("reason", reason));
        }

        public void Record(DateTimeOffset at, JourneyDefinition journey, JourneyInstance instance, string? stepId, string kind, params (string Key, object? Value)[] detail)
        {
            Dictionary<string, object?>? map = null;
            foreach (var (key, value) in detail)
            {
                if (value is null)
                    continue;
                map ??= new Dictionary<string, object?>(StringComparer.Ordinal);
                map[key] = value;
            }
            _outcomes.Add(new Outcome(at, journey.Id, instance.Version, State.CustomerId, instance.Id, stepId, kind, instance.Variant, map));
        }

        /// <summary>
        /// Ended instances are kept only while they still matter: the latest per (journey, key) for re-entry, and any
        /// whose goal window is still open (holdouts convert after completing).
        /// </summary>
        private void Prune(DateTimeOffset now)
        {
            if (State.Instances.Count < 8)
                return;
            var latest = State.Instances.GroupBy(i => (i.JourneyId, i.Key)).Select(g => g.MaxBy(i => i.EnteredAt)!).ToHashSet();
            State.Instances.RemoveAll(i => i.Status != InstanceStatus.Active && !latest.Contains(i)
                && (catalog.Find(i.JourneyId, i.Version)?.Goal?.Within is not { } within || i.EnteredAt + within < now));
        }
    }
}

/// <summary>One timestamp format for outcomes and expressions: UTC, ISO 8601, 'Z'.</summary>
public static class Iso
{
    public static string Format(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return utc.Millisecond == 0 && utc.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }
}

/// <summary>What the entry rule says about one event for one journey.</summary>
public enum EntryVerdict
{
    Enters,

    /// <summary><c>entry.when</c> is false for this event.</summary>
    ConditionFalse,

    /// <summary>An instance with the same key is still active.</summary>
    AlreadyActive,

    /// <summary><c>reentry: never</c> and an instance with the same key ended before.</summary>
    ReentryNever,

    /// <summary><c>reentry: after</c> and the previous entry is too recent; see <see cref="EntryCheck.Until"/>.</summary>
    ReentryTooEarly,
}

/// <summary>The entry rule's answer, with what a person needs to understand it.</summary>
public sealed record EntryCheck(EntryVerdict Verdict, string Key, JourneyInstance? Other, string? ConditionValues)
{
    /// <summary>For <see cref="EntryVerdict.ReentryTooEarly"/>: from when the same key may enter again.</summary>
    public DateTimeOffset? Until { get; init; }
}
