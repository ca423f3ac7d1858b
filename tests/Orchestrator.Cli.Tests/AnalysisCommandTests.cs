using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Cli.Commands;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// report, trace and graph --store over the samples written by simulate --store: the store has the worker's schema,
/// so these read exactly what they read after the worker's --demo.
/// </summary>
public sealed class AnalysisCommandTests : IClassFixture<AnalysisCommandTests.SampleStore>
{
    private static readonly string Config = Path.Combine(RepoPaths.Root, "appsettings.json");
    private readonly SampleStore _store;

    public AnalysisCommandTests(SampleStore store) => _store = store;

    /// <summary>The samples simulated once into a temporary SQLite store.</summary>
    public sealed class SampleStore : IDisposable
    {
        public SampleStore()
        {
            Folder = Path.Combine(Path.GetTempPath(), "orchestrator-cli-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Folder);
            File = Path.Combine(Folder, "sim.db");
            using var output = new StringWriter();
            using var errors = new StringWriter();
            Exit = SimulateCommand.Run(RepoPaths.Journeys, RepoPaths.SampleEvents, null, "jsonl", Config, output, errors, File);
            Errors = errors.ToString();
            Outcomes = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        }

        public string Folder { get; }
        public string File { get; }
        public int Exit { get; }
        public string Errors { get; }
        public int Outcomes { get; }

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp file must not fail a test.
            }
        }
    }

    [Fact]
    public void Simulate_store_writes_every_outcome_with_the_workers_schema_and_refuses_to_overwrite()
    {
        Assert.True(_store.Exit == 0, _store.Errors);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.File}");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM outcomes";
        Assert.Equal(_store.Outcomes, (long)count.ExecuteScalar()!);
        count.CommandText = "SELECT COUNT(*) FROM events";
        Assert.True((long)count.ExecuteScalar()! > 400);

        using var errors = new StringWriter();
        Assert.Equal(CliSupport.Failed, SimulateCommand.Run(RepoPaths.Journeys, RepoPaths.SampleEvents, null, "jsonl", Config, TextWriter.Null, errors, _store.File));
        Assert.Contains("already exists", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_shows_the_cart_experiment_verdict_and_the_survey_gap()
    {
        var cart = Report("cart-recovery", "table");
        Assert.Contains("Experiment at offer-test (control: control", cart, StringComparison.Ordinal);
        Assert.Contains("discount vs control: TOO-LITTLE-DATA.", cart, StringComparison.Ordinal);

        var survey = Report("post-purchase-survey", "table");
        Assert.Contains("FLAG touchpoints-good-journey-poor", survey, StringComparison.Ordinal);

        var list = Report(null, "table");
        foreach (var journey in new[] { "cart-recovery", "post-purchase-survey", "welcome", "win-back" })
            Assert.Contains(journey, list, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_report_has_the_fields_of_the_contract()
    {
        var json = JsonDocument.Parse(Report("cart-recovery", "json")).RootElement;
        foreach (var field in new[] { "journey", "version", "from", "to", "entered", "steps", "edges", "ended", "conversion", "paths", "experiments", "experience", "sharedConversions" })
            Assert.True(json.TryGetProperty(field, out _), $"no '{field}' in {json}");
        var step = json.GetProperty("steps")[0];
        foreach (var field in new[] { "id", "kind", "reached", "waitingNow", "outcomes", "dwell" })
            Assert.True(step.TryGetProperty(field, out _), field);
        var comparison = json.GetProperty("experiments")[0].GetProperty("comparisons")[0];
        foreach (var field in new[] { "variant", "control", "lift", "ci95", "relativeLift", "pValue", "pValueAdjusted", "sequentialCi95", "verdict", "sentence" })
            Assert.True(comparison.TryGetProperty(field, out _), field);
        Assert.Equal("too-little-data", comparison.GetProperty("verdict").GetString());
        foreach (var field in new[] { "p50", "p90" })
            Assert.True(json.GetProperty("conversion").GetProperty("timeToConvert").TryGetProperty(field, out _), field);
        var experience = JsonDocument.Parse(Report("post-purchase-survey", "json")).RootElement.GetProperty("experience");
        Assert.Equal("touchpoints-good-journey-poor", experience.GetProperty("flag").GetString());
        foreach (var field in new[] { "touchpoints", "journey", "gap", "peakEnd" })
            Assert.True(experience.TryGetProperty(field, out _), field);
        // Entered equals the entered outcomes the simulation printed.
        Assert.True(json.GetProperty("entered").GetInt32() > 0);
    }

    [Fact]
    public void The_html_report_is_one_file_that_needs_nothing_else_and_shows_the_json_figures()
    {
        var file = Path.Combine(_store.Folder, "cart-recovery.html");
        using var errors = new StringWriter();
        var exit = ReportCommand.Run(new ReportCommand.Request("cart-recovery", RepoPaths.Journeys, _store.File, Config, null, null, null, null, "html", file),
            new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero)), TextWriter.Null, errors);
        Assert.True(exit == 0, errors.ToString());
        var html = File.ReadAllText(file);
        // Self-contained: every script is inline, and the page itself (the libraries' code aside, whose strings hold
        // such markup) fetches no script, style sheet or image from anywhere.
        var scripts = new System.Text.RegularExpressions.Regex("<script>[\\s\\S]*?</script>");
        Assert.Equal(5, scripts.Count(html));
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex("<(script|img|iframe)[^>]+src=|<link[^>]+href=", System.Text.RegularExpressions.RegexOptions.IgnoreCase), scripts.Replace(html, ""));
        Assert.Contains("vegaEmbed", html, StringComparison.Ordinal);
        Assert.Contains("mermaid", html, StringComparison.Ordinal);
        // The headline figures, marked with where they sit in the JSON, with the JSON's values.
        var json = JsonDocument.Parse(Report("cart-recovery", "json")).RootElement;
        Assert.Contains($"data-json=\"/entered\" data-value=\"{json.GetProperty("entered").GetInt32()}\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-json=\"/steps/0/reached\" data-value=\"{json.GetProperty("steps")[0].GetProperty("reached").GetInt32()}\"", html, StringComparison.Ordinal);
        Assert.Contains("wrote ", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_html_report_of_an_unknown_journey_writes_no_file()
    {
        var file = Path.Combine(_store.Folder, "nope.html");
        using var errors = new StringWriter();
        Assert.Equal(CliSupport.Failed, ReportCommand.Run(new ReportCommand.Request("nope", RepoPaths.Journeys, _store.File, Config, null, null, null, null, "html", file),
            TimeProvider.System, TextWriter.Null, errors));
        Assert.Contains("no journey 'nope'", errors.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Theory]
    [InlineData("c-43", "suppressed: the customer unsubscribed (since")]
    [InlineData("c-26", "deferred: outside the send window in Europe/London, until")]
    [InlineData("c-26", "deferred: the frequency cap is reached, until")]
    [InlineData("c-20", "skipped: the template requires customer.firstName, which the customer's data does not have")]
    [InlineData("c-12", "did not enter cart-recovery: its entry condition `event.properties.total >= 20` was false (event.properties.total = 12.9)")]
    [InlineData("c-16", "did not enter cart-recovery again: reentry after")]
    [InlineData("c-05", "did not enter welcome again: reentry is never")]
    [InlineData("c-43", "why: no cart.abandoned event, which is what starts cart-recovery")]
    public void Trace_explains_in_words(string customer, string phrase)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.True(TraceCommand.Run(customer, RepoPaths.Journeys, _store.File, Config, "table", output, errors) == 0, errors.ToString());
        Assert.Contains(phrase, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_store_is_an_error_not_a_new_empty_file()
    {
        var missing = Path.Combine(_store.Folder, "nope.db");
        using var errors = new StringWriter();
        Assert.Equal(CliSupport.Failed, ReportCommand.Run(new ReportCommand.Request(null, RepoPaths.Journeys, missing, Config, null, null, null, null, "table"),
            TimeProvider.System, TextWriter.Null, errors));
        Assert.Contains("no such store", errors.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    private string Report(string? journey, string format)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = ReportCommand.Run(new ReportCommand.Request(journey, RepoPaths.Journeys, _store.File, Config, null, null, null, null, format),
            new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero)), output, errors);
        Assert.True(exit == 0, errors.ToString());
        return output.ToString();
    }
}

public sealed class LiveGraphTests : IClassFixture<AnalysisCommandTests.SampleStore>
{
    private readonly AnalysisCommandTests.SampleStore _store;

    public LiveGraphTests(AnalysisCommandTests.SampleStore store) => _store = store;

    [Fact]
    public void Graph_with_a_store_puts_counts_on_steps_and_edges_and_greys_steps_nobody_reached()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var config = Path.Combine(RepoPaths.Root, "appsettings.json");
        Assert.True(GraphCommand.Run(RepoPaths.Journeys, "welcome", output, errors, _store.File, live: true, config) == 0, errors.ToString());
        var map = output.ToString();
        var report = ReportJson(config);
        var entered = report.GetProperty("entered").GetInt32();
        Assert.Contains($"entered {entered}", map, StringComparison.Ordinal);
        foreach (var step in report.GetProperty("steps").EnumerateArray())
            Assert.Contains($"{step.GetProperty("id").GetString()}<br/>reached {step.GetProperty("reached").GetInt32()}", map, StringComparison.Ordinal);
        var edge = report.GetProperty("edges")[0];
        Assert.Contains($"{edge.GetProperty("count").GetInt32()}\" -->", map, StringComparison.Ordinal);
        Assert.Contains("classDef unreached", map, StringComparison.Ordinal);
        // The samples reach every step; a step nobody reached is drawn grey.
        Assert.DoesNotMatch("class s\\d+ unreached", map);
        var journey = Core.Journeys.JourneyLoader.LoadFolder(RepoPaths.Journeys).Journeys.Single(j => j.Id == "welcome");
        var figures = Core.Analysis.JourneyReportBuilder.Build(journey, [], new Core.Analysis.JourneyReportBuilder.StepTally(), [], [],
            new Dictionary<string, IReadOnlyList<Core.Analysis.LoggedEvent>>(), new Core.Analysis.ReportFilter(DateTimeOffset.UtcNow), new Core.Analysis.AnalysisOptions());
        var empty = Orchestrator.Pages.JourneyMap.ToMermaid(journey, figures);
        Assert.Equal(journey.Steps.Count, System.Text.RegularExpressions.Regex.Count(empty, "class s\\d+ unreached"));
    }

    private JsonElement ReportJson(string config)
    {
        using var output = new StringWriter();
        ReportCommand.Run(new ReportCommand.Request("welcome", RepoPaths.Journeys, _store.File, config, null, null, null, null, "json"), TimeProvider.System, output, TextWriter.Null);
        return JsonDocument.Parse(output.ToString()).RootElement;
    }
}

public sealed class WhatIfTests : IClassFixture<AnalysisCommandTests.SampleStore>, IDisposable
{
    private static readonly string Config = Path.Combine(RepoPaths.Root, "appsettings.json");
    private readonly AnalysisCommandTests.SampleStore _store;
    private readonly string _changed = Path.Combine(Path.GetTempPath(), "orchestrator-whatif", Guid.NewGuid().ToString("N"));

    public WhatIfTests(AnalysisCommandTests.SampleStore store)
    {
        _store = store;
        Directory.CreateDirectory(Path.Combine(_changed, "templates"));
        foreach (var file in Directory.GetFiles(RepoPaths.Journeys, "*.yaml"))
            File.Copy(file, Path.Combine(_changed, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Journeys, "templates")))
            File.Copy(file, Path.Combine(_changed, "templates", Path.GetFileName(file)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_changed, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }

    [Fact]
    public void Replaying_the_store_through_unchanged_journeys_predicts_exactly_what_was_recorded()
    {
        var rows = Replay(RepoPaths.Journeys);
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.True(r.Recorded == r.Predicted, $"{r.Journey} {r.Step} {r.Measure}: {r.Recorded} vs {r.Predicted}"));
        Assert.Contains(rows, r => r is { Journey: "cart-recovery", Step: "reminder", Measure: "sent", Recorded: > 0 });
    }

    [Fact]
    public void A_changed_wait_shows_recorded_against_predicted_sends_for_that_journey_only()
    {
        var file = Path.Combine(_changed, "cart-recovery.yaml");
        File.WriteAllText(file, File.ReadAllText(file).Replace("  - id: wait-1h\n    wait: 1h", "  - id: wait-1h\n    wait: 4h", StringComparison.Ordinal));
        var rows = Replay(_changed);
        Assert.Contains(rows, r => r.Journey == "cart-recovery" && r.Measure == "sent" && r.Change != 0);
        Assert.Contains(rows, r => r is { Journey: "cart-recovery", Step: "reminder", Measure: "deferred" } && r.Predicted > r.Recorded);
        Assert.All(rows.Where(r => r.Journey != "cart-recovery"), r => Assert.Equal(r.Recorded, r.Predicted));

        using var output = new StringWriter();
        Assert.Equal(0, SimulateCommand.Replay(_changed, _store.File, null, null, "table", Config, TimeProvider.System, output, TextWriter.Null));
        Assert.Contains("recorded  predicted  change", output.ToString(), StringComparison.Ordinal);
    }

    private List<Core.Analysis.WhatIfRow> Replay(string folder)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.True(SimulateCommand.Replay(folder, _store.File, null, null, "jsonl", Config, TimeProvider.System, output, errors) == 0, errors.ToString());
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<Core.Analysis.WhatIfRow>(l, Core.Analysis.ReportJson.Options)!).ToList();
    }
}
