// The steps of a journey file, one parser per kind: adding a step kind adds its case to ParseStep here.
using Fluid;
using Orchestrator.Core.Liquid;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

public static partial class JourneyLoader
{
    private static readonly IReadOnlyList<string> StepKinds = JourneyGraph.StepKinds;
    private static readonly string[] StepCommonKeys = ["id", "next", "description", "name"];
    private static readonly string[] EmailKeys = ["template", "subject"];
    private static readonly string[] WaitUntilKeys = ["time", "days"];
    private static readonly string[] WaitForKeys = ["event", "when", "timeout", "on_event", "on_timeout"];
    private static readonly string[] SplitKeys = ["variant", "weight", "next", "control"];

    private sealed partial class FileParser
    {
        private List<Step> ParseSteps(YamlMappingNode root, SortedDictionary<string, TemplateLibrary.Loaded> usedTemplates, out bool allParsed)
        {
            var steps = new List<Step>();
            allParsed = false;
            var node = Get(root, "steps");
            if (node is null)
            {
                Error(new SourceLocation(file, 1, 1), "the journey has no 'steps': add a list of steps such as '- id: welcome' with 'email: { template: welcome }'");
                return steps;
            }
            if (node is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(At(node), "'steps' must be a non-empty list of steps");
                return steps;
            }
            allParsed = true;
            foreach (var item in list)
            {
                if (item is not YamlMappingNode map)
                {
                    Error(At(item), "each step must be a mapping with an 'id' and one kind: " + string.Join(", ", StepKinds));
                    allParsed = false;
                    continue;
                }
                // A step with errors still has its id: references to it are not "unknown" and its own are checked.
                if (Get(map, "id") is YamlScalarNode { Value: { Length: > 0 } stepId })
                    _stepIds.Add((stepId, At(map)));
                if ((ParseStep(map, usedTemplates) ?? StandIn(map)) is { } step)
                    steps.Add(step);
                else
                    allParsed = false;
            }
            return steps;
        }

        /// <summary>
        /// A step whose settings have errors (a missing template, a bad duration) but whose place in the graph is
        /// certain: it goes to its <c>next</c> or the following step, and it waits or it does not. Standing in for it
        /// lets one run also report the loops and unreachable steps of the file. The journey is never built from it:
        /// the step's own error already fails the file.
        /// </summary>
        private Step? StandIn(YamlMappingNode map)
        {
            if (Get(map, "id") is not YamlScalarNode { Value: { Length: > 0 } id })
                return null;
            var next = Get(map, "next") is YamlScalarNode { Value: { Length: > 0 } target } ? target : null;
            var kinds = map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").Where(k => StepKinds.Contains(k)).ToList();
            var location = At(map);
            return kinds switch
            {
                ["email"] => new EmailStep(id, next, location, "", null, null),
                ["wait"] => new WaitStep(id, next, location, TimeSpan.Zero),
                ["wait_until"] => new WaitUntilStep(id, next, location, default, null),
                _ => null,
            };
        }

        private Step? ParseStep(YamlMappingNode map, SortedDictionary<string, TemplateLibrary.Loaded> usedTemplates)
        {
            var location = At(map);
            var id = RequiredText(map, "id", "the step", "give every step an id such as 'send-reminder'");
            if (id is not null && !IdPattern().IsMatch(id))
                Error(At(Get(map, "id")!), $"step id '{id}' may only contain lowercase letters, digits and single dashes");
            var next = OptionalText(map, "next");
            var kinds = map.Children.Keys.OfType<YamlScalarNode>().Where(k => StepKinds.Contains(k.Value)).ToList();
            foreach (var key in map.Children.Keys.OfType<YamlScalarNode>())
            {
                var name = key.Value ?? "";
                if (!StepKinds.Contains(name) && !StepCommonKeys.Contains(name))
                    Error(At(key), $"unknown step field '{name}'{Suggest.DidYouMean(name, StepKinds.Concat(StepCommonKeys))}; a step has an 'id', optionally 'next', and one kind: {string.Join(", ", StepKinds)}");
            }
            if (kinds.Count != 1)
            {
                Error(location, kinds.Count == 0
                    ? $"step '{id}' has no kind: give it exactly one of {string.Join(", ", StepKinds)}"
                    : $"step '{id}' has {kinds.Count} kinds ({string.Join(", ", kinds.Select(k => k.Value))}): split it into one step per kind");
                return null;
            }
            id ??= "?";
            var kindKey = kinds[0];
            if (kindKey.Value != "exit")
                Reference(map, "next", $"step '{id}': next");
            var body = map.Children[kindKey];
            switch (kindKey.Value)
            {
                case "email":
                    return ParseEmail(id, next, location, body, usedTemplates);
                case "wait":
                    var duration = Scalar(body, "wait");
                    if (duration is null)
                        return null;
                    if (!Duration.TryParse(duration, out var span))
                    {
                        Error(ValueAt(body), $"wait '{duration}' is not a duration: {Duration.Help}");
                        return null;
                    }
                    return new WaitStep(id, next, location, span);
                case "wait_until":
                    if (body is not YamlMappingNode until)
                    {
                        Error(At(body), "'wait_until' must be a mapping with 'time: \"HH:mm\"' and optionally 'days'");
                        return null;
                    }
                    CheckKeys(until, WaitUntilKeys, "wait_until");
                    var time = RequiredTime(until, "time", "wait_until");
                    var days = ParseDays(until);
                    return time is { } t ? new WaitUntilStep(id, next, location, t, days) : null;
                case "wait_for":
                    if (body is not YamlMappingNode waitFor)
                    {
                        Error(At(body), "'wait_for' must be a mapping with 'event' and optionally 'when', 'timeout', 'on_event', 'on_timeout'");
                        return null;
                    }
                    CheckKeys(waitFor, WaitForKeys, "wait_for");
                    var evt = RequiredText(waitFor, "event", "'wait_for'", "name the event type to wait for");
                    var when = OptionalExpression(waitFor, "when");
                    var timeout = OptionalDuration(waitFor, "timeout");
                    var onEvent = OptionalText(waitFor, "on_event");
                    var onTimeout = OptionalText(waitFor, "on_timeout");
                    Reference(waitFor, "on_event", $"step '{id}': on_event");
                    Reference(waitFor, "on_timeout", $"step '{id}': on_timeout");
                    if (onTimeout is not null && timeout is null)
                        Error(At(Get(waitFor, "on_timeout")!), "'on_timeout' needs a 'timeout' (e.g. 'timeout: 1d'); without one the step waits for the event forever");
                    return evt is null ? null : new WaitForStep(id, next, location, evt, when, timeout, onEvent, onTimeout);
                case "branch":
                    return ParseBranch(id, next, location, body);
                case "split":
                    return ParseSplit(id, next, location, body);
                default:
                    if (body is YamlMappingNode { Children.Count: > 0 } || body is YamlSequenceNode || (body is YamlScalarNode s && !string.IsNullOrEmpty(s.Value) && s.Value != "~"))
                        Error(At(body), "'exit' takes no settings: write 'exit: {}'");
                    if (next is not null)
                        Error(At(Get(map, "next")!), "an 'exit' step ends the instance, so it cannot have a 'next'");
                    return new ExitStep(id, null, location);
            }
        }

        private EmailStep? ParseEmail(string id, string? next, SourceLocation location, YamlNode body, SortedDictionary<string, TemplateLibrary.Loaded> usedTemplates)
        {
            if (body is not YamlMappingNode map)
            {
                Error(At(body), "'email' must be a mapping with 'template' (and optionally 'subject')");
                return null;
            }
            CheckKeys(map, EmailKeys, "email");
            var template = RequiredText(map, "template", "'email'", "name a template from journeys/templates (without '.liquid')");
            IFluidTemplate? subject = null;
            var subjectNode = Get(map, "subject");
            var subjectSource = subjectNode is null ? null : Scalar(subjectNode, "subject");
            if (subjectSource is not null)
            {
                if (LiquidSandbox.TryParseTemplateAt(subjectSource, out var parsed, out var error))
                {
                    subject = parsed;
                    foreach (var problem in LiquidNames.CheckTemplate(parsed!, subjectSource))
                        Error(InScalar(subjectNode!, problem), $"the subject: {problem.Message}");
                }
                else
                {
                    var start = ValueAt(subjectNode!);
                    var (line, column) = subjectNode is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded }
                        ? (start.Line, start.Column)
                        : LiquidSandbox.Offset(error!, start.Line, start.Column);
                    Error(start with { Line = line, Column = column }, $"the subject is not valid Liquid: {error!.Message}");
                }
            }
            if (template is null)
                return null;
            var loaded = templates.Get(template);
            var templateNode = Get(map, "template")!;
            if (loaded is null)
            {
                Error(ValueAt(templateNode), $"template '{template}' not found: create journeys/templates/{template}.liquid{Suggest.DidYouMean(template, templates.Names)}");
                return null;
            }
            usedTemplates[template] = loaded;
            if (loaded.Template is null)
            {
                // The template's own errors are reported once, in its file; every journey that uses it must
                // fail too, or a second journey would load without the template.
                Error(ValueAt(templateNode), $"template '{template}' has errors (see the messages for templates/{template}.liquid): fix them so that this step can use it");
                return null;
            }
            if (!loaded.HasSubject && subjectSource is null)
                Error(ValueAt(templateNode), $"template '{template}' has no 'subject' in its front matter: add one there or give this step a 'subject'");
            return new EmailStep(id, next, location, template, subject, subjectSource);
        }

        private BranchStep? ParseBranch(string id, string? next, SourceLocation location, YamlNode body)
        {
            if (body is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(At(body), "'branch' must be a list of cases ('- when: <condition>' with 'next: <step>') and optionally a last '- else: <step>'");
                return null;
            }
            var cases = new List<BranchCase>();
            string? elseTarget = null;
            for (var i = 0; i < list.Children.Count; i++)
            {
                if (list.Children[i] is not YamlMappingNode item)
                {
                    Error(At(list.Children[i]), "each branch case must be a mapping: '- when: <condition>' with 'next: <step>', or '- else: <step>'");
                    continue;
                }
                if (Get(item, "else") is { } elseNode)
                {
                    CheckKeys(item, ["else"], "else case");
                    elseTarget = Scalar(elseNode, "else");
                    Reference(item, "else", $"step '{id}': else");
                    if (i != list.Children.Count - 1)
                        Error(At(item), "'else' must be the last case of a branch: cases after it can never be chosen");
                    continue;
                }
                CheckKeys(item, ["when", "next"], "branch case");
                var when = OptionalExpression(item, "when");
                if (Get(item, "when") is null)
                    Error(At(item), "a branch case needs a 'when' condition (or write '- else: <step>' for the fallback)");
                var target = RequiredText(item, "next", "the branch case", "name the step this case goes to");
                if (when is not null && target is not null)
                {
                    cases.Add(new BranchCase(when, target, At(Get(item, "next")!)));
                    Reference(item, "next", $"step '{id}': branch next");
                }
            }
            return new BranchStep(id, next, location, cases, elseTarget);
        }

        private SplitStep? ParseSplit(string id, string? next, SourceLocation location, YamlNode body)
        {
            if (body is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(At(body), "'split' must be a list of variants, each '- variant: <name>' with a 'weight' and a 'next'");
                return null;
            }
            var variants = new List<SplitVariant>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var child in list)
            {
                if (child is not YamlMappingNode item)
                {
                    Error(At(child), "each split variant must be a mapping: '- variant: <name>' with 'weight' and 'next'");
                    continue;
                }
                CheckKeys(item, SplitKeys, "split variant");
                var variant = RequiredText(item, "variant", "the split variant", "name the variant, e.g. 'control'");
                if (variant is not null && !names.Add(variant))
                    Error(At(Get(item, "variant")!), $"variant '{variant}' appears twice in this split; give each variant its own name");
                var weight = 0;
                if (Get(item, "weight") is not { } weightNode)
                {
                    Error(At(item), "the split variant needs a 'weight': a positive whole number (weights are relative, e.g. 45/45/10)");
                }
                else
                {
                    var value = Scalar(weightNode, "weight");
                    if (!int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out weight) || weight <= 0)
                        Error(ValueAt(weightNode), $"weight '{value}' must be a positive whole number (weights are relative, e.g. 45/45/10)");
                }
                var target = OptionalText(item, "next");
                var control = OptionalBool(item, "control") ?? false;
                if (control && variants.Any(v => v.Control))
                    Error(At(Get(item, "control")!), "only one variant of a split can be the control ('control: true')");
                if (variant is not null && weight > 0)
                {
                    variants.Add(new SplitVariant(variant, weight, target, At(item), control));
                    Reference(item, "next", $"step '{id}': variant '{variant}' next");
                }
            }
            return new SplitStep(id, next, location, variants);
        }
    }
}
