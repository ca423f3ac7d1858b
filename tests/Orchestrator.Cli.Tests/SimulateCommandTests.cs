using System.Text.Json;
using Orchestrator.Cli.Commands;
using Orchestrator.Core.Engine;

namespace Orchestrator.Cli.Tests;

public sealed class SimulateCommandTests
{
    private static (int Exit, string Output, string Errors) Simulate(string format = "jsonl", string? until = null)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var config = Path.Combine(RepoPaths.Root, "appsettings.json");
        var exit = SimulateCommand.Run(RepoPaths.Journeys, RepoPaths.SampleEvents, until, format, config, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public void Simulating_the_samples_matches_the_golden_file()
    {
        var (exit, output, errors) = Simulate();
        Assert.True(exit == 0, errors);
        // UPDATE_GOLDEN=1 rewrites the file after a deliberate change; review its diff before committing.
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RepoPaths.Golden)!);
            File.WriteAllText(RepoPaths.Golden, output);
        }
        var expected = File.ReadAllText(RepoPaths.Golden).ReplaceLineEndings("\n").Split('\n');
        var actual = output.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
            Assert.True(expected[i] == actual[i], $"line {i + 1} differs:\nexpected {expected[i]}\nactual   {actual[i]}");
        Assert.Equal(expected.Length, actual.Length);
    }

    [Fact]
    public void Simulating_twice_prints_the_same_outcomes()
    {
        Assert.Equal(Simulate().Output, Simulate().Output);
    }

    [Fact]
    public void Every_outcome_kind_but_failed_and_every_step_kind_appears_over_the_samples()
    {
        var lines = Simulate().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var kinds = lines.Select(l => l.GetProperty("outcome").GetString()).ToHashSet();
        foreach (var kind in OutcomeKind.Spec.Where(k => k != OutcomeKind.Failed))
            Assert.Contains(kind, kinds);

        var journeys = Core.Journeys.JourneyLoader.LoadFolder(RepoPaths.Journeys).Journeys;
        var stepKinds = lines
            .Where(l => l.GetProperty("step").ValueKind == JsonValueKind.String)
            .Select(l => journeys.Single(j => j.Id == l.GetProperty("journey").GetString()).FindStep(l.GetProperty("step").GetString()!)!.Kind)
            .ToHashSet();
        foreach (var kind in new[] { "email", "wait", "wait_until", "wait_for", "branch", "split", "exit" })
            Assert.Contains(kind, stepKinds);
    }

    [Fact]
    public void Each_line_has_the_fields_of_the_contract_in_order()
    {
        var first = Simulate().Output.Split('\n')[0];
        var names = JsonDocument.Parse(first).RootElement.EnumerateObject().Select(p => p.Name);
        Assert.Equal(["at", "journey", "customerId", "instance", "step", "outcome", "variant", "detail"], names);
    }

    [Fact]
    public void Outcomes_are_ordered_by_time_then_customer()
    {
        var lines = Simulate().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(l => (At: l.GetProperty("at").GetString()!, Customer: l.GetProperty("customerId").GetString()!)).ToList();
        for (var i = 1; i < lines.Count; i++)
        {
            var order = string.CompareOrdinal(lines[i - 1].At, lines[i].At);
            Assert.True(order < 0 || (order == 0 && string.CompareOrdinal(lines[i - 1].Customer, lines[i].Customer) <= 0), $"line {i + 1} is out of order");
        }
    }

    [Fact]
    public void Until_stops_the_virtual_clock()
    {
        var lines = Simulate(until: "2026-03-05T00:00:00Z").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.True(string.CompareOrdinal(JsonDocument.Parse(l).RootElement.GetProperty("at").GetString(), "2026-03-05T00:00:00Z") <= 0));
    }

    [Fact]
    public void The_table_format_has_a_header_and_one_row_per_outcome()
    {
        var jsonl = Simulate().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        var table = Simulate("table").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("at ", table[0], StringComparison.Ordinal);
        Assert.Equal(jsonl + 2, table.Length);
    }

    [Fact]
    public void A_malformed_event_line_is_reported_with_its_line_and_the_rest_still_runs()
    {
        var folder = Directory.CreateTempSubdirectory("orch-cli").FullName;
        try
        {
            var events = Path.Combine(folder, "events.jsonl");
            File.WriteAllLines(events,
            [
                """{"eventId":"e1","customerId":"c1","type":"customer.signed_up","occurredAt":"2026-03-02T08:00:00Z","customer":{"email":"a@example.com","firstName":"A"}}""",
                """{"eventId":"e2","customerId":"c1","type":"customer.signed_up"}""",
                "not json",
            ]);
            using var output = new StringWriter();
            using var errors = new StringWriter();
            var exit = SimulateCommand.Run(RepoPaths.Journeys, events, null, "jsonl", null, output, errors);
            Assert.Equal(1, exit);
            Assert.Contains($"{events}:2:1: missing required field(s) occurredAt", errors.ToString(), StringComparison.Ordinal);
            Assert.Contains($"{events}:3:1: not valid JSON", errors.ToString(), StringComparison.Ordinal);
            Assert.Contains("\"outcome\":\"entered\"", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void An_event_over_a_configured_limit_is_refused_with_the_workers_reason_and_the_rest_still_runs()
    {
        var folder = Directory.CreateTempSubdirectory("orch-cli").FullName;
        try
        {
            var config = Path.Combine(folder, "appsettings.json");
            File.WriteAllText(config, """{"Orchestrator":{"Intake":{"Limits":{"MaxIdLength":20}}}}""");
            var events = Path.Combine(folder, "events.jsonl");
            File.WriteAllLines(events,
            [
                // 26 characters: within the default limit (200), over the configured one.
                """{"eventId":"l-id-0123456789-0123456789","customerId":"c-long","type":"customer.signed_up","occurredAt":"2026-03-02T08:00:00Z","customer":{"email":"a@example.com","firstName":"A"}}""",
                """{"eventId":"l-ok","customerId":"c-ok","type":"customer.signed_up","occurredAt":"2026-03-02T08:00:00Z","customer":{"email":"b@example.com","firstName":"B"}}""",
            ]);
            using var output = new StringWriter();
            using var errors = new StringWriter();

            var exit = SimulateCommand.Run(RepoPaths.Journeys, events, null, "jsonl", config, output, errors);

            Assert.Equal(1, exit);
            // Word for word the worker's refusal of it over HTTP and AMQP (EventLimitSettingsTests).
            Assert.Contains($"{events}:1:1: eventId is 26 characters long; at most 20 are allowed (Orchestrator:Intake:Limits:MaxIdLength)", errors.ToString(), StringComparison.Ordinal);
            Assert.Contains("\"customerId\":\"c-ok\"", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("c-long", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_configured_limit_out_of_its_range_stops_simulate_naming_it_as_the_worker_does()
    {
        var folder = Directory.CreateTempSubdirectory("orch-cli").FullName;
        try
        {
            var config = Path.Combine(folder, "appsettings.json");
            File.WriteAllText(config, """{"Orchestrator":{"Intake":{"Limits":{"MaxIdLength":0,"MaxAttributeKeys":-1}}}}""");
            using var output = new StringWriter();
            using var errors = new StringWriter();

            var exit = SimulateCommand.Run(RepoPaths.Journeys, RepoPaths.SampleEvents, null, "jsonl", config, output, errors);

            Assert.Equal(1, exit);
            Assert.Equal("", output.ToString());
            // Every problem, in the worker's words at start (EventLimitSettingsTests).
            Assert.Contains("Orchestrator:Intake:Limits:MaxIdLength: The field MaxIdLength must be between 1 and 230.", errors.ToString(), StringComparison.Ordinal);
            Assert.Contains("Orchestrator:Intake:Limits:MaxAttributeKeys: The field MaxAttributeKeys must be between 0 and 100000.", errors.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
