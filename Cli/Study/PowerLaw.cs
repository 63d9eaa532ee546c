// The double-saturating power law of "Scaling Vision Transformers", error against compute, E = a (C + d)^(-b) + c,
// fitted by bounded Levenberg-Marquardt least squares (MathNet.Numerics) from several starting points.
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace DotGrad.Cli.Study;

/// <summary>
/// A fitted <c>E = A (C + D)^(-B) + C</c>: <see cref="C"/> is the error an infinite budget would still make (the upper
/// saturation), <see cref="D"/> shifts the compute axis so that the smallest budgets bend away from the straight
/// log-log line (the lower saturation), <see cref="B"/> is the slope of the straight part. <see cref="ResidualRms"/>
/// is the root mean square of (measured - fitted) error over the <see cref="Points"/> points.
/// </summary>
internal sealed record PowerLawFit(double A, double B, double C, double D, double ResidualRms, int Points)
{
    /// <summary>The fitted error at <paramref name="compute"/>.</summary>
    public double Predict(double compute) => A * Math.Pow(compute + D, -B) + C;
}

internal static class PowerLaw
{
    /// <summary>Four constants: a fit needs more points than that to leave a residual at all.</summary>
    public const int MinPoints = 5;

    /// <summary>
    /// Fits <c>E = a (C + d)^(-b) + c</c> to the points (compute[i], error[i]) by least squares on E, with a, b, c and d
    /// all &gt;= 0. Compute is divided by its smallest value first (so d and the step sizes are of order 1 whether
    /// compute is counted in steps or in FLOPs) and the constants are mapped back. Levenberg-Marquardt starts from a
    /// small grid of slopes b and floors c (with a solved in closed form for each); the best end point wins.
    /// Throws an ArgumentException for fewer than <see cref="MinPoints"/> points, or for a value that is not finite
    /// and positive.
    /// </summary>
    public static PowerLawFit Fit(IReadOnlyList<double> compute, IReadOnlyList<double> error)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(error);
        if (compute.Count != error.Count)
            throw new ArgumentException($"PowerLaw.Fit: {compute.Count} compute values but {error.Count} error values; give one error per compute value", nameof(error));
        if (compute.Count < MinPoints)
            throw new ArgumentException($"PowerLaw.Fit: the law has four constants (a, b, c, d), so it needs at least {MinPoints} points; got {compute.Count}", nameof(compute));
        Positive(compute, "compute", nameof(compute));
        Positive(error, "error", nameof(error));

        double scale = compute.Min();
        var x = Vector<double>.Build.DenseOfEnumerable(compute.Select(c => c / scale));  // (N), >= 1
        var y = Vector<double>.Build.DenseOfEnumerable(error);                          // (N)
        var lower = Vector<double>.Build.Dense(4, 0.0);

        Vector<double>? best = null;
        double bestSse = double.PositiveInfinity;
        foreach (var start in Starts(x, y))
        {
            NonlinearMinimizationResult result;
            try
            {
                var objective = ObjectiveFunction.NonlinearModel(Model, Jacobian, x, y);   // holds its last evaluation: one per start
                result = new LevenbergMarquardtMinimizer(maximumIterations: 2000).FindMinimum(objective, start, lowerBound: lower);
            }
            catch (MaximumIterationsException)
            {
                continue; // a start that wanders off; the others decide
            }
            var p = result.MinimizingPoint;
            double sse = SumOfSquares(p, x, y);
            if (p.All(double.IsFinite) && sse < bestSse)
            {
                bestSse = sse;
                best = p;
            }
        }
        if (best is null)
            throw new InvalidOperationException($"PowerLaw.Fit: Levenberg-Marquardt did not converge from any starting point on {compute.Count} points");

        // Back to the caller's units: (x + d') = (C + d' scale) / scale, so a = a' scale^b and d = d' scale.
        double a = best[0], b = best[1], c = best[2], d = best[3];
        return new PowerLawFit(a * Math.Pow(scale, b), b, c, d * scale, Math.Sqrt(bestSse / compute.Count), compute.Count);
    }

    /// <summary>p = (a, b, c, d): a (x + d)^(-b) + c at every x.</summary>
    private static Vector<double> Model(Vector<double> p, Vector<double> x) =>
        x.Map(xi => p[0] * Math.Pow(xi + p[3], -p[1]) + p[2]);

    /// <summary>The N x 4 derivatives: (x+d)^-b, -a ln(x+d) (x+d)^-b, 1, -a b (x+d)^(-b-1).</summary>
    private static Matrix<double> Jacobian(Vector<double> p, Vector<double> x)
    {
        var J = Matrix<double>.Build.Dense(x.Count, 4);
        double a = p[0], b = p[1], d = p[3];
        for (int i = 0; i < x.Count; i++)
        {
            double u = x[i] + d, f = Math.Pow(u, -b);
            J[i, 0] = f;
            J[i, 1] = -a * Math.Log(u) * f;
            J[i, 2] = 1;
            J[i, 3] = -a * b * f / u;
        }
        return J;
    }

    private static double SumOfSquares(Vector<double> p, Vector<double> x, Vector<double> y) => (Model(p, x) - y).DotProduct(Model(p, x) - y);

    /// <summary>
    /// Starting points inside the bounds (a bound itself is a point the bounded minimizer cannot move away from): slopes
    /// b from 0.1 to 2, floors c from 0 to 90% of the smallest error, d a tenth of the smallest compute, and for each
    /// the a that fits best with the other three held (linear least squares: a = sum((y - c) f) / sum(f^2)).
    /// </summary>
    private static IEnumerable<Vector<double>> Starts(Vector<double> x, Vector<double> y)
    {
        double floor = y.Minimum(), d = 0.1;
        foreach (double b in new[] { 0.1, 0.3, 0.6, 1.0, 2.0 })
            foreach (double c in new[] { 0.01, 0.5, 0.9 }.Select(f => f * floor))
            {
                var f = x.Map(xi => Math.Pow(xi + d, -b));
                double a = Math.Max((y - c).DotProduct(f) / f.DotProduct(f), 1e-6);
                yield return Vector<double>.Build.DenseOfArray([a, b, c, d]);
            }
    }

    private static void Positive(IReadOnlyList<double> values, string what, string name)
    {
        for (int i = 0; i < values.Count; i++)
            if (!(values[i] > 0) || !double.IsFinite(values[i]))
                throw new ArgumentException($"PowerLaw.Fit: every {what} value must be finite and positive (a log-log law), but value {i + 1} is {values[i]}", name);
    }
}
