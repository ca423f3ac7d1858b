using Orchestrator.Core.Analysis;
using Orchestrator.Core.Journeys;
using Orchestrator.Core.Tests.Journeys;

namespace Orchestrator.Core.Tests.Analysis;

/// <summary>The verdicts: a real difference is called, and reading an A/A test every day does not invent winners.</summary>
public sealed class ExperimentVerdictTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly JourneyFolder _folder = new();
    private readonly JourneyDefinition _journey;

    public ExperimentVerdictTests()
    {
        _folder.SimpleTemplate("t");
        _folder.Journey("ab.yaml", """
            id: ab
            name: A/B
            entry:
              event: signup
            goal:
              event: order
              within: 7d
            steps:
              - id: test
                split:
                  - variant: control
                    weight: 50
                    next: end
                  - variant: discount
                    weight: 50
                    next: mail
              - id: mail
                email:
                  template: t
              - id: end
                exit: {}
            """);
        var loaded = _folder.Load();
        Assert.False(loaded.HasErrors, Expect.Describe(loaded));
        _journey = loaded.Journeys.Single();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Ten_against_fourteen_percent_on_3000_per_arm_is_better()
    {
        var instances = Arm("control", 3000, 300).Concat(Arm("discount", 3000, 420)).ToList();
        var comparison = ExperimentAnalysis.Analyse(_journey, instances, new Dictionary<string, IReadOnlyList<LoggedEvent>>(), T0.AddDays(30)).Single().Comparisons.Single();
        Assert.Equal(ExperimentAnalysis.Better, comparison.Verdict);
        Assert.Equal(0.04, comparison.Lift, 10);
        Assert.True(comparison.SequentialCi95[0] > 0, comparison.Sentence);
        Assert.Contains("discount converts better than control: 14.0% vs 10.0%", comparison.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_difference_is_not_called_and_says_how_much_more_data_is_needed()
    {
        var instances = Arm("control", 1000, 100).Concat(Arm("discount", 1000, 110)).ToList();
        var comparison = ExperimentAnalysis.Analyse(_journey, instances, new Dictionary<string, IReadOnlyList<LoggedEvent>>(), T0.AddDays(30)).Single().Comparisons.Single();
        Assert.Equal(ExperimentAnalysis.NoDifferenceYet, comparison.Verdict);
        // Planned for 2 points (the observed lift of 1 point is smaller): with the always-valid interval that takes
        // more than the fixed-horizon 3,842 per arm (10% vs 12%, alpha 0.05, power 0.8).
        Assert.NotNull(comparison.MoreNeededPerArm);
        Assert.InRange(comparison.MoreNeededPerArm!.Value + 1000, 3_842, 3 * 3_842);
        Assert.Contains("2 points at 80% power", comparison.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_little_data_and_a_broken_split_are_said_instead_of_a_winner()
    {
        var few = ExperimentAnalysis.Analyse(_journey, Arm("control", 50, 5).Concat(Arm("discount", 50, 20)).ToList(),
            new Dictionary<string, IReadOnlyList<LoggedEvent>>(), T0.AddDays(30)).Single().Comparisons.Single();
        Assert.Equal(ExperimentAnalysis.TooLittleData, few.Verdict);

        var broken = ExperimentAnalysis.Analyse(_journey, Arm("control", 1000, 100).Concat(Arm("discount", 1400, 300)).ToList(),
            new Dictionary<string, IReadOnlyList<LoggedEvent>>(), T0.AddDays(30)).Single();
        Assert.True(broken.SrmPValue < 0.001);
        Assert.Equal(ExperimentAnalysis.SampleRatioMismatch, broken.Comparisons.Single().Verdict);
    }

    [Fact]
    public void Reading_200_AA_tests_after_every_100_entries_calls_a_winner_in_at_most_5_percent()
    {
        var random = new Random(20261202);
        var falseWinners = 0;
        const int experiments = 200;
        for (var e = 0; e < experiments; e++)
        {
            var instances = new List<InstanceHistory>();
            var called = false;
            for (var entry = 1; entry <= 4000 && !called; entry++)
            {
                var variant = random.Next(2) == 0 ? "control" : "discount";
                instances.Add(Instance(instances.Count, variant, random.NextDouble() < 0.10));
                if (entry % 100 != 0)
                    continue;
                var verdict = ExperimentAnalysis.Analyse(_journey, instances, new Dictionary<string, IReadOnlyList<LoggedEvent>>(), T0.AddDays(30)).Single().Comparisons.Single().Verdict;
                called = verdict is ExperimentAnalysis.Better or ExperimentAnalysis.Worse;
            }
            if (called)
                falseWinners++;
        }
        Assert.True(falseWinners <= experiments * 5 / 100, $"{falseWinners} of {experiments} A/A tests were called");
    }

    private static IEnumerable<InstanceHistory> Arm(string variant, int n, int converted) =>
        Enumerable.Range(0, n).Select(i => Instance(i + (variant == "control" ? 0 : 1_000_000), variant, i < converted));

    private static InstanceHistory Instance(int index, string variant, bool converted)
    {
        var instance = new InstanceHistory { CustomerId = $"c-{index}", InstanceId = $"i-{index}", Version = "v", EnteredAt = T0 };
        instance.Assignments["test"] = (variant, T0);
        if (converted)
            instance.ConvertedAt = T0.AddHours(5);
        instance.EndKind = "completed";
        instance.EndedAt = T0;
        return instance;
    }
}
