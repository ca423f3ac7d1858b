using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fluid;
using Orchestrator.Core.Liquid;
using TimeZoneConverter;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

/// <summary>What loading a folder of journeys gave: the valid journeys and every error and warning of every file.</summary>
public sealed record LoadResult(IReadOnlyList<JourneyDefinition> Journeys, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlyList<string> BrokenFiles)
{
    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}

/// <summary>
/// Reads journey files (<c>*.yaml</c>) and their templates from a folder and validates them against the journey
/// language. It never stops at the first problem: every error of every file is reported with <c>file:line:col</c>.
/// </summary>
public static partial class JourneyLoader
{
    private static readonly string[] RootKeys = ["id", "name", "description", "phase", "entry", "goal", "exit", "send_window", "time_zone", "on_change", "priority", "steps"];
    private static readonly string[] EntryKeys = ["event", "when", "key", "reentry"];
    private static readonly string[] GoalKeys = ["event", "when", "within", "exit"];
    private static readonly string[] ExitKeys = ["event", "when"];
    private static readonly string[] WindowKeys = ["days", "from", "to"];
    private static readonly string[] StepKinds = ["email", "wait", "wait_until", "wait_for", "branch", "split", "exit"];
    private static readonly string[] StepCommonKeys = ["id", "next", "description", "name"];
    private static readonly string[] EmailKeys = ["template", "subject"];
    private static readonly string[] WaitUntilKeys = ["time", "days"];
    private static readonly string[] WaitForKeys = ["event", "when", "timeout", "on_event", "on_timeout"];
    private static readonly string[] SplitKeys = ["variant", "weight", "next", "control"];
    private static readonly Dictionary<string, DayOfWeek> Days = new(StringComparer.Ordinal)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    private static partial Regex TimePattern();

    /// <summary>Loads every <c>*.yaml</c>/<c>*.yml</c> file of <paramref name="folder"/>; templates come from its <c>templates</c> folder.</summary>
    public static LoadResult LoadFolder(string folder)
    {
        var diagnostics = new List<Diagnostic>();
        if (!Directory.Exists(folder))
        {
            diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, new SourceLocation(folder, 1, 1), "the journeys folder does not exist; pass the folder that holds your *.yaml journey files"));
            return new LoadResult([], diagnostics, []);
        }
        var files = Directory.EnumerateFiles(folder, "*.yaml").Concat(Directory.EnumerateFiles(folder, "*.yml"))
            .Order(StringComparer.Ordinal).ToList();
        return LoadFiles(files, Path.Combine(folder, "templates"), diagnostics);
    }

    public static LoadResult LoadFiles(IReadOnlyList<string> files, string templateFolder, List<Diagnostic>? diagnostics = null)
    {
        diagnostics ??= [];
        var templates = new TemplateLibrary(templateFolder, diagnostics);
        var journeys = new List<JourneyDefinition>();
        var broken = new List<string>();
        var firstDefinition = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var before = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            var journey = new FileParser(file, File.ReadAllText(file), templates, diagnostics).Parse(out var idLocation);
            if (journey is not null && idLocation is { } at)
            {
                if (firstDefinition.TryGetValue(journey.Id, out var first))
                {
                    diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, at,
                        $"journey id '{journey.Id}' is already used by {first.File}:{first.Line}; journey ids must be unique across all files, so rename one"));
                    journey = null;
                }
                else
                {
                    firstDefinition[journey.Id] = at;
                }
            }
            if (journey is not null && diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error) == before)
                journeys.Add(journey);
            else
                broken.Add(file);
        }
        templates.WarnUnused();
        return new LoadResult(journeys, diagnostics, broken);
    }

    /// <summary>
    /// Parses a stored version again, its templates from the stored text, as if its file lay in <paramref name="folder"/>.
    /// The result's version is the hash of that text, so it equals the stored one unless the text was altered.
    /// </summary>
    public static LoadResult LoadStored(JourneySource source, string folder)
    {
        var diagnostics = new List<Diagnostic>();
        var file = Path.Combine(folder, source.FileName);
        var templates = new TemplateLibrary(Path.Combine(folder, "templates"), diagnostics, source.TemplateFiles);
        var journey = new FileParser(file, source.Yaml, templates, diagnostics).Parse(out _);
        var ok = journey is not null && !diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new LoadResult(ok ? [journey!] : [], diagnostics, ok ? [] : [file]);
    }

    /// <summary>Parses one journey file's text; for tests and tools that hold the text already.</summary>
    public static LoadResult LoadText(string file, string yaml, string templateFolder)
    {
        var diagnostics = new List<Diagnostic>();
        var journey = new FileParser(file, yaml, new TemplateLibrary(templateFolder, diagnostics), diagnostics).Parse(out _);
        var ok = journey is not null && !diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        return new LoadResult(ok ? [journey!] : [], diagnostics, ok ? [] : [file]);
    }

    private sealed class FileParser(string file, string text, TemplateLibrary templates, List<Diagnostic> diagnostics)
    {
        private int _errors;

        /// <summary>Every step id that a step names (next, on_event, ...), where its value is written.</summary>
        private readonly List<(string Target, SourceLocation Where, string Field)> _references = [];

        /// <summary>The id of every step written in the file, including steps with errors.</summary>
        private readonly List<(string Id, SourceLocation Where)> _stepIds = [];

        public JourneyDefinition? Parse(out SourceLocation? idLocation)
        {
            idLocation = null;
            var stream = new YamlStream();
            var parser = new TrackingParser(new Parser(new StringReader(text)));
            try
            {
                stream.Load(parser);
            }
            catch (YamlException ex)
            {
                var where = new SourceLocation(file, (int)ex.Start.Line, (int)ex.Start.Column);
                if (Clean(ex).Contains("tab", StringComparison.Ordinal) && FirstTabIndent(text) is { } tab)
                    where = where with { Line = tab.Line, Column = tab.Column }; // YamlDotNet places this error at the start of the mapping
                Error(where, $"this is not valid YAML: {Clean(ex)}; {YamlHint(ex)}");
                return null;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet 16 fails this way on some unclosed flow collections ('{ a: b' up to the end of the file).
                var last = parser.LastEnd;
                Error(new SourceLocation(file, (int)last.Line, (int)last.Column),
                    "this is not valid YAML after this point: check that every '{' and '[' is closed and every quote ends");
                return null;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Error(new SourceLocation(file, 1, 1), "a journey file must be a YAML mapping with at least 'id', 'name', 'entry' and 'steps'");
                return null;
            }
            CheckKeys(root, RootKeys, "journey");

            var idNode = Get(root, "id");
            var id = RequiredText(root, "id", "the journey", "give the journey an id such as 'cart-recovery'");
            if (id is not null && !IdPattern().IsMatch(id))
                Error(At(idNode!), $"id '{id}' may only contain lowercase letters, digits and single dashes (e.g. 'cart-recovery')");
            if (idNode is not null)
                idLocation = At(idNode);
            var name = RequiredText(root, "name", "the journey", "give the journey a name; reports show it");
            var description = OptionalText(root, "description");
            var phase = OptionalText(root, "phase");
            var entry = ParseEntry(root);
            var goal = ParseGoal(root);
            var exits = ParseExits(root);
            var window = ParseSendWindow(root);
            var zone = ParseTimeZone(root);
            var onChange = ParseOnChange(root);
            var priority = ParsePriority(root);
            var usedTemplates = new SortedDictionary<string, TemplateLibrary.Loaded>(StringComparer.Ordinal);
            var steps = ParseSteps(root, usedTemplates, out var allStepsParsed);
            CheckGraph(steps, allStepsParsed);

            if (_errors > 0 || id is null || name is null || entry is null)
                return null;
            return new JourneyDefinition
            {
                Id = id,
                Name = name,
                Description = description,
                Phase = phase,
                Version = VersionOf(usedTemplates),
                SourceFile = file,
                Entry = entry,
                Goal = goal,
                Exits = exits,
                SendWindow = window,
                TimeZone = zone,
                OnChange = onChange,
                Priority = priority,
                Steps = steps,
                Templates = usedTemplates.Where(t => t.Value.Template is not null).ToDictionary(t => t.Key, t => t.Value.Template!, StringComparer.Ordinal),
                Source = new JourneySource(Path.GetFileName(file), text,
                    usedTemplates.SelectMany(t => t.Value.Files).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal)),
            };
        }

        private string VersionOf(SortedDictionary<string, TemplateLibrary.Loaded> usedTemplates)
        {
            var content = new StringBuilder(text.ReplaceLineEndings("\n"));
            foreach (var (templateName, loaded) in usedTemplates)
                content.Append('\0').Append(templateName).Append('\0').Append(loaded.Content);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content.ToString())))[..12];
        }

        private EntryDefinition? ParseEntry(YamlMappingNode root)
        {
            var node = Get(root, "entry");
            if (node is null)
            {
                Error(new SourceLocation(file, 1, 1), "the journey has no 'entry': add 'entry:' with the 'event' type that starts it");
                return null;
            }
            if (node is not YamlMappingNode map)
            {
                Error(At(node), "'entry' must be a mapping with 'event' and optionally 'when', 'key' and 'reentry'");
                return null;
            }
            CheckKeys(map, EntryKeys, "entry");
            var evt = RequiredText(map, "event", "'entry'", "name the event type that starts the journey, e.g. 'cart.abandoned'");
            var when = OptionalExpression(map, "when");
            var key = OptionalExpression(map, "key");
            var reentry = Reentry.Never;
            if (Get(map, "reentry") is { } reentryNode)
            {
                var value = Scalar(reentryNode, "reentry")?.Trim();
                if (value == "never")
                    reentry = Reentry.Never;
                else if (value == "always")
                    reentry = new Reentry(ReentryKind.Always, TimeSpan.Zero);
                else if (value is not null && value.StartsWith("after ", StringComparison.Ordinal) && Duration.TryParse(value[6..], out var after))
                    reentry = new Reentry(ReentryKind.After, after);
                else if (value is not null)
                    Error(ValueAt(reentryNode), $"reentry '{value}' is not valid: write 'never', 'always' or 'after <duration>' (e.g. 'after 7d'); durations: {Duration.Help}");
            }
            return evt is null ? null : new EntryDefinition(evt, when, key, reentry);
        }

        private GoalDefinition? ParseGoal(YamlMappingNode root)
        {
            if (Get(root, "goal") is not { } node)
                return null;
            if (node is not YamlMappingNode map)
            {
                Error(At(node), "'goal' must be a mapping with 'event' and optionally 'when', 'within' and 'exit'");
                return null;
            }
            CheckKeys(map, GoalKeys, "goal");
            var evt = RequiredText(map, "event", "'goal'", "name the event that counts as conversion, e.g. 'order.placed'");
            var when = OptionalExpression(map, "when");
            var within = OptionalDuration(map, "within");
            var exit = OptionalBool(map, "exit") ?? true;
            return evt is null ? null : new GoalDefinition(evt, when, within, exit);
        }

        private List<ExitCriterion> ParseExits(YamlMappingNode root)
        {
            var exits = new List<ExitCriterion>();
            if (Get(root, "exit") is not { } node)
                return exits;
            if (node is not YamlSequenceNode list)
            {
                Error(At(node), "'exit' must be a list of criteria, each '- event: <type>' with an optional 'when'");
                return exits;
            }
            foreach (var item in list)
            {
                if (item is not YamlMappingNode map)
                {
                    Error(At(item), "each exit criterion must be a mapping: '- event: <type>' with an optional 'when'");
                    continue;
                }
                CheckKeys(map, ExitKeys, "exit criterion");
                var evt = RequiredText(map, "event", "the exit criterion", "name the event type that ends the journey");
                var when = OptionalExpression(map, "when");
                if (evt is not null)
                    exits.Add(new ExitCriterion(evt, when));
            }
            return exits;
        }

        private SendWindow? ParseSendWindow(YamlMappingNode root)
        {
            if (Get(root, "send_window") is not { } node)
                return null;
            if (node is not YamlMappingNode map)
            {
                Error(At(node), "'send_window' must be a mapping with 'from', 'to' (\"HH:mm\") and optionally 'days'");
                return null;
            }
            CheckKeys(map, WindowKeys, "send_window");
            var days = ParseDays(map) ?? Days.Values.ToHashSet();
            var from = RequiredTime(map, "from", "send_window");
            var to = RequiredTime(map, "to", "send_window");
            if (from is { } f && to is { } t && f >= t)
                Error(ValueAt(Get(map, "to")!), $"send_window 'to' ({t:HH\\:mm}) must be later than 'from' ({f:HH\\:mm}) on the same day");
            return from is { } a && to is { } b ? new SendWindow(days, a, b) : null;
        }

        private HashSet<DayOfWeek>? ParseDays(YamlMappingNode map)
        {
            if (Get(map, "days") is not { } node)
                return null;
            if (node is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(At(node), "'days' must be a non-empty list such as [mon, tue, wed, thu, fri]");
                return null;
            }
            var days = new HashSet<DayOfWeek>();
            foreach (var item in list)
            {
                var value = Scalar(item, "day");
                if (value is null)
                    continue;
                if (Days.TryGetValue(value.Trim().ToLowerInvariant(), out var day))
                    days.Add(day);
                else
                    Error(At(item), $"'{value}' is not a day: use mon, tue, wed, thu, fri, sat or sun{Suggest.DidYouMean(value.ToLowerInvariant(), Days.Keys)}");
            }
            return days;
        }

        private TimeZoneInfo? ParseTimeZone(YamlMappingNode root)
        {
            if (Get(root, "time_zone") is not { } node || Scalar(node, "time_zone") is not { } value)
                return null;
            if (TryFindZone(value, out var zone))
                return zone;
            Error(ValueAt(node), $"time_zone '{value}' is not a known IANA time zone{Suggest.DidYouMean(value, AcceptedZoneNames)}; write one like 'Europe/Amsterdam' or 'America/New_York'");
            return null;
        }

        private int ParsePriority(YamlMappingNode root)
        {
            if (Get(root, "priority") is not { } node || Scalar(node, "priority") is not { } value)
                return 0;
            if (int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var priority))
                return priority;
            Error(ValueAt(node), $"priority '{value}' must be a whole number (higher goes first when the frequency cap lets only some journeys send; default 0)");
            return 0;
        }

        private OnChange ParseOnChange(YamlMappingNode root)
        {
            if (Get(root, "on_change") is not { } node || Scalar(node, "on_change") is not { } value)
                return OnChange.Pin;
            switch (value)
            {
                case "pin": return OnChange.Pin;
                case "migrate": return OnChange.Migrate;
                default:
                    Error(ValueAt(node), $"on_change '{value}' is not valid: write 'pin' (instances keep their version, the default) or 'migrate' (they move to the new version)");
                    return OnChange.Pin;
            }
        }

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

        /// <summary>
        /// Duplicate step ids and step references; then, when every step parsed, cycles without a wait and
        /// unreachable steps (with a step missing, the path through it is unknown and both would be guesses).
        /// </summary>
        private void CheckGraph(List<Step> steps, bool allStepsParsed)
        {
            var declared = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var (stepId, where) in _stepIds)
            {
                if (declared.TryGetValue(stepId, out var earlier))
                    Error(where, $"step id '{stepId}' is already used at line {earlier.Line}; step ids must be unique in a journey");
                else
                    declared[stepId] = where;
            }
            var ids = declared.Keys.ToList();
            foreach (var (target, where, field) in _references)
            {
                if (!declared.ContainsKey(target))
                    Error(where, $"{field} '{target}' is not a step of this journey{Suggest.DidYouMean(target, ids)}");
            }
            if (!allStepsParsed || steps.Count == 0)
                return;

            var first = new Dictionary<string, Step>(StringComparer.Ordinal);
            foreach (var step in steps)
                first.TryAdd(step.Id, step);

            var successors = steps.Select((s, i) => Successors(steps, i, first)).ToList();
            var index = steps.Select((s, i) => (s, i)).GroupBy(p => p.s.Id).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);

            // A cycle is only allowed when it passes through a step that waits; otherwise an instance would
            // loop forever within one decision.
            foreach (var cycle in CyclesWithoutWait(steps, successors, index))
                Error(steps[cycle[0]].Location, $"these steps form a loop with no wait in it: {string.Join(" → ", cycle.Select(i => steps[i].Id))} → {steps[cycle[0]].Id}; add a 'wait', 'wait_until' or 'wait_for' step inside the loop");

            var reachable = new bool[steps.Count];
            var queue = new Queue<int>([0]);
            reachable[0] = true;
            while (queue.Count > 0)
            {
                foreach (var next in successors[queue.Dequeue()].Select(id => index.GetValueOrDefault(id, -1)).Where(i => i >= 0))
                {
                    if (!reachable[next])
                    {
                        reachable[next] = true;
                        queue.Enqueue(next);
                    }
                }
            }
            for (var i = 0; i < steps.Count; i++)
            {
                if (!reachable[i] && first.TryGetValue(steps[i].Id, out var s) && ReferenceEquals(s, steps[i]))
                    diagnostics.Add(new Diagnostic(DiagnosticSeverity.Warning, steps[i].Location, $"step '{steps[i].Id}' can never be reached: no step leads to it; point a 'next' at it or remove it"));
            }
        }

        private void Reference(YamlMappingNode map, string key, string field)
        {
            if (Get(map, key) is YamlScalarNode { Value: { Length: > 0 } target } node)
                _references.Add((target, ValueAt(node), field));
        }

        private static List<string> Successors(List<Step> steps, int i, Dictionary<string, Step> byId)
        {
            var step = steps[i];
            var following = step.Next ?? (i + 1 < steps.Count ? steps[i + 1].Id : null);
            var result = new List<string>();
            void Add(string? id)
            {
                if (id is not null && byId.ContainsKey(id))
                    result.Add(id);
            }
            switch (step)
            {
                case ExitStep:
                    break;
                case WaitForStep w:
                    Add(w.OnEvent ?? following);
                    Add(w.OnTimeout ?? following);
                    break;
                case BranchStep b:
                    foreach (var c in b.Cases) Add(c.Next);
                    Add(b.Else ?? following);
                    break;
                case SplitStep sp:
                    foreach (var v in sp.Variants) Add(v.Next ?? following);
                    break;
                default:
                    Add(following);
                    break;
            }
            return result;
        }

        private static List<List<int>> CyclesWithoutWait(List<Step> steps, List<List<string>> successors, Dictionary<string, int> index)
        {
            static bool Waits(Step s) => s is WaitStep or WaitUntilStep or WaitForStep;
            // Tarjan's strongly connected components over the steps that do not wait.
            var cycles = new List<List<int>>();
            var order = new int[steps.Count];
            var low = new int[steps.Count];
            var onStack = new bool[steps.Count];
            var stack = new Stack<int>();
            var counter = 1;
            void Visit(int v)
            {
                order[v] = low[v] = counter++;
                stack.Push(v);
                onStack[v] = true;
                foreach (var w in successors[v].Select(id => index[id]).Where(w => !Waits(steps[w])))
                {
                    if (order[w] == 0)
                    {
                        Visit(w);
                        low[v] = Math.Min(low[v], low[w]);
                    }
                    else if (onStack[w])
                    {
                        low[v] = Math.Min(low[v], order[w]);
                    }
                }
                if (low[v] != order[v])
                    return;
                var component = new List<int>();
                int x;
                do
                {
                    x = stack.Pop();
                    onStack[x] = false;
                    component.Add(x);
                }
                while (x != v);
                if (component.Count > 1 || successors[v].Any(id => index[id] == v))
                {
                    component.Sort();
                    cycles.Add(component);
                }
            }
            for (var v = 0; v < steps.Count; v++)
            {
                if (order[v] == 0 && !Waits(steps[v]))
                    Visit(v);
            }
            return cycles;
        }

        // ---- YAML helpers ----

        private SourceLocation At(YamlNode node) => new(file, (int)node.Start.Line, (int)node.Start.Column);

        /// <summary>The position of a scalar's text, inside its quotes.</summary>
        private SourceLocation ValueAt(YamlNode node) =>
            new(file, (int)node.Start.Line, (int)node.Start.Column + (node is YamlScalarNode { Style: ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted } ? 1 : 0));

        private void Error(SourceLocation where, string message)
        {
            _errors++;
            diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, where, message));
        }

        private static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private void CheckKeys(YamlMappingNode map, string[] known, string what)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (!known.Contains(name))
                    Error(At(key), $"unknown field '{name}' in {what}{Suggest.DidYouMean(name, known)} (known: {string.Join(", ", known)})");
            }
        }

        private string? Scalar(YamlNode node, string what)
        {
            if (node is YamlScalarNode scalar && scalar.Value is { } value && (value.Length > 0 || scalar.Style is ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted))
                return value;
            Error(At(node), $"'{what}' must be a single value");
            return null;
        }

        private string? RequiredText(YamlMappingNode map, string key, string owner, string help)
        {
            var node = Get(map, key);
            if (node is null)
            {
                Error(At(map), $"{owner} has no '{key}': {help}");
                return null;
            }
            return Scalar(node, key);
        }

        private string? OptionalText(YamlMappingNode map, string key) =>
            Get(map, key) is { } node ? Scalar(node, key) : null;

        private bool? OptionalBool(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node)
                return null;
            var value = Scalar(node, key);
            if (value is "true" or "false")
                return value == "true";
            if (value is not null)
                Error(At(node), $"'{key}' must be true or false");
            return null;
        }

        private TimeSpan? OptionalDuration(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node || Scalar(node, key) is not { } value)
                return null;
            if (Duration.TryParse(value, out var span))
                return span;
            Error(ValueAt(node), $"{key} '{value}' is not a duration: {Duration.Help}");
            return null;
        }

        private TimeOnly? RequiredTime(YamlMappingNode map, string key, string owner)
        {
            var node = Get(map, key);
            if (node is null)
            {
                Error(At(map), $"{owner} has no '{key}': write a local time as \"HH:mm\", e.g. \"09:00\"");
                return null;
            }
            var value = Scalar(node, key);
            if (value is null)
                return null;
            if (!TimePattern().IsMatch(value.Trim()))
            {
                Error(ValueAt(node), $"{key} '{value}' is not a time: write \"HH:mm\" on the 24-hour clock, e.g. \"09:00\" or \"21:30\"");
                return null;
            }
            return TimeOnly.ParseExact(value.Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        }

        private LiquidExpression? OptionalExpression(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node || Scalar(node, key) is not { } source)
                return null;
            if (LiquidExpression.TryParse(source, out var expression, out var error, out var offset))
            {
                foreach (var problem in LiquidNames.CheckCondition(expression!))
                    Error(InScalar(node, problem), $"'{key}': {problem.Message}");
                return expression;
            }
            var at = ValueAt(node);
            var line = source[..Math.Min(offset, source.Length)].Count(c => c == '\n');
            var where = line == 0 && node is YamlScalarNode { Style: not (ScalarStyle.Literal or ScalarStyle.Folded) }
                ? at with { Column = at.Column + offset }
                : at;
            var example = key == "key" ? "event.properties.cartId" : "event.properties.total >= 20 and customer.attributes.vip == true";
            Error(where, $"'{key}' is not a valid expression: {error}; use Liquid's syntax, e.g. \"{example}\"");
            return null;
        }

        /// <summary>
        /// Where a problem at a line and column of a scalar's text is in the file. Only a single-line value that is
        /// not a block scalar maps column for column; otherwise the value's start is the best guess.
        /// </summary>
        private SourceLocation InScalar(YamlNode node, TemplateError problem)
        {
            var at = ValueAt(node);
            if (problem.Line != 1 || node is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded })
                return at;
            var (line, column) = LiquidSandbox.Offset(problem, at.Line, at.Column);
            return at with { Line = line, Column = column };
        }

        private static string Clean(YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            var paren = message.IndexOf("): ", StringComparison.Ordinal);
            message = paren > 0 && message.StartsWith('(') ? message[(paren + 3)..] : message;
            if (message.StartsWith("Duplicate key ", StringComparison.Ordinal))
                return $"'{message["Duplicate key ".Length..]}' appears twice in the same mapping";
            return message.TrimEnd('.');
        }

        private static (int Line, int Column)? FirstTabIndent(string yaml)
        {
            var lines = yaml.ReplaceLineEndings("\n").Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
                var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
                if (tab >= 0 && tab < indent)
                    return (i + 1, tab + 1);
            }
            return null;
        }

        /// <summary>What to do about a YAML syntax error, in the words of someone who edits the file.</summary>
        private static string YamlHint(YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            if (message.Contains("Duplicate key", StringComparison.Ordinal))
                return "keep only one of them";
            if (message.Contains("',' or ']'", StringComparison.Ordinal))
                return "a '[' list is not closed: end it with ']' or put quotes around the value";
            if (message.Contains("',' or '}'", StringComparison.Ordinal))
                return "a '{' mapping is not closed: end it with '}' or put quotes around the value";
            if (message.Contains("tab", StringComparison.Ordinal))
                return "indent with spaces, not tabs";
            if (message.Contains("cannot start any token", StringComparison.Ordinal))
                return "indent with spaces, not tabs, and put quotes around values that start with a special character such as '@', '`' or '%'";
            if (message.Contains("quoted scalar", StringComparison.Ordinal))
                return "a quoted value is not closed: end it with the same quote it starts with";
            if (message.Contains("invalid mapping", StringComparison.Ordinal) || message.Contains("mapping values are not allowed", StringComparison.Ordinal))
                return "put quotes around a value that contains ': ', and indent the keys of one mapping to the same column";
            return "check the indentation (spaces only; items of one list or mapping start in the same column), quotes and brackets on this line and the one before";
        }

        /// <summary>Remembers where the last YAML event ended, to place errors that YamlDotNet reports without a position.</summary>
        private sealed class TrackingParser(IParser inner) : IParser
        {
            public Mark LastEnd { get; private set; } = Mark.Empty;

            public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

            public bool MoveNext()
            {
                var moved = inner.MoveNext();
                if (inner.Current is { } current)
                    LastEnd = current.End;
                return moved;
            }
        }
    }

    /// <summary>
    /// The zone names accepted everywhere (a journey's <c>time_zone</c>, a profile's <c>timeZone</c>): <c>UTC</c> and the
    /// IANA names of the form Area/Location (<c>Europe/Amsterdam</c>, <c>America/New_York</c>), spelt as IANA spells them.
    /// Abbreviations and Windows names are not accepted, although the OS would find some: <c>EST</c> is a fixed -05:00
    /// without daylight saving (New York in summer is -04:00), <c>CET</c> and <c>IST</c> mean different places to different
    /// people, and a Windows name means another zone list on every machine. Someone who writes one means a place; only
    /// its Area/Location name says which.
    /// </summary>
    public static readonly IReadOnlySet<string> AcceptedZoneNames =
        TZConvert.KnownIanaTimeZoneNames.Where(name => name.Contains('/', StringComparison.Ordinal)).Append("UTC").ToHashSet(StringComparer.Ordinal);

    /// <summary>Looks up one of <see cref="AcceptedZoneNames"/>, the same on every OS (TimeZoneConverter).</summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (id is null || !AcceptedZoneNames.Contains(id))
            return false;
        if (id is "UTC" or "Etc/UTC")
            return true;
        return TZConvert.TryGetTimeZoneInfo(id, out zone!);
    }
}
