using Orchestrator.Core.Analysis;

namespace Orchestrator.Core.Tests.Analysis;

/// <summary>Each statistic against values published elsewhere or worked out by hand here, not against the code.</summary>
public sealed class StatisticsTests
{
    [Theory]
    // Newcombe (1998), "Interval estimation for the difference between independent proportions", Statistics in
    // Medicine 17:873-890, Table II, method 10 (hybrid score): (a) 56/70 - 48/80, (b) 9/10 - 3/10.
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    public void Newcombe_hybrid_score_interval_matches_the_paper(long x1, long n1, long x2, long n2, double low, double high)
    {
        var (l, h) = Statistics.NewcombeDifference(x1, n1, x2, n2);
        Assert.Equal(low, l, 0.0001);
        Assert.Equal(high, h, 0.0001);
    }

    [Fact]
    public void Wilson_interval_matches_the_textbook_example()
    {
        // 81/263 (Wilson 1927 style example used by Newcombe 1998, single proportion): 0.2553 to 0.3662.
        var (l, h) = Statistics.Wilson(81, 263, Statistics.Z95);
        Assert.Equal(0.2553, l, 0.0001);
        Assert.Equal(0.3662, h, 0.0001);
    }

    [Fact]
    public void Pooled_z_test_equals_the_uncorrected_chi_square_of_the_two_by_two_table()
    {
        // 56/70 vs 48/80: pooled 104/150, z = 0.2 / sqrt(0.69333 * 0.30667 * (1/70 + 1/80)) = 2.6502, so chi-square
        // without continuity correction 7.0234 on 1 df, p = erfc(z / sqrt 2) = 0.008045.
        Assert.Equal(0.008045, Statistics.PooledZTestPValue(56, 70, 48, 80), 0.000001);
        Assert.Equal(1.0, Statistics.PooledZTestPValue(0, 50, 0, 50));
    }

    [Fact]
    public void Benjamini_Hochberg_adjusts_step_up_in_input_order()
    {
        // Sorted 0.005, 0.01, 0.03, 0.04 (m = 4): 0.04*4/4 = 0.04; 0.03*4/3 = 0.04; 0.01*4/2 = 0.02; 0.005*4/1 = 0.02.
        Assert.Equal([0.02, 0.04, 0.04, 0.02], Statistics.BenjaminiHochberg([0.01, 0.04, 0.03, 0.005]).Select(p => Math.Round(p, 10)));
        Assert.Equal([1.0], Statistics.BenjaminiHochberg([1.0]));
    }

    [Fact]
    public void Sample_ratio_check_is_a_chi_square_goodness_of_fit()
    {
        // 480 / 520 against 50/50: chi2 = 2 * 20^2 / 500 = 1.6 on 1 df, p = 0.2059.
        Assert.Equal(0.2059, Statistics.SampleRatioPValue([480, 520], [50, 50]), 0.0001);
        // 400 / 600 / 0 against 40/40/20: far off.
        Assert.True(Statistics.SampleRatioPValue([400, 600, 0], [40, 40, 20]) < 0.001);
    }

    [Fact]
    public void The_sequential_margin_is_wider_than_the_fixed_one_and_shrinks_with_data()
    {
        // At the tuning size the conjugate-mixture boundary of the paper is about 1.4 times the fixed-horizon z.
        var atTuning = Statistics.SequentialMargin(5_000) * Math.Sqrt(5_000);
        Assert.InRange(atTuning, 1.96 * 1.15, 1.96 * 1.6);
        Assert.True(Statistics.SequentialMargin(100_000) < Statistics.SequentialMargin(10_000));
        var (low, high) = Statistics.SequentialDifference(420, 3000, 300, 3000);
        var (fixedLow, fixedHigh) = Statistics.NewcombeDifference(420, 3000, 300, 3000);
        Assert.True(low < fixedLow && high > fixedHigh);
    }

    [Fact]
    public void Kaplan_Meier_matches_a_hand_worked_example()
    {
        // Times (h): 1 event, 2 censored, 3 event, 3 censored, 5 event, 8 censored.
        // At 1: 6 at risk, S = 5/6. At 3: 4 at risk, S = 5/6 * 3/4 = 0.625. At 5: 2 at risk, S = 0.3125.
        var curve = KaplanMeier.Estimate([(H(1), true), (H(2), false), (H(3), true), (H(3), false), (H(5), true), (H(8), false)]);
        Assert.Equal([H(1), H(3), H(5)], curve.Select(p => p.Time));
        Assert.Equal([1 - (5 / 6.0), 0.375, 0.6875], curve.Select(p => Math.Round(p.Converted, 10)).ToArray(), new RoundedComparer());
        Assert.Equal([6, 4, 2], curve.Select(p => p.AtRisk));
        Assert.Equal(H(5), KaplanMeier.TimeTo(curve, 0.5));
        Assert.Null(KaplanMeier.TimeTo(curve, 0.9));
    }

    [Fact]
    public void R_squared_of_a_perfect_and_of_a_known_fit()
    {
        Assert.Equal(1.0, Statistics.RSquared([[1.0], [2.0], [3.0], [4.0]], [3.0, 5.0, 7.0, 9.0])!.Value, 10);
        // y = 1, 3, 2, 4 on x = 1..4: slope 0.8, intercept 0.5, fitted 1.3 2.1 2.9 3.7, SSres = 1.8, SStot = 5, R2 = 0.64.
        Assert.Equal(0.64, Statistics.RSquared([[1.0], [2.0], [3.0], [4.0]], [1.0, 3.0, 2.0, 4.0])!.Value, 10);
        Assert.Null(Statistics.RSquared([[1.0], [2.0]], [1.0, 2.0]));
    }

    [Fact]
    public void Durations_are_written_in_iso_8601()
    {
        Assert.Equal("PT26H", JourneyReportBuilder.Iso(TimeSpan.FromHours(26)));
        Assert.Equal("P4D", JourneyReportBuilder.Iso(TimeSpan.FromDays(4)));
        Assert.Equal("PT1H30M", JourneyReportBuilder.Iso(TimeSpan.FromMinutes(90)));
        Assert.Equal("PT0S", JourneyReportBuilder.Iso(TimeSpan.Zero));
        Assert.Null(JourneyReportBuilder.Iso(null));
    }

    private static TimeSpan H(int hours) => TimeSpan.FromHours(hours);

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }
}
