using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Orchestrator.Core.Analysis;

/// <summary>
/// The statistics of docs/analysis-contract.md, each a small formula with its source named, so an analyst can recompute it.
/// Rates are proportions x/n; differences are variant minus control.
/// </summary>
public static class Statistics
{
    public const double Alpha = 0.05;

    /// <summary>z for a two-sided 95% interval.</summary>
    public static readonly double Z95 = Normal.InvCDF(0, 1, 1 - (Alpha / 2));

    /// <summary>
    /// The sample size the confidence sequence is tuned to be narrowest at (total over both arms). GrowthBook uses
    /// 5,000 by default; a marketing split's arms usually reach a few thousand.
    /// </summary>
    public const double SequentialTuningSampleSize = 5_000;

    /// <summary>Wilson score interval for one proportion.</summary>
    public static (double Low, double High) Wilson(long x, long n, double z)
    {
        if (n == 0)
            return (0, 1);
        var p = (double)x / n;
        var z2 = z * z;
        var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = z / (1 + (z2 / n)) * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// 95% interval for p1 − p2 by Newcombe's hybrid score method (Newcombe 1998, method 10): the Wilson limits of
    /// each rate combined by the square-and-add rule.
    /// </summary>
    public static (double Low, double High) NewcombeDifference(long x1, long n1, long x2, long n2)
    {
        var p1 = Rate(x1, n1);
        var p2 = Rate(x2, n2);
        var (l1, u1) = Wilson(x1, n1, Z95);
        var (l2, u2) = Wilson(x2, n2, Z95);
        var d = p1 - p2;
        return (d - Math.Sqrt(Square(p1 - l1) + Square(u2 - p2)), d + Math.Sqrt(Square(u1 - p1) + Square(p2 - l2)));
    }

    /// <summary>Two-sided p-value of the pooled two-proportion z test; 1 when there is no variance at all.</summary>
    public static double PooledZTestPValue(long x1, long n1, long x2, long n2)
    {
        if (n1 == 0 || n2 == 0)
            return 1;
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / n1) + (1.0 / n2)));
        if (se == 0)
            return 1;
        var z = (Rate(x1, n1) - Rate(x2, n2)) / se;
        return 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
    }

    /// <summary>Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1), in the input's order.</summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 1.0;
        for (var rank = m; rank >= 1; rank--)
        {
            var i = order[rank - 1];
            running = Math.Min(running, pValues[i] * m / rank);
            adjusted[i] = Math.Min(1, running);
        }
        return adjusted;
    }

    /// <summary>
    /// The half-width factor of the asymptotic confidence sequence (Waudby-Smith, Arbour, Sinha, Kennedy, Ramdas,
    /// "Time-uniform central limit theory and asymptotic confidence sequences", 2021, Theorem 2.2): with t
    /// observations of standard deviation σ the interval μ̂ ± σ·margin(t) holds at every t at once with
    /// probability 1 − α. ρ² is tuned so the sequence is narrowest at <see cref="SequentialTuningSampleSize"/>.
    /// </summary>
    public static double SequentialMargin(double t, double alpha = Alpha, double tuneAt = SequentialTuningSampleSize)
    {
        var rho2 = ((-2 * Math.Log(alpha)) + Math.Log((-2 * Math.Log(alpha)) + 1)) / tuneAt;
        return Math.Sqrt(2 * ((t * rho2) + 1) * Math.Log(Math.Sqrt((t * rho2) + 1) / alpha) / (t * t * rho2));
    }

    /// <summary>
    /// Always-valid 95% interval for p1 − p2: t = n1 + n2 observations, σ² = t·Var(p̂1 − p̂2), as GrowthBook
    /// applies the asymptotic sequence to a difference of means. Reading it after every entry does not raise the
    /// chance of a false winner above 5%.
    /// </summary>
    public static (double Low, double High) SequentialDifference(long x1, long n1, long x2, long n2)
    {
        if (n1 == 0 || n2 == 0)
            return (-1, 1);
        var d = Rate(x1, n1) - Rate(x2, n2);
        var half = SequentialHalfWidth(Rate(x1, n1), n1, Rate(x2, n2), n2);
        return (Math.Max(-1, d - half), Math.Min(1, d + half));
    }

    private static double SequentialHalfWidth(double p1, double n1, double p2, double n2)
    {
        var t = n1 + n2;
        var variance = (p1 * (1 - p1) / n1) + (p2 * (1 - p2) / n2);
        return Math.Sqrt(variance * t) * SequentialMargin(t);
    }

    /// <summary>
    /// Instances per arm at which the confidence sequence would exclude zero with 80% power for an absolute lift of
    /// <paramref name="lift"/> over <paramref name="baseRate"/> (equal arms): the smallest n with
    /// lift − halfWidth(n) ≥ z₀.₈·se(n).
    /// </summary>
    public static long SequentialSampleSizePerArm(double baseRate, double lift)
    {
        var p1 = Math.Clamp(baseRate, 0.001, 0.999);
        var p2 = Math.Clamp(baseRate + lift, 0.001, 0.999);
        var effect = Math.Abs(p2 - p1);
        var zPower = Normal.InvCDF(0, 1, 0.8);
        bool Enough(long n) => effect - SequentialHalfWidth(p1, n, p2, n) >= zPower * Math.Sqrt((p1 * (1 - p1) / n) + (p2 * (1 - p2) / n));
        long high = 2;
        while (!Enough(high) && high < 1_000_000_000)
            high *= 2;
        var low = high / 2;
        while (low + 1 < high)
        {
            var mid = low + ((high - low) / 2);
            if (Enough(mid))
                high = mid;
            else
                low = mid;
        }
        return high;
    }

    /// <summary>Chi-square goodness of fit of observed arm sizes against the split's weights: the sample-ratio check.</summary>
    public static double SampleRatioPValue(IReadOnlyList<long> observed, IReadOnlyList<double> weights)
    {
        var total = observed.Sum();
        if (total == 0 || observed.Count < 2)
            return 1;
        var weightSum = weights.Sum();
        var chi2 = 0.0;
        for (var i = 0; i < observed.Count; i++)
        {
            var expected = total * weights[i] / weightSum;
            chi2 += Square(observed[i] - expected) / expected;
        }
        return 1 - ChiSquared.CDF(observed.Count - 1, chi2);
    }

    /// <summary>The nearest-rank percentile: the smallest value with at least q of the values at or below it.</summary>
    public static T? Percentile<T>(IReadOnlyList<T> sorted, double q) where T : struct
    {
        if (sorted.Count == 0)
            return null;
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>R² of the least-squares fit of y on the predictors (with intercept); null when it is undefined.</summary>
    public static double? RSquared(IReadOnlyList<double[]> predictors, IReadOnlyList<double> y)
    {
        var k = predictors.Count == 0 ? 0 : predictors[0].Length;
        if (y.Count <= k + 1)
            return null;
        var mean = y.Average();
        var total = y.Sum(v => Square(v - mean));
        if (total == 0)
            return null;
        double[] coefficients;
        try
        {
            coefficients = Fit.MultiDim(predictors.ToArray(), y.ToArray(), intercept: true);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var residual = 0.0;
        for (var i = 0; i < y.Count; i++)
        {
            var fitted = coefficients[0];
            for (var j = 0; j < k; j++)
                fitted += coefficients[j + 1] * predictors[i][j];
            residual += Square(y[i] - fitted);
        }
        return double.IsFinite(residual) ? 1 - (residual / total) : null;
    }

    public static double Rate(long x, long n) => n == 0 ? 0 : (double)x / n;

    private static double Square(double v) => v * v;
}

/// <summary>A Kaplan-Meier estimate of the share converted by each time (1 − survival).</summary>
public static class KaplanMeier
{
    /// <summary>One step of the curve: at <see cref="Time"/>, this share had converted.</summary>
    public sealed record Point(TimeSpan Time, double Converted, int AtRisk, int Events);

    /// <summary>
    /// Subjects with their time and whether it is a conversion (true) or a censoring (false). A subject censored at
    /// the time of a conversion still counts as at risk then (the usual convention).
    /// </summary>
    public static IReadOnlyList<Point> Estimate(IEnumerable<(TimeSpan Time, bool Converted)> subjects)
    {
        var byTime = subjects.GroupBy(s => s.Time).OrderBy(g => g.Key).Select(g => (g.Key, Events: g.Count(s => s.Converted), All: g.Count())).ToList();
        var atRisk = byTime.Sum(g => g.All);
        var survival = 1.0;
        var curve = new List<Point>();
        foreach (var (time, events, all) in byTime)
        {
            if (events > 0)
            {
                survival *= 1 - ((double)events / atRisk);
                curve.Add(new Point(time, 1 - survival, atRisk, events));
            }
            atRisk -= all;
        }
        return curve;
    }

    /// <summary>The first time the curve reaches <paramref name="share"/>, or null when it never does.</summary>
    public static TimeSpan? TimeTo(IReadOnlyList<Point> curve, double share) =>
        curve.FirstOrDefault(p => p.Converted >= share - 1e-12)?.Time;
}
