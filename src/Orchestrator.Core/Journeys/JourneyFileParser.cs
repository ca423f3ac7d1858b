// The file-level half of the parser: the root keys, entry, goal, exits, send window, zone, on_change, priority,
// and the checks over the whole file (duplicate ids, references, loops, reachability). Steps are in StepParser.cs.
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Core.Journeys;

public static partial class JourneyLoader
{
    private static readonly string[] RootKeys = ["id", "name", "description", "phase", "entry", "goal", "exit", "send_window", "time_zone", "on_change", "priority", "steps"];
    private static readonly string[] EntryKeys = ["event", "when", "key", "reentry"];
    private static readonly string[] GoalKeys = ["event", "when", "within", "exit"];
    private static readonly string[] ExitKeys = ["event", "when"];
    private static readonly string[] WindowKeys = ["days", "from", "to"];
    private static readonly Dictionary<string, DayOfWeek> Days = new(StringComparer.Ordinal)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex IdPattern();

    private sealed partial class FileParser(string file, string text, TemplateLibrary templates, List<Diagnostic> diagnostics)
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
                Error(new SourceLocation(file, (int)last.Line, (int)last.Column), TrackingParser.LostMessage);
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

            var graph = new JourneyGraph(steps);
            // A cycle is only allowed when it passes through a step that waits; otherwise an instance would
            // loop forever within one decision.
            foreach (var cycle in graph.CyclesWithoutWait())
                Error(cycle[0].Location, $"these steps form a loop with no wait in it: {string.Join(" → ", cycle.Select(s => s.Id))} → {cycle[0].Id}; add a 'wait', 'wait_until' or 'wait_for' step inside the loop");
            foreach (var step in graph.Unreachable())
                diagnostics.Add(new Diagnostic(DiagnosticSeverity.Warning, step.Location, $"step '{step.Id}' can never be reached: no step leads to it; point a 'next' at it or remove it"));
        }

        private void Reference(YamlMappingNode map, string key, string field)
        {
            if (Get(map, key) is YamlScalarNode { Value: { Length: > 0 } target } node)
                _references.Add((target, ValueAt(node), field));
        }
    }
}
