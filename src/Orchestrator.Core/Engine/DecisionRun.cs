using Fluid.Values;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Liquid;
using static Orchestrator.Core.Engine.AddressSuppression;
using static Orchestrator.Core.Engine.EngineScopes;
using static Orchestrator.Core.Engine.SendKeys;

namespace Orchestrator.Core.Engine;

public sealed partial class JourneyEngine
{
    private sealed partial class Run
    {
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
                End(instance, latest, at, InstanceStatus.Exited, EndReason.VersionRemoved, instance.StepId);
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
                    End(instance, journey, at, InstanceStatus.Exited, EndReason.Goal, instance.StepId);
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



        /// <summary>Applies the sending rules in the spec's order. False when the instance must wait for a send slot.</summary>
        private bool Send(JourneyDefinition journey, JourneyInstance instance, EmailStep step, DateTimeOffset at, FluidValue? eventValue)
        {
            var profile = State.Profile;
            if (!IsValidAddress(profile.Email))
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", SkipReason.NoAddress));
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
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", SkipReason.RenderError), ("error", ex.Message));
                return true;
            }
            if (email.MissingRequired.Count > 0)
            {
                Record(at, journey, instance, step.Id, OutcomeKind.Skipped, ("reason", SkipReason.MissingData(email.MissingRequired[0])));
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

        // A customer with few instances is not worth the grouping below, and the state stays small either way.
        private const int PruneFrom = 8;

        /// <summary>
        /// Ended instances are kept only while they still matter: the latest per (journey, key) for re-entry, and any
        /// whose goal window is still open (holdouts convert after completing).
        /// </summary>
        private void Prune(DateTimeOffset now)
        {
            if (State.Instances.Count < PruneFrom)
                return;
            var latest = State.Instances.GroupBy(i => (i.JourneyId, i.Key)).Select(g => g.MaxBy(i => i.EnteredAt)!).ToHashSet();
            State.Instances.RemoveAll(i => i.Status != InstanceStatus.Active && !latest.Contains(i)
                && (catalog.Find(i.JourneyId, i.Version)?.Goal?.Within is not { } within || i.EnteredAt + within < now));
        }
    }
}
