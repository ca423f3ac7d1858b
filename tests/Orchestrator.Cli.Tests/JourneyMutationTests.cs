using System.Text;
using System.Text.RegularExpressions;
using Orchestrator.Cli.Commands;
using Xunit.Abstractions;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Broken journey and template files, made from the samples: `validate` answers each with a diagnostic that points
/// into the broken file (<c>file:line:col</c> inside it), exit code 2, and never an exception or a stack trace. Targeted
/// mutations must break the file; the sweeps (every line deleted, every other line indented) may leave
/// a valid file, and then must say nothing, but must never crash or point somewhere else.
/// </summary>
public sealed partial class JourneyMutationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orch-mutations").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private static readonly string[] Journeys = Directory.GetFiles(RepoPaths.Journeys, "*.yaml").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray()!;

    /// <summary>A change to one file: its text in, the broken text out (null: not applicable to this file).</summary>
    /// <param name="MustBreak">False where the change may leave a valid file (a cut that happens to fall between steps).</param>
    /// <param name="InUser">The error may point at the email step that uses the template instead (a missing subject
    /// can be given in either place, and the step is where the journey needs it).</param>
    private sealed record Mutation(string Name, Func<string, string?> Apply, bool MustBreak = true, bool InUser = false);

    private static Mutation ReplaceLine(string name, string pattern, string replacement, bool inUser = false) =>
        new(name, text =>
        {
            var regex = new Regex(pattern, RegexOptions.Multiline);
            return regex.IsMatch(text) ? regex.Replace(text, replacement, 1) : null;
        }, InUser: inUser);

    private static Mutation Whole(string name, string text) => new(name, _ => text);

    // Applied to every sample journey it fits: each must break the file.
    private static readonly Mutation[] JourneyMutations =
    [
        ReplaceLine("id removed", @"^id: .*\n", ""),
        ReplaceLine("id a list", @"^id: .*$", "id: [a, b]"),
        ReplaceLine("id a mapping", @"^id: .*$", "id: {x: 1}"),
        ReplaceLine("id with a space", @"^id: .*$", "id: cart recovery"),
        ReplaceLine("name removed", @"^name: .*\n", ""),
        ReplaceLine("entry a scalar", @"^entry:\s*\n(  .*\n)+", "entry: cart.abandoned\n"),
        ReplaceLine("entry event removed", @"^(entry:\s*\n)  event: .*\n", "$1"),
        ReplaceLine("entry event a list", @"^(entry:\s*\n  event: ).*$", "$1[a, b]"),
        ReplaceLine("entry when broken", @"^(entry:\s*\n  event: .*)$", "$1\n  when: \"event.properties.total >=\""),
        ReplaceLine("entry when unknown variable", @"^(entry:\s*\n  event: .*)$", "$1\n  when: \"evnt.properties.total > 1\""),
        ReplaceLine("reentry nonsense", @"^  reentry: .*$", "  reentry: sometimes"),
        ReplaceLine("reentry bad duration", @"^  reentry: .*$", "  reentry: after 3x"),
        ReplaceLine("goal within bad", @"^(  event: order\.placed.*)$", "$1\n  within: 7 days"),
        ReplaceLine("unknown root key", @"^steps:", "stpes:"),
        ReplaceLine("steps a scalar", @"^steps:\s*\n(?:(?:  .*|\s*)\n)+", "steps: 3\n"),
        ReplaceLine("steps empty", @"^steps:\s*\n(?:(?:  .*|\s*)\n)+", "steps: []\n"),
        ReplaceLine("steps a mapping", @"^steps:\s*\n(?:(?:  .*|\s*)\n)+", "steps: {a: 1}\n"),
        ReplaceLine("wait in words", @"^(\s+wait: ).*$", "$1one hour"),
        ReplaceLine("wait negative", @"^(\s+wait: ).*$", "$1-1h"),
        ReplaceLine("wait zero", @"^(\s+wait: ).*$", "${1}0h"),
        ReplaceLine("wait overflowing", @"^(\s+wait: ).*$", "${1}99999999999d"),
        ReplaceLine("wait empty", @"^(\s+wait: ).*$", "$1\"\""),
        ReplaceLine("wait a list", @"^(\s+wait: ).*$", "$1[1h]"),
        ReplaceLine("timeout bad", @"^(\s+timeout: ).*$", "$1soon"),
        ReplaceLine("unknown step kind", @"^(\s+)wait: (.*)$", "$1sleep: $2"),
        ReplaceLine("step kind misspelt", @"^(\s+)email:\s*$", "$1emial:"),
        ReplaceLine("step without id", @"^(\s+)- id: [^\n]*\n(\s+)(wait|email|wait_for|wait_until|branch|split): ", "$1- $3: "),
        ReplaceLine("step id a list", @"^(\s+- id: ).*$", "${1}[a, b]"),
        ReplaceLine("duplicate step id", @"^(\s+- id: )(.*)\n((?:.*\n)*?\s+- id: ).*$", "$1$2\n$3$2"),
        ReplaceLine("dangling next", @"^(\s+next: ).*$", "$1nowhere"),
        ReplaceLine("dangling on_timeout", @"^(\s+on_timeout: ).*$", "$1nowhere"),
        ReplaceLine("dangling on_event", @"^(\s+on_event: ).*$", "$1nowhere"),
        ReplaceLine("template missing", @"^(\s+template: ).*$", "$1nowhere"),
        ReplaceLine("template path traversal", @"^(\s+template: ).*$", "$1../../etc/passwd"),
        ReplaceLine("template a number", @"^(\s+template: ).*$", "${1}7"),
        ReplaceLine("time_zone unknown", @"^time_zone: .*$", "time_zone: Mars/Olympus_Mons"),
        ReplaceLine("time_zone a number", @"^time_zone: .*$", "time_zone: 5"),
        ReplaceLine("window from 25h", @"^(\s+from: ).*$", "$1\"25:00\""),
        ReplaceLine("window from a word", @"^(\s+from: ).*$", "$1morning"),
        ReplaceLine("window day unknown", @"^(\s+days: \[)[a-z]+", "$1funday"),
        ReplaceLine("window days a scalar", @"^(\s+days: ).*$", "$1weekdays"),
        ReplaceLine("wait_until time bad", @"^(\s+time: ).*$", "$1\"9h30\""),
        ReplaceLine("branch when broken", @"^(\s+- when: ).*$", "$1\"customer.attributes.interest ==\""),
        ReplaceLine("branch when unknown filter", @"^(\s+- when: ).*$", "$1\"customer.email | shout == 'x'\""),
        ReplaceLine("split weight negative", @"^(\s+weight: ).*$", "$1-10"),
        ReplaceLine("split weight a word", @"^(\s+weight: ).*$", "$1heavy"),
        ReplaceLine("unclosed quote", "^(\\s+from: )\"(.*)\"$", "$1\"$2"),
        ReplaceLine("tab indentation", @"^  (\S)", "\t$1"),
        ReplaceLine("duplicate root key", @"^(id: .*)$", "$1\n$1"),
        ReplaceLine("list item dedented", @"^    (\S.*)\n(?=(?:.*\n)*)", "  $1\n"),
        ReplaceLine("mapping indented into a scalar", @"^(\s+- id: .*)\n(\s+)(\w+:)", "$1\n$2   $3"),
        new("truncated halfway", text => text[..(text.Length / 2)], MustBreak: false),
        new("unknown step key", text => Regex.Replace(text, @"^(\s+)(- id: .*)$", "$1$2\n$1  colour: blue", RegexOptions.Multiline, TimeSpan.FromSeconds(1)) is var t && t != text ? t : null),
    ];

    // Whole files that are no journey at all.
    private static readonly Mutation[] BrokenFiles =
    [
        Whole("empty file", ""),
        Whole("only a comment", "# nothing here\n"),
        Whole("only a document marker", "---\n"),
        Whole("a list at the root", "- id: a\n- id: b\n"),
        Whole("a scalar at the root", "just some words\n"),
        Whole("two documents", "id: a\nname: A\n---\nid: b\n"),
        Whole("binary garbage", "\u0001\u0002\u0003\u00ff\u00fe"),
        Whole("json", "{\"id\": \"a\", \"steps\": 3}"),
        Whole("an alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nid: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"),
        Whole("an undefined alias", "id: *nothing\n"),
        Whole("deep nesting", "id: " + new string('[', 2000) + new string(']', 2000) + "\n"),
    ];

    // Applied to every sample template they fit: each must break it, and the diagnostic points into the template.
    private static readonly Mutation[] TemplateMutations =
    [
        ReplaceLine("unclosed if", @"\{%\s*endif\s*%\}", ""),
        ReplaceLine("unclosed for", @"\{%\s*endfor\s*%\}", ""),
        ReplaceLine("unclosed output", @"\{\{ (customer\.firstName)", "{{ $1 |"),
        ReplaceLine("unknown variable", @"\{\{ customer\.firstName", "{{ custmer.firstName"),
        ReplaceLine("unknown filter", @"\| default:", "| defualt:"),
        ReplaceLine("unknown tag", @"<p>", "{% blink %}<p>"),
        ReplaceLine("broken front matter", @"\A---\n", "", inUser: true),
        ReplaceLine("subject removed", @"^subject: .*\n", "", inUser: true),
        ReplaceLine("front matter unknown key", @"^subject: (.*)$", "subject: $1\nsubjcet: x"),
        ReplaceLine("front matter not yaml", @"^subject: (.*)$", "subject: [unclosed"),
    ];

    [Fact]
    public void Every_mutation_of_the_samples_gets_a_positioned_diagnostic_in_the_broken_file_and_never_a_crash()
    {
        var problems = new List<string>();
        // The samples as they are (also the first load, which pays for the JIT outside the time limit of each check).
        Assert.False(Check("the samples", Journeys[0], File.ReadAllText(Path.Combine(RepoPaths.Journeys, Journeys[0])), mustBreak: false, problems));
        var (broken, valid) = (0, 0);
        foreach (var journey in Journeys)
        {
            var original = File.ReadAllText(Path.Combine(RepoPaths.Journeys, journey));
            foreach (var mutation in JourneyMutations.Concat(BrokenFiles))
            {
                if (mutation.Apply(original) is not { } text)
                    continue;
                if (Check($"{journey}: {mutation.Name}", journey, text, mutation.MustBreak, problems))
                    broken++;
                else
                    valid++;
            }
        }
        foreach (var template in Directory.GetFiles(Path.Combine(RepoPaths.Journeys, "templates"), "*.liquid").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal))
        {
            var original = File.ReadAllText(Path.Combine(RepoPaths.Journeys, "templates", template!));
            foreach (var mutation in TemplateMutations)
            {
                if (mutation.Apply(original) is not { } text)
                    continue;
                broken++;
                Check($"templates/{template}: {mutation.Name}", Path.Combine("templates", template!), text, mustBreak: true, problems, mutation.InUser);
            }
        }
        // Sweeps: every line of every journey deleted, and every other line indented by two more spaces.
        var swept = 0;
        foreach (var journey in Journeys)
        {
            var lines = File.ReadAllLines(Path.Combine(RepoPaths.Journeys, journey));
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim().Length == 0 || lines[i].TrimStart().StartsWith('#'))
                    continue;
                foreach (var (what, changed) in new[] { ("deleted", lines.Where((_, k) => k != i)), ("indented", lines.Select((l, k) => k == i ? "  " + l : l)) })
                {
                    if (what == "indented" && i % 2 == 1)
                        continue; // every other line: the indentation sweep repeats itself, and the suite's time counts

                    swept++;
                    if (Check($"{journey}: line {i + 1} {what}", journey, string.Join('\n', changed) + "\n", mustBreak: false, problems))
                        broken++;
                    else
                        valid++;
                }
            }
        }

        var summary = $"mutations: {broken + valid} ({broken} broken files, each with file:line:col in it; {valid} of {swept} sweep mutations still valid); problems: {problems.Count}";
        output.WriteLine(summary);
        Console.WriteLine(summary);
        Assert.True(broken >= 100, summary);
        Assert.True(problems.Count == 0, summary + "\n" + string.Join("\n", problems));
    }

    /// <summary>Validates the samples with one file replaced; true when the folder was found broken.</summary>
    private bool Check(string name, string relativePath, string text, bool mustBreak, List<string> problems, bool inUser = false)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, Guid.NewGuid().ToString("N")[..8])).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "templates"));
        foreach (var file in Directory.GetFiles(RepoPaths.Journeys, "*.yaml").Concat(Directory.GetFiles(Path.Combine(RepoPaths.Journeys, "templates"))))
            File.Copy(file, Path.Combine(folder, Path.GetRelativePath(RepoPaths.Journeys, file)));
        var mutated = Path.Combine(folder, relativePath);
        File.WriteAllText(mutated, text, new UTF8Encoding(false));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit;
        var started = DateTime.UtcNow;
        try
        {
            exit = ValidateCommand.Run(folder, stdout, stderr);
        }
        catch (Exception ex)
        {
            problems.Add($"{name}: validate threw {string.Join("\n", ex.ToString().Split('\n').Take(6))}");
            return true;
        }
        finally
        {
            // An alias bomb or deep nesting must not hang validate (the first load pays for the JIT, on a busy machine).
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(mustBreak || name != "the samples" ? 5 : 60))
                problems.Add($"{name}: validate took {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        }
        var errors = stderr.ToString();
        Directory.Delete(folder, true);
        if (errors.Contains("   at ", StringComparison.Ordinal) || errors.Contains("Exception", StringComparison.Ordinal))
            problems.Add($"{name}: a stack trace or exception in the output:\n{errors}");
        var lines = text.Split('\n');
        var inFile = 0;
        foreach (var line in errors.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Positioned().Match(line) is not { Success: true } m)
            {
                if (!Summary().IsMatch(line))
                    problems.Add($"{name}: a line without file:line:col: {line}");
                continue;
            }
            var isError = !m.Groups["message"].Value.StartsWith("warning:", StringComparison.Ordinal);
            if (m.Groups["file"].Value != mutated)
            {
                // Another file's warning (an unused template), or the email step that uses a template without a subject.
                if (inUser && isError && m.Groups["message"].Value.Contains("has no 'subject'", StringComparison.Ordinal))
                    inFile++;
                continue;
            }
            var (row, col) = (int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture));
            if (row < 1 || row > Math.Max(1, lines.Length) || col < 1 || col > (row <= lines.Length ? lines[row - 1].Length + 1 : 1))
                problems.Add($"{name}: {row}:{col} is not in the file ({lines.Length} lines): {line}");
            if (isError)
                inFile++;
        }
        if (exit == 0)
        {
            if (mustBreak)
                problems.Add($"{name}: still valid (exit 0)");
            return false;
        }
        if (exit != 2)
            problems.Add($"{name}: exit {exit}, not 2");
        if (inFile == 0)
            problems.Add($"{name}: exit {exit} without an error positioned in the mutated file:\n{errors}");
        return true;
    }

    [GeneratedRegex(@"^(?<file>/[^:]+):(?<line>\d+):(?<col>\d+): (?<message>.*)$")]
    private static partial Regex Positioned();

    [GeneratedRegex(@"^\d+ error\(s\), \d+ warning\(s\) in \d+ file\(s\)$")]
    private static partial Regex Summary();
}
