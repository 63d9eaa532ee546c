// The few-shot ridge probe: a hand-solved fit, chance accuracy on features that carry no label, near-perfect accuracy on
// separable ones, repeatable seeded draws whose smaller shot counts are subsets of the larger, and bad arguments.
using DotGrad.Cli.Study;
using MathNet.Numerics.LinearAlgebra;

namespace DotGrad.Tests.Cli;

public class FewShotProbeTests
{
    /// <summary>
    /// x = -1 (class 0) and x = +1 (class 1): centred already, scale 1, Z^T Z = 2, Z^T Y = [-2, 2], so with l2 = 1
    /// W = [-2/3, 2/3] and the bias is the targets' mean, [0, 0].
    /// </summary>
    [Test]
    public void Fit_OnTwoPoints_IsTheHandSolvedRidge()
    {
        var probe = RidgeProbe.Fit(Matrix<double>.Build.DenseOfArray(new double[,] { { -1 }, { 1 } }), [0, 1], 2, l2: 1);
        Assert.That(probe.Weights.ToArray(), Is.EqualTo(new double[,] { { -2.0 / 3, 2.0 / 3 } }).Within(1e-12));
        Assert.That(probe.Bias.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }).Within(1e-12));
        Assert.That(probe.Predict(Matrix<double>.Build.DenseOfArray(new double[,] { { -0.2 }, { 0.3 }, { 5 } })), Is.EqualTo(new[] { 0, 1, 1 }));
    }

    /// <summary>Scaling or shifting every feature changes nothing: the probe centres and scales them itself.</summary>
    [Test]
    public void Fit_IsInvariantToTheFeaturesScaleAndOffset()
    {
        var (x, y) = Gaussian(classes: 3, perClass: 4, dim: 6, separation: 1, seed: 5);
        var test = Gaussian(classes: 3, perClass: 20, dim: 6, separation: 1, seed: 6);
        var plain = RidgeProbe.Fit(x, y, 3, 1).Predict(test.X);
        var moved = RidgeProbe.Fit(x * 1000 + 7, y, 3, 1).Predict(test.X * 1000 + 7);
        Assert.That(moved, Is.EqualTo(plain));
    }

    [Test]
    public void RandomFeatures_ScoreChance_OverManyDraws()
    {
        // Features independent of the class: 5 classes, so 20% expected; 30 draws of 10 shots on 1,000 test images.
        const int K = 5;
        var random = new Random(11);
        var trainClasses = Enumerable.Range(0, 500).Select(i => i % K).ToArray();
        var table = Matrix<double>.Build.Dense(500, 16, (_, _) => Normal(random));
        var testX = Matrix<double>.Build.Dense(1000, 16, (_, _) => Normal(random));
        var testY = Enumerable.Range(0, 1000).Select(i => i % K).ToArray();
        var results = FewShotProbe.Run(trainClasses, K, Rows(table), testX, testY, [1, 10], draws: 30, seed: 3, l2: 1);
        foreach (var r in results)
        {
            TestContext.Out.WriteLine($"{r.Shots} shots: mean {r.Mean:F3}, min {r.Min:F3}, max {r.Max:F3}");
            Assert.That(r.Mean, Is.EqualTo(0.2).Within(0.03), $"{r.Shots} shots on features that carry no label");
            Assert.That(r.Min, Is.LessThan(r.Max), "the draws differ");
        }
    }

    [Test]
    public void SeparableFeatures_ScoreNearlyPerfectly_FromOneShot()
    {
        const int K = 5;
        var (train, trainY) = Gaussian(K, perClass: 40, dim: 12, separation: 6, seed: 1);
        var (test, testY) = Gaussian(K, perClass: 200, dim: 12, separation: 6, seed: 2);
        var results = FewShotProbe.Run(trainY, K, Rows(train), test, testY, [1, 5], draws: 5, seed: 1, l2: 1);
        Assert.That(results.Select(r => r.Shots), Is.EqualTo(new[] { 1, 5 }));
        foreach (var r in results)
        {
            Assert.That(r.Accuracies, Has.Length.EqualTo(5));
            Assert.That(r.Min, Is.GreaterThan(0.98), $"{r.Shots} shots of well-separated classes");
        }
    }

    [Test]
    public void Draws_AreRepeatable_AndEachShotCountsImagesIncludeTheSmallerOnes()
    {
        const int K = 3;
        var (train, trainY) = Gaussian(K, perClass: 30, dim: 4, separation: 1, seed: 8);
        var (test, testY) = Gaussian(K, perClass: 30, dim: 4, separation: 1, seed: 9);
        var asked = new List<int[]>();
        var rows = Rows(train);
        Matrix<double> Recording(IReadOnlyList<int> indices)
        {
            asked.Add(indices.ToArray());
            return rows(indices);
        }

        var first = FewShotProbe.Run(trainY, K, Recording, test, testY, [2, 6], draws: 4, seed: 21, l2: 1);
        var again = FewShotProbe.Run(trainY, K, rows, test, testY, [2, 6], draws: 4, seed: 21, l2: 1);
        var other = FewShotProbe.Run(trainY, K, rows, test, testY, [2, 6], draws: 4, seed: 22, l2: 1);
        Assert.That(again.Select(r => r.Accuracies), Is.EqualTo(first.Select(r => r.Accuracies)), "the same seed draws the same images");
        Assert.That(other.SelectMany(r => r.Accuracies), Is.Not.EqualTo(first.SelectMany(r => r.Accuracies)), "another seed draws others");

        Assert.That(asked, Has.Count.EqualTo(4), "one feature computation per draw, for its largest shot count");
        foreach (var indices in asked)
        {
            Assert.That(indices, Has.Length.EqualTo(K * 6));
            Assert.That(indices, Is.Unique, "drawn without replacement");
            for (int k = 0; k < K; k++)
                Assert.That(indices.Skip(k * 6).Take(6).Select(i => trainY[i]), Is.All.EqualTo(k), "class k's images in block k");
        }
        Assert.That(asked.Select(a => a[0]).Distinct().Count(), Is.GreaterThan(1), "the draws pick different images");
    }

    [Test]
    public void BadArguments_SayWhatWasExpected()
    {
        var x = Matrix<double>.Build.Dense(2, 3, 1.0);
        Assert.That(() => RidgeProbe.Fit(x, [0, 2], 2, 1), Throws.ArgumentException.With.Message.Contains("class 2 is outside 0 .. 1"));
        Assert.That(() => RidgeProbe.Fit(x, [0, 1], 2, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("l2 must be finite and > 0"));
        Assert.That(() => RidgeProbe.Fit(x, [0], 2, 1), Throws.ArgumentException.With.Message.Contains("2 feature rows but 1 classes"));
        Assert.That(() => RidgeProbe.Fit(x, [0, 1], 2, 1).Predict(Matrix<double>.Build.Dense(1, 4)),
                    Throws.ArgumentException.With.Message.Contains("fitted on 3 features, got rows of 4"));
        var (train, trainY) = Gaussian(2, perClass: 3, dim: 2, separation: 1, seed: 1);
        Assert.That(() => FewShotProbe.Run(trainY, 2, Rows(train), train, trainY, [5], 1, 1, 1),
                    Throws.ArgumentException.With.Message.Contains("5 shots per class, but class 0 has 3 training images"));
    }

    /// <summary>Class k's points: N(mean_k, I) with the means <paramref name="separation"/> apart along axis k.</summary>
    private static (Matrix<double> X, int[] Y) Gaussian(int classes, int perClass, int dim, double separation, int seed)
    {
        var random = new Random(seed);
        var y = Enumerable.Range(0, classes * perClass).Select(i => i % classes).ToArray();
        var x = Matrix<double>.Build.Dense(y.Length, dim, (i, j) => (j == y[i] % dim ? separation : 0) + Normal(random));
        return (x, y);
    }

    private static Func<IReadOnlyList<int>, Matrix<double>> Rows(Matrix<double> table) =>
        indices => Matrix<double>.Build.Dense(indices.Count, table.ColumnCount, (i, j) => table[indices[i], j]);

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
