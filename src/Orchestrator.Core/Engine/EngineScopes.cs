using Fluid.Values;
using Orchestrator.Contracts;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Liquid;

namespace Orchestrator.Core.Engine;

/// <summary>The names a journey's expressions and templates can read (docs/journey-format.md, Expressions), built in one place.</summary>
internal static class EngineScopes
{
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

    /// <summary>What a template reads beyond a condition's names: this send (<c>send.key</c>) and its unsubscribe link.</summary>
    internal static Scope TemplateScope(Scope scope, string sendKey) => scope
        .Set("send", Scope.FromObject(new Dictionary<string, FluidValue>(StringComparer.Ordinal) { ["key"] = new StringValue(sendKey) }))
        .Set(UnsubscribeLink.TemplateName, new StringValue(UnsubscribeLink.Placeholder));

    /// <summary>The names in scope for a journey's expressions and templates (docs/journey-format.md, Expressions).</summary>
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
}
