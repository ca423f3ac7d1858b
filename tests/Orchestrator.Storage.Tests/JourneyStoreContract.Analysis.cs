using Orchestrator.Contracts;
using Orchestrator.Core.Analysis;
using Orchestrator.Core.Engine;
using Orchestrator.Core.Journeys;
using static Orchestrator.Storage.Tests.TestData;

namespace Orchestrator.Storage.Tests;

/// <summary>
/// The analysis read side on every provider: a store seeded with thousands of instances whose figures the test
/// works out from the generator's truth (<see cref="AnalysisSeed"/>), and the event log and feedback rows.
/// </summary>
public abstract partial class JourneyStoreContract
{
    [SkippableFact]
    public async Task Every_report_figure_equals_the_seeded_truth()
    {
        var seed = AnalysisSeed.Generate(3000, seed: 11);
        await StoreAsync(seed);
        var journey = SeededJourney();
        var options = new AnalysisOptions();

        var report = await JourneyReportBuilder.BuildAsync(journey, Storage.Analysis, new ReportFilter(AnalysisSeed.Now), options, None);
        AssertFigures(seed.Instances, seed, report);

        // Filters: the version entered with, and the entry range [since, until).
        var since = AnalysisSeed.T0.AddDays(7);
        var until = AnalysisSeed.T0.AddDays(21);
        var filtered = await JourneyReportBuilder.BuildAsync(journey, Storage.Analysis, new ReportFilter(AnalysisSeed.Now, "v1", since, until), options, None);
        AssertFigures(seed.Instances.Where(t => t.Version == "v1" && t.EnteredAt >= since && t.EnteredAt < until).ToList(), seed, filtered);
    }

    [SkippableFact]
    public async Task A_store_with_nothing_in_it_reports_zero_for_every_journey()
    {
        // The first page a marketer opens on a new worker: no outcome, no conversion, no answer yet.
        foreach (var journey in EngineReplay.LoadJourneys().Latest)
        {
            var report = await JourneyReportBuilder.BuildAsync(journey, Storage.Analysis, new ReportFilter(TestData.T0), new AnalysisOptions(), None);
            Assert.Equal(0, report.Entered);
            Assert.All(report.Steps, s => Assert.Equal(0, s.Reached));
            Assert.Equal(0, report.Conversion.Converted);
            Assert.Empty(report.Experience.Touchpoints);
        }
        Assert.Empty(await Storage.Analysis.ReadConversionsAsync(None));
    }

    private static void AssertFigures(List<AnalysisSeed.Truth> truth, AnalysisSeed seed, JourneyReport report)
    {
        Assert.Equal(truth.Count, report.Entered);
        Assert.Equal(truth.Count(t => t.Active), report.Active);

        foreach (var step in report.Steps)
        {
            Assert.Equal(truth.Count(t => t.Path.Contains(step.Id)), step.Reached);
            Assert.Equal(truth.Count(t => t.Active && t.Path[^1] == step.Id), step.WaitingNow);
            var kinds = truth.SelectMany(t => t.Log).Where(o => o.StepId == step.Id).GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(kinds.OrderBy(k => k.Key, StringComparer.Ordinal), step.Outcomes.OrderBy(k => k.Key, StringComparer.Ordinal));
            var dwell = truth.Where(t => t.Dwell.ContainsKey(step.Id)).Select(t => t.Dwell[step.Id]).Order().ToList();
            if (step.Kind is "wait" or "wait_for")
            {
                Assert.Equal(dwell.Count, step.Dwell!.N);
                Assert.Equal(JourneyReportBuilder.Iso(NearestRank(dwell, 0.5)), step.Dwell.P50);
                Assert.Equal(JourneyReportBuilder.Iso(NearestRank(dwell, 0.9)), step.Dwell.P90);
            }
        }
        Assert.Equal(truth.Count(t => t.Log.Any(o => o.StepId == "mail-1" && o.Kind == OutcomeKind.Skipped)), report.Steps.Single(s => s.Id == "mail-1").Reasons["skipped"]["no-address"]);
        Assert.Equal(["vip"], report.UnreachedSteps);

        var edges = truth.SelectMany(t => t.Path.Zip(t.Path.Skip(1))).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(edges.Count, report.Edges.Count);
        foreach (var edge in report.Edges)
            Assert.Equal(edges[(edge.From, edge.To)], edge.Count);

        Assert.Equal(truth.Count(t => t.End == OutcomeKind.Completed), report.Ended.Completed);
        Assert.Equal(0, report.Ended.Goal);
        Assert.Equal(truth.Count(t => t.End == OutcomeKind.Exited), report.Ended.Exited.GetValueOrDefault("cancelled"));

        var converted = truth.Count(t => t.ConvertedAt is not null);
        Assert.Equal(converted, report.Conversion.Converted);
        Assert.Equal((double)converted / truth.Count, report.Conversion.Rate, 12);
        var weeks = truth.GroupBy(t => AnalysisSeed.Week(t.EnteredAt)).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(weeks.Select(w => (w.Key, w.Count(), w.Count(t => t.ConvertedAt is not null))),
            report.Conversion.ByWeek.Select(w => (w.Week, w.Entered, w.Converted)));

        // Kaplan-Meier worked out here: everyone not converted is censored at entry + 7d (now is later).
        var subjects = truth.Select(t => t.ConvertedAt is { } c ? (c - t.EnteredAt, true) : (AnalysisSeed.Within, false)).ToList();
        var expectedCurve = new List<(TimeSpan, double)>();
        var survival = 1.0;
        foreach (var time in subjects.Where(s => s.Item2).Select(s => s.Item1).Distinct().Order())
        {
            var atRisk = subjects.Count(s => s.Item1 >= time);
            var events = subjects.Count(s => s.Item2 && s.Item1 == time);
            survival *= 1 - ((double)events / atRisk);
            expectedCurve.Add((time, 1 - survival));
        }
        Assert.Equal(expectedCurve.Count, report.Conversion.TimeToConvert.Curve.Count);
        for (var i = 0; i < expectedCurve.Count; i++)
        {
            Assert.Equal(JourneyReportBuilder.Iso(expectedCurve[i].Item1), report.Conversion.TimeToConvert.Curve[i].T);
            Assert.Equal(expectedCurve[i].Item2, report.Conversion.TimeToConvert.Curve[i].Converted, 1e-5);
        }
        Assert.Equal(JourneyReportBuilder.Iso(expectedCurve.FirstOrDefault(p => p.Item2 >= 0.5).Item1 is var t50 && t50 > TimeSpan.Zero ? t50 : null), report.Conversion.TimeToConvert.P50);
        var converters = truth.Where(t => t.ConvertedAt is not null).Select(t => t.ConvertedAt!.Value - t.EnteredAt).Order().ToList();
        Assert.Equal(JourneyReportBuilder.Iso(NearestRank(converters, 0.5)), report.Conversion.TimeToConvert.ConvertersP50);

        var paths = truth.GroupBy(t => string.Join(">", t.Path)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(10).ToList();
        Assert.Equal(paths.Select(p => p.Key), report.Paths.Select(p => string.Join(">", p.Steps)));
        foreach (var (expected, actual) in paths.Zip(report.Paths))
        {
            Assert.Equal(expected.Count(), actual.Count);
            Assert.Equal((double)expected.Count() / truth.Count, actual.Share, 12);
            Assert.Equal((double)expected.Count(t => t.ConvertedAt is not null) / expected.Count(), actual.Conversion, 12);
            var durations = expected.Where(t => t.EndedAt is not null).Select(t => t.EndedAt!.Value - t.EnteredAt).Order().ToList();
            Assert.Equal(JourneyReportBuilder.Iso(NearestRank(durations, 0.5)), actual.MedianDuration);
        }

        var experiment = report.Experiments.Single();
        Assert.Equal("holdout", experiment.Control);
        foreach (var arm in experiment.Arms)
        {
            var members = truth.Where(t => t.Variant == arm.Variant).ToList();
            Assert.Equal(members.Count, arm.N);
            Assert.Equal(members.Count(t => t.ConvertedAt is not null), arm.Converted);
            Assert.Equal(members.Count(m => seed.Events.Any(e => e.Customer == m.Customer && e.Type == ReservedEvents.Unsubscribed
                && e.At >= m.AssignedAt && e.At <= m.EnteredAt + AnalysisSeed.Within)), arm.Guardrails.Unsubscribed);
        }
        Assert.Equal(["a", "b"], experiment.Comparisons.Select(c => c.Variant));
        foreach (var comparison in experiment.Comparisons)
        {
            var v = experiment.Arms.Single(a => a.Variant == comparison.Variant);
            var c = experiment.Arms.Single(a => a.Variant == "holdout");
            Assert.Equal(((double)v.Converted / v.N) - ((double)c.Converted / c.N), comparison.Lift, 12);
            Assert.Equal(Statistics.PooledZTestPValue(v.Converted, v.N, c.Converted, c.N), comparison.PValue, 12);
            Assert.True(comparison.SequentialCi95[0] <= comparison.Lift && comparison.Lift <= comparison.SequentialCi95[1]);
        }
        Assert.Equal(Statistics.SampleRatioPValue(experiment.Arms.Select(a => (long)a.N).ToList(), [40, 40, 20]), experiment.SrmPValue, 12);

        AssertExperience(truth, seed, report.Experience);
        Assert.Equal(truth.Count(t => t.ConversionEventId is not null && seed.SharedEventIds.Contains(t.ConversionEventId)), report.SharedConversions);
    }

    private static void AssertExperience(List<AnalysisSeed.Truth> truth, AnalysisSeed seed, ExperienceFigures experience)
    {
        var ids = truth.Select(t => t.Instance).ToHashSet();
        var answers = seed.Feedback.Where(a => a.InstanceId is not null && ids.Contains(a.InstanceId)).ToList();
        var touchpoints = answers.Where(a => a.Level == FeedbackLevel.Touchpoint).ToList();
        var journeyAnswers = answers.Where(a => a.Level == FeedbackLevel.Journey).ToList();
        static double TopBox(IEnumerable<FeedbackAnswer> list) => list.Count(a => a.Score >= 4) / (double)list.Count();

        foreach (var tp in experience.Touchpoints)
        {
            var of = touchpoints.Where(a => a.StepId == tp.Step).ToList();
            Assert.Equal(of.Count, tp.N);
            Assert.Equal(of.Average(a => a.Score), tp.Mean, 0.001);
            Assert.Equal(TopBox(of), tp.TopBox, 0.001);
        }
        Assert.Equal(touchpoints.Select(a => a.StepId).Distinct().Count(), experience.Touchpoints.Count);
        var journeyScore = experience.Journey.Single();
        Assert.Equal(journeyAnswers.Count, journeyScore.N);
        Assert.Equal(journeyAnswers.Average(a => a.Score), journeyScore.Mean, 0.001);
        Assert.Equal(TopBox(touchpoints), experience.TouchpointTopBox!.Value, 10);
        Assert.Equal(TopBox(journeyAnswers), experience.JourneyTopBox!.Value, 10);
        Assert.Equal(TopBox(touchpoints) - TopBox(journeyAnswers), experience.Gap!.Value, 10);
        var expectedFlag = TopBox(touchpoints) >= 0.8 && TopBox(touchpoints) - TopBox(journeyAnswers) >= 0.15 ? ExperienceAnalysis.TouchpointsGoodJourneyPoor : null;
        if (expectedFlag is not null)
            Assert.Equal(expectedFlag, experience.Flag);
        Assert.Equal(10, experience.Unattributed);

        // Peak-end, worked out here with the normal equations of a least-squares fit.
        var rows = new List<(double Mean, double Peak, double End, double Journey, string PeakStep, string EndStep)>();
        foreach (var instance in touchpoints.GroupBy(a => a.InstanceId))
        {
            var scores = instance.OrderBy(a => a.At).ToList();
            var j = journeyAnswers.SingleOrDefault(a => a.InstanceId == instance.Key);
            if (scores.Count < 2 || j is null)
                continue;
            var scaled = scores.Select(a => (a.Score - 1) / 4).ToList();
            var peak = scaled.Select((s, i) => (s, i)).OrderByDescending(p => Math.Abs(p.s - 0.5)).ThenBy(p => p.i).First().i;
            rows.Add((scaled.Average(), scaled[peak], scaled[^1], (j.Score - 1) / 4, scores[peak].StepId!, scores[^1].StepId!));
        }
        Assert.Equal(rows.Count, experience.PeakEnd.N);
        Assert.Equal(RSquaredOne(rows.Select(r => r.Mean).ToList(), rows.Select(r => r.Journey).ToList()), experience.PeakEnd.R2Mean!.Value, 0.001);
        Assert.Equal(RSquaredTwo(rows.Select(r => (r.Peak, r.End)).ToList(), rows.Select(r => r.Journey).ToList()), experience.PeakEnd.R2PeakEnd!.Value, 0.001);
        Assert.Equal(rows.GroupBy(r => r.PeakStep).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())),
            experience.PeakEnd.PeakSteps.Select(p => (p.Key, p.Value)));

        var nps = seed.Feedback.Where(a => a.Metric == "nps").ToList();
        foreach (var month in experience.Relationship.NpsByMonth)
        {
            var of = nps.Where(a => a.At.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture) == month.Month).ToList();
            Assert.Equal(of.Count, month.N);
            Assert.Equal(100.0 * (of.Count(a => a.Score >= 9) - of.Count(a => a.Score <= 6)) / of.Count, month.Nps, 2);
        }
        Assert.Equal(nps.Count, experience.Relationship.NpsByMonth.Sum(m => m.N));

        var topBoxInstances = journeyAnswers.Where(a => a.Score >= 4).Select(a => a.InstanceId).ToHashSet();
        var ended = truth.Where(t => t.EndedAt is not null).ToList();
        bool Retained(AnalysisSeed.Truth t) => seed.Events.Any(e => e.Customer == t.Customer && e.Type == "order" && e.At > t.EndedAt && e.At <= t.EndedAt!.Value.AddDays(90));
        var retention = experience.Retention!;
        Assert.Equal(ended.Count(t => topBoxInstances.Contains(t.Instance)), retention.TopBox.N);
        Assert.Equal(ended.Count(t => topBoxInstances.Contains(t.Instance) && Retained(t)), retention.TopBox.Retained);
        Assert.Equal(ended.Count(t => !topBoxInstances.Contains(t.Instance) && Retained(t)), retention.Rest.Retained);
    }

    [SkippableFact]
    public async Task The_event_log_keeps_each_event_with_its_decision_and_the_cleanup_removes_old_ones_in_batches()
    {
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            Assert.True(await unit.TryAddToInboxAsync(Event("e-rolled-back", "c-1"), None));
        }
        for (var i = 0; i < 7; i++)
        {
            Time.SetUtcNow(TestData.T0.AddDays(i * 10));
            await using var unit = await Storage.Store.BeginAsync("c-1", None);
            Assert.True(await unit.TryAddToInboxAsync(Event($"e-{i}", "c-1", "order.placed", TestData.T0.AddDays(i)) with
            {
                Properties = TestData.Json("""{"total":12.5,"city":"Zürich"}"""),
                Customer = new CustomerProfileUpdate { Email = "a@example.com" },
            }, None));
            await unit.CommitAsync(None);
        }
        Assert.Equal(7, await CountAsync("SELECT COUNT(*) FROM events"));
        Assert.Contains("Zürich", await ScalarAsync<string>("SELECT properties_json FROM events WHERE event_id = 'e-3'"), StringComparison.Ordinal);
        Assert.Contains("a@example.com", await ScalarAsync<string>("SELECT customer_json FROM events WHERE event_id = 'e-3'"), StringComparison.Ordinal);
        Assert.Equal(7, (await Storage.Analysis.ReadEventsOfTypeAsync("order.placed", None)).Count);

        // Received on days 0, 10, ..., 60: older than day 35 are days 0-30 (4 events), deleted 3 at a time.
        Assert.Equal(4, await Storage.DeleteExpiredEventsAsync(TestData.T0.AddDays(35), batchSize: 3, None));
        Assert.Equal(["e-4", "e-5", "e-6"], (await Storage.Analysis.ReadEventsOfTypeAsync("order.placed", None)).Select(e => e.EventId));
        // The inbox still knows them: a deleted event is still a duplicate.
        await using var again = await Storage.Store.BeginAsync("c-1", None);
        Assert.False(await again.TryAddToInboxAsync(Event("e-0", "c-1"), None));
    }

    [SkippableFact]
    public async Task Feedback_finds_its_send_and_is_stored_with_the_decision()
    {
        await SaveAsync(TestData.Decision(CustomerState.New("c-1"), sends: [TestData.Email("c-1", "k-1", TestData.T0), TestData.Email("c-1", "k-2", TestData.T0.AddHours(5))]));
        await SaveAsync(TestData.Decision(CustomerState.New("c-2"), sends: [TestData.Email("c-2", "k-3", TestData.T0.AddHours(6))]));
        await using (var unit = await Storage.Store.BeginAsync("c-1", None))
        {
            Assert.Equal("c-1", (await unit.FindSendAsync("k-2", None))!.CustomerId);
            Assert.Null(await unit.FindSendAsync("nope", None));
            Assert.Equal("k-2", (await unit.LastSentAsync(TestData.T0, TestData.T0.AddDays(1), None))!.SendKey);
            Assert.Equal("k-1", (await unit.LastSentAsync(TestData.T0, TestData.T0.AddHours(4), None))!.SendKey);
            Assert.Null(await unit.LastSentAsync(TestData.T0.AddHours(6), TestData.T0.AddDays(1), None));
            var state = await unit.LoadCustomerAsync(None);
            await unit.SaveAsync(TestData.Decision(state!) with
            {
                Feedback = new FeedbackAnswer
                {
                    EventId = "f-1", CustomerId = "c-1", At = TestData.T0.AddHours(7), Metric = "csat", Score = 4, Level = FeedbackLevel.Touchpoint,
                    JourneyId = "welcome", Version = "3", StepId = "step-1", InstanceId = "i-1", SendKey = "k-2", Comment = "fine",
                },
            }, None);
            await unit.CommitAsync(None);
        }
        var stored = Assert.Single(await Storage.Analysis.ReadFeedbackAsync("welcome", None));
        Assert.Equal((FeedbackLevel.Touchpoint, "k-2", 4.0, "fine", TestData.T0.AddHours(7)), (stored.Level, stored.SendKey, stored.Score, stored.Comment, stored.At));
    }

    private async Task StoreAsync(AnalysisSeed seed)
    {
        var feedback = seed.Feedback.ToLookup(a => a.CustomerId);
        var events = seed.Events.ToLookup(e => e.Customer);
        var eventNumber = 0;
        foreach (var truth in seed.Instances)
        {
            await using (var unit = await Storage.Store.BeginAsync(truth.Customer, None))
            {
                foreach (var (customer, type, at) in events[truth.Customer])
                    Assert.True(await unit.TryAddToInboxAsync(Event($"ev-{eventNumber++}", customer, type, at), None));
                await unit.SaveAsync(TestData.Decision(CustomerState.New(truth.Customer), [.. truth.Log]), None);
                await unit.CommitAsync(None);
            }
            foreach (var answer in feedback[truth.Customer])
            {
                await using var unit = await Storage.Store.BeginAsync(truth.Customer, None);
                var state = await unit.LoadCustomerAsync(None);
                await unit.SaveAsync(TestData.Decision(state!) with { Feedback = answer }, None);
                await unit.CommitAsync(None);
            }
        }
        // Another journey converted by some of the same orders.
        await SaveAsync(TestData.Decision(CustomerState.New("c-other"), seed.SharedEventIds.Select(id =>
            new Outcome(AnalysisSeed.T0, "other", "v1", "c-other", "i-" + id, null, OutcomeKind.Converted, null, new Dictionary<string, object?> { ["eventId"] = id })).ToList()));
    }

    private static JourneyDefinition SeededJourney()
    {
        var folder = Path.Combine(Path.GetTempPath(), "orchestrator-seeded", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "templates"));
        File.WriteAllText(Path.Combine(folder, "templates", "t.liquid"), "---\nsubject: \"Hi\"\n---\n<p>Hi</p>\n");
        var loaded = JourneyLoader.LoadText(Path.Combine(folder, "seeded.yaml"), AnalysisSeed.Yaml, Path.Combine(folder, "templates"));
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded.Journeys.Single();
    }

    private static TimeSpan? NearestRank(List<TimeSpan> sorted, double q) => sorted.Count == 0 ? null : sorted[(int)Math.Ceiling(q * sorted.Count) - 1];

    private static double RSquaredOne(List<double> x, List<double> y)
    {
        var (mx, my) = (x.Average(), y.Average());
        var slope = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / x.Sum(v => (v - mx) * (v - mx));
        var intercept = my - (slope * mx);
        return 1 - (x.Zip(y).Sum(p => Math.Pow(p.Second - intercept - (slope * p.First), 2)) / y.Sum(v => (v - my) * (v - my)));
    }

    /// <summary>y = b0 + b1 x1 + b2 x2 by the centred normal equations, solved with Cramer's rule.</summary>
    private static double RSquaredTwo(List<(double X1, double X2)> x, List<double> y)
    {
        var (m1, m2, my) = (x.Average(p => p.X1), x.Average(p => p.X2), y.Average());
        double s11 = 0, s22 = 0, s12 = 0, s1y = 0, s2y = 0, syy = 0;
        for (var i = 0; i < y.Count; i++)
        {
            var (a, b, c) = (x[i].X1 - m1, x[i].X2 - m2, y[i] - my);
            s11 += a * a; s22 += b * b; s12 += a * b; s1y += a * c; s2y += b * c; syy += c * c;
        }
        var det = (s11 * s22) - (s12 * s12);
        var b1 = ((s1y * s22) - (s2y * s12)) / det;
        var b2 = ((s2y * s11) - (s1y * s12)) / det;
        return ((b1 * s1y) + (b2 * s2y)) / syy;
    }
}
