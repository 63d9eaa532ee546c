// The few-shot linear probe of "Scaling Vision Transformers" (big_vision's few-shot evaluator): n images per class,
// their frozen features, a linear classifier in closed form by ridge regression onto +-1 one-hot targets, and its
// accuracy on every test image of those classes; repeated over seeded draws. MathNet does the linear solve.
using DotGrad.Backends;
using MathNet.Numerics.LinearAlgebra;

namespace DotGrad.Cli.Study;

/// <summary>
/// A linear classifier fitted by ridge regression. Features are centred by the training mean and divided by one scale,
/// the root mean square of the centred training rows' norms, so the average shot has norm 1 and Z^T Z has trace N:
/// the penalty l2 then weighs like l2 average shots whatever the width or the size of the features. W solves
/// <c>(Z^T Z + l2 I) W = Z^T Y</c> with Y the targets, 2 one_hot - 1. The bias is fitted without penalty: centring makes it the targets' mean (big_vision appends
/// a large constant feature to the same end). The predicted class is the argmax of <c>z W + bias</c>.
/// </summary>
internal sealed class RidgeProbe
{
    private readonly Vector<double> _mean;   // (D)
    private readonly double _scale;
    private readonly Matrix<double> _weights; // (D, K)
    private readonly Vector<double> _bias;    // (K)

    private RidgeProbe(Vector<double> mean, double scale, Matrix<double> weights, Vector<double> bias)
    {
        _mean = mean;
        _scale = scale;
        _weights = weights;
        _bias = bias;
    }

    /// <summary>The fitted weights [D, K] on the centred, scaled features.</summary>
    public Matrix<double> Weights => _weights;

    /// <summary>The fitted bias [K].</summary>
    public Vector<double> Bias => _bias;

    /// <summary>
    /// Fits the probe to <paramref name="features"/> [N, D] with <paramref name="classes"/> (N of them, each in
    /// 0 .. <paramref name="classCount"/> - 1) under the penalty <paramref name="l2"/> &gt; 0. The solve is a Cholesky
    /// factorisation of the D x D matrix <c>Z^T Z + l2 I</c>, positive definite for any l2 &gt; 0.
    /// </summary>
    public static RidgeProbe Fit(Matrix<double> features, IReadOnlyList<int> classes, int classCount, double l2)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classes);
        int N = features.RowCount, D = features.ColumnCount;
        if (N == 0 || D == 0) throw new ArgumentException($"RidgeProbe.Fit: expected features [N, D] with N, D > 0, got [{N}, {D}]", nameof(features));
        if (classes.Count != N) throw new ArgumentException($"RidgeProbe.Fit: {N} feature rows but {classes.Count} classes; give one class per row", nameof(classes));
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "RidgeProbe.Fit: a classifier needs at least 2 classes");
        if (!(l2 > 0) || !double.IsFinite(l2)) throw new ArgumentOutOfRangeException(nameof(l2), l2, "RidgeProbe.Fit: the ridge penalty l2 must be finite and > 0");
        foreach (int c in classes)
            if (c < 0 || c >= classCount) throw new ArgumentException($"RidgeProbe.Fit: class {c} is outside 0 .. {classCount - 1}", nameof(classes));

        var mean = features.ColumnSums() / N;                                  // (D)
        var centred = features - Matrix<double>.Build.Dense(N, D, (_, j) => mean[j]);
        double rms = Math.Sqrt(centred.PointwisePower(2).Enumerate().Sum() / N);
        double scale = rms > 0 ? rms : 1;                                      // identical features: nothing to scale
        var Z = centred / scale;                                               // (N, D)
        var Y = Matrix<double>.Build.Dense(N, classCount, (i, k) => classes[i] == k ? 1.0 : -1.0); // (N, K)
        var bias = Y.ColumnSums() / N;                                         // (K)
        var gram = Z.TransposeThisAndMultiply(Z) + Matrix<double>.Build.DenseIdentity(D) * l2; // (D, D)
        var weights = gram.Cholesky().Solve(Z.TransposeThisAndMultiply(Y));    // (D, K); Z^T Y = Z^T (Y - bias), as Z is centred
        return new RidgeProbe(mean, scale, weights, bias);
    }

    /// <summary>The predicted class of every row of <paramref name="features"/> [M, D].</summary>
    public int[] Predict(Matrix<double> features)
    {
        if (features.ColumnCount != _mean.Count)
            throw new ArgumentException($"RidgeProbe.Predict: the probe was fitted on {_mean.Count} features, got rows of {features.ColumnCount}", nameof(features));
        var Z = (features - Matrix<double>.Build.Dense(features.RowCount, _mean.Count, (_, j) => _mean[j])) / _scale;
        var logits = Z * _weights;                                              // (M, K)
        var predicted = new int[features.RowCount];
        for (int i = 0; i < predicted.Length; i++)
        {
            int best = 0;
            for (int k = 1; k < _bias.Count; k++)
                if (logits[i, k] + _bias[k] > logits[i, best] + _bias[best]) best = k;
            predicted[i] = best;
        }
        return predicted;
    }

    /// <summary>The fraction of rows of <paramref name="features"/> whose predicted class is <paramref name="classes"/>'s.</summary>
    public double Accuracy(Matrix<double> features, IReadOnlyList<int> classes)
    {
        var predicted = Predict(features);
        if (classes.Count != predicted.Length) throw new ArgumentException($"RidgeProbe.Accuracy: {predicted.Length} rows but {classes.Count} classes", nameof(classes));
        return predicted.Length == 0 ? double.NaN : predicted.Where((p, i) => p == classes[i]).Count() / (double)predicted.Length;
    }
}

/// <summary>The accuracies of one shot count over the draws, with their mean and range.</summary>
internal sealed record ProbeResult(int Shots, double[] Accuracies)
{
    public double Mean => Accuracies.Average();
    public double Min => Accuracies.Min();
    public double Max => Accuracies.Max();
}

internal static class FewShotProbe
{
    /// <summary>
    /// The default ridge penalty, on features scaled so the average shot has norm 1 (see <see cref="RidgeProbe"/>): it
    /// weighs like one shot, so a direction the shots span with less energy than one average shot is shrunk by more
    /// than half. That keeps the fit stable when the shots are about as many as the features (where an unregularised
    /// least-squares fit is at its worst). Fixed, never tuned on the test images.
    /// </summary>
    public const double DefaultL2 = 1.0;

    /// <summary>How far apart the draws' random streams start (each draw uses one key per training image).</summary>
    private const ulong DrawStride = 1UL << 40;

    /// <summary>
    /// Runs the probe: for each draw r = 0 .. <paramref name="draws"/> - 1, every class's training images are put in a
    /// random order by a <see cref="Generator"/> seeded with <paramref name="seed"/> (its stream offset by r), and for
    /// each n in <paramref name="shots"/> the first n of each class train a <see cref="RidgeProbe"/>, which is scored on
    /// <paramref name="testFeatures"/>. The n-shot images of a draw include its smaller shot counts' images, so a draw's
    /// accuracies over n differ by the extra images only. <paramref name="trainClasses"/> holds each training image's
    /// class (-1 for an image of no probed class); <paramref name="featuresOf"/> gives the features [count, D] of the
    /// training images at the given indices.
    /// </summary>
    public static IReadOnlyList<ProbeResult> Run(IReadOnlyList<int> trainClasses, int classCount, Func<IReadOnlyList<int>, Matrix<double>> featuresOf,
                                                 Matrix<double> testFeatures, IReadOnlyList<int> testClasses, IReadOnlyList<int> shots, int draws, ulong seed, double l2)
    {
        ArgumentNullException.ThrowIfNull(featuresOf);
        if (shots.Count == 0 || shots.Any(n => n < 1)) throw new ArgumentException($"FewShotProbe.Run: shots must be >= 1, got [{string.Join(", ", shots)}]", nameof(shots));
        if (draws < 1) throw new ArgumentOutOfRangeException(nameof(draws), draws, "FewShotProbe.Run: draws must be >= 1");
        var pools = Enumerable.Range(0, classCount).Select(k => Enumerable.Range(0, trainClasses.Count).Where(i => trainClasses[i] == k).ToArray()).ToArray();
        int most = shots.Max();
        for (int k = 0; k < classCount; k++)
            if (pools[k].Length < most)
                throw new ArgumentException($"FewShotProbe.Run: {most} shots per class, but class {k} has {pools[k].Length} training images", nameof(shots));

        var accuracies = shots.Select(_ => new double[draws]).ToArray();
        for (int r = 0; r < draws; r++)
        {
            var generator = new Generator(seed) { Offset = (ulong)r * DrawStride };
            // The first `most` images of each class in a random order: [class 0's, class 1's, ...].
            var chosen = pools.SelectMany(pool => Shuffle(pool, generator).Take(most)).ToArray();
            var features = featuresOf(chosen);                                   // (K most, D)
            for (int s = 0; s < shots.Count; s++)
            {
                int n = shots[s];
                var rows = Enumerable.Range(0, classCount).SelectMany(k => Enumerable.Range(k * most, n)).ToArray();
                var x = Matrix<double>.Build.Dense(rows.Length, features.ColumnCount, (i, j) => features[rows[i], j]); // (K n, D)
                var y = rows.Select(i => i / most).ToArray();
                accuracies[s][r] = RidgeProbe.Fit(x, y, classCount, l2).Accuracy(testFeatures, testClasses);
            }
        }
        return shots.Select((n, s) => new ProbeResult(n, accuracies[s])).ToArray();
    }

    /// <summary><paramref name="items"/> in the order of one uniform random key each (Float64, so ties are as good as impossible).</summary>
    private static IEnumerable<int> Shuffle(int[] items, Generator generator)
    {
        using var keys = Tensor.Rand([items.Length], generator, DType.Float64);
        var k = keys.ToArray<double>();
        return Enumerable.Range(0, items.Length).OrderBy(i => k[i]).Select(i => items[i]).ToArray();
    }
}
