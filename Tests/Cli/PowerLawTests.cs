// The double-saturating power law fit E = a (C + d)^(-b) + c: it recovers known constants from exact points (in small
// units and in FLOPs) and from noisy ones, and refuses too few points and values a log-log law cannot take.
using DotGrad.Cli.Study;

namespace DotGrad.Tests.Cli;

public class PowerLawTests
{
    /// <summary><paramref name="count"/> compute values evenly spaced on a log axis from <paramref name="from"/> to <paramref name="to"/>.</summary>
    internal static double[] LogSpaced(double from, double to, int count) =>
        Enumerable.Range(0, count).Select(i => from * Math.Pow(to / from, i / (count - 1.0))).ToArray();

    internal static double Law(double a, double b, double c, double d, double compute) => a * Math.Pow(compute + d, -b) + c;

    [Test]
    public void ExactPoints_GiveBackTheirConstants()
    {
        var xs = LogSpaced(1, 1e4, 12);
        var ys = xs.Select(x => Law(2, 0.5, 0.05, 3, x)).ToArray();
        var fit = PowerLaw.Fit(xs, ys);
        Assert.Multiple(() =>
        {
            Assert.That(fit.A, Is.EqualTo(2).Within(0.1).Percent);
            Assert.That(fit.B, Is.EqualTo(0.5).Within(0.1).Percent);
            Assert.That(fit.C, Is.EqualTo(0.05).Within(0.1).Percent);
            Assert.That(fit.D, Is.EqualTo(3).Within(0.1).Percent);
            Assert.That(fit.ResidualRms, Is.LessThan(1e-6));
            Assert.That(fit.Points, Is.EqualTo(12));
        });
    }

    /// <summary>Compute in FLOPs (1e15 to 1e20): the fit works in units of the smallest compute and maps a and d back.</summary>
    [Test]
    public void ExactPoints_InFlops_GiveBackTheirConstants()
    {
        var xs = LogSpaced(1e15, 1e20, 10);
        const double a = 4e3, b = 0.25, c = 0.08, d = 2e15;
        var ys = xs.Select(x => Law(a, b, c, d, x)).ToArray();
        var fit = PowerLaw.Fit(xs, ys);
        Assert.Multiple(() =>
        {
            Assert.That(fit.B, Is.EqualTo(b).Within(0.5).Percent);
            Assert.That(fit.C, Is.EqualTo(c).Within(0.5).Percent);
            Assert.That(fit.D, Is.EqualTo(d).Within(2).Percent);
            Assert.That(fit.A, Is.EqualTo(a).Within(5).Percent);
            Assert.That(fit.ResidualRms, Is.LessThan(1e-6));
            foreach (var x in xs) Assert.That(fit.Predict(x), Is.EqualTo(Law(a, b, c, d, x)).Within(1e-4).Percent);
        });
    }

    /// <summary>1% multiplicative noise (seeded): the slope, floor and curve stay close, and the residual is the noise's size.</summary>
    [Test]
    public void NoisyPoints_GiveConstantsNearTheTruth()
    {
        var random = new Random(42);
        var xs = LogSpaced(1, 1e5, 20);
        var truth = xs.Select(x => Law(1.5, 0.4, 0.1, 2, x)).ToArray();
        var ys = truth.Select(y => y * (1 + 0.01 * (2 * random.NextDouble() - 1))).ToArray();
        var fit = PowerLaw.Fit(xs, ys);
        TestContext.Out.WriteLine($"noisy fit: a {fit.A}, b {fit.B}, c {fit.C}, d {fit.D}, rms {fit.ResidualRms}");
        Assert.Multiple(() =>
        {
            Assert.That(fit.B, Is.EqualTo(0.4).Within(10).Percent);
            Assert.That(fit.C, Is.EqualTo(0.1).Within(0.01));
            Assert.That(fit.A, Is.EqualTo(1.5).Within(15).Percent);
            Assert.That(fit.D, Is.InRange(0.0, 6.0));
            Assert.That(fit.ResidualRms, Is.GreaterThan(0).And.LessThan(0.01 * truth.Max()));
            for (int i = 0; i < xs.Length; i++) Assert.That(fit.Predict(xs[i]), Is.EqualTo(truth[i]).Within(2).Percent, $"point {i}");
        });
    }

    /// <summary>Points on a plain power law (no floor, no bend) keep c and d at their bound 0 instead of going negative.</summary>
    [Test]
    public void APlainPowerLaw_KeepsTheFloorAndShiftAtTheirBounds()
    {
        var xs = LogSpaced(10, 1e6, 12);
        var fit = PowerLaw.Fit(xs, xs.Select(x => 3 * Math.Pow(x, -0.3)).ToArray());
        Assert.That(fit.B, Is.EqualTo(0.3).Within(1).Percent);
        Assert.That(fit.C, Is.GreaterThanOrEqualTo(0).And.LessThan(1e-3));
        Assert.That(fit.D, Is.GreaterThanOrEqualTo(0).And.LessThan(1));
    }

    [Test]
    public void TooFewPoints_AreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => PowerLaw.Fit([1, 10, 100, 1000], [0.5, 0.3, 0.2, 0.15]));
        Assert.That(e!.Message, Does.Contain("at least 5 points").And.Contain("got 4"));
    }

    [TestCase(0.0, 0.3, "compute", "value 3 is 0")]
    [TestCase(-5.0, 0.3, "compute", "value 3 is -5")]
    [TestCase(100.0, 0.0, "error", "value 3 is 0")]
    [TestCase(100.0, double.NaN, "error", "value 3 is NaN")]
    public void NonPositiveOrNonFiniteValues_AreRefused(double compute, double error, string what, string where)
    {
        double[] xs = [1, 10, compute, 1000, 1e4], ys = [0.5, 0.3, error, 0.15, 0.12];
        var e = Assert.Throws<ArgumentException>(() => PowerLaw.Fit(xs, ys));
        Assert.That(e!.Message, Does.Contain($"every {what} value must be finite and positive").And.Contain(where));
    }

    [Test]
    public void MismatchedLengths_AreRefused() =>
        Assert.That(() => PowerLaw.Fit([1, 2, 3, 4, 5], [1, 2, 3, 4]), Throws.ArgumentException.With.Message.Contains("5 compute values but 4 error values"));
}
