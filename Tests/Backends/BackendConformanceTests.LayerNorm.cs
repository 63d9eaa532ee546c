// Conformance of the fused layer norm primitives (forward and backward) against the Reference backend.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    private static readonly int[][] NormShapes = [[1], [5], [3, 1], [1, 7], [2, 3, 4, 5], [7, 33], [5, 17], [4, 1, 9]];
    private static readonly Layout[] NormInputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter];

    /// <summary>y and the saved statistics: rounding differs (float sums here, double in the reference), the math does not.</summary>
    private static Tol LayerNormTol(DType dtype) => dtype == DType.Float32 ? new Tol(3e-5, 3e-6) : new Tol(1e-12, 1e-13);

    /// <summary>The backward sums over rows for dweight and dbias, in float on the backends: a looser absolute tolerance.</summary>
    private static Tol LayerNormBackwardTol(DType dtype) => dtype == DType.Float32 ? new Tol(1e-4, 1e-4) : new Tol(1e-11, 1e-11);

    /// <summary>The four ways to take the elementwise affine: none, weight only, bias only, both.</summary>
    private static readonly (bool W, bool B)[] Affines = [(false, false), (true, false), (false, true), (true, true)];

    /// <summary>
    /// Runs LayerNorm on operands [x, y, mean, rstd, weight?, bias?] on the backend and the reference and compares y,
    /// mean and rstd (and that x, weight and bias are untouched). Returns the backend's y, mean and rstd storages.
    /// </summary>
    private double[][] CheckLayerNorm(HostTensor x, HostTensor? w, HostTensor? b, string what, Layout yLayout = Layout.Contiguous,
                                      Layout statLayout = Layout.Contiguous, double eps = 1e-5, Tol? tol = null)
    {
        var dtype = x.DType;
        var rows = x.Shape[..^1];
        var operands = new List<HostTensor> { x, Output(dtype, x.Shape, yLayout), Output(dtype, rows, statLayout), Output(dtype, rows, statLayout) };
        int wi = w is null ? -1 : operands.Count;
        if (w is not null) operands.Add(w);
        int bi = b is null ? -1 : operands.Count;
        if (b is not null) operands.Add(b);
        string label = $"layer_norm {what}: x {x}, weight {w?.ToString() ?? "none"}, bias {b?.ToString() ?? "none"}, eps {eps}";
        Action<IBackend, Strided[]> op = (be, v) => CompositeKernels.For(be).LayerNorm(v[0], wi < 0 ? null : v[wi], bi < 0 ? null : v[bi], v[1], v[2], v[3], eps);
        Conformance.Check(backend, label, tol ?? LayerNormTol(dtype), operands.ToArray(), op, 1, 2, 3);
        return Conformance.Apply(backend, operands.ToArray(), op, out _)[1..4];
    }

    private static HostTensor Vector(DType dtype, int C, Layout layout, Random rng, double lo, double hi) =>
        HostTensor.Make(dtype, [C], layout, Uniform(rng, lo, hi, dtype));

    [Test]
    public void LayerNorm_MatchesReference_OnShapesLayoutsAndEveryAffineChoice()
    {
        var rng = new Random(81);
        foreach (var dtype in FloatTypes)
            foreach (var shape in NormShapes)
                foreach (var layout in NormInputLayouts)
                    foreach (var (hasW, hasB) in Affines)
                    {
                        int C = shape[^1];
                        var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -3, 3, dtype));
                        // Strided and stride-0 weights as well as contiguous ones; outputs strided when the input is.
                        var w = hasW ? Vector(dtype, C, layout == Layout.Contiguous ? Layout.Contiguous : Layout.Sliced, rng, 0.5, 1.5) : null;
                        var b = hasB ? Vector(dtype, C, layout == Layout.BroadcastOuter ? Layout.Scalar : Layout.Contiguous, rng, -1, 1) : null;
                        var yLayout = layout switch { Layout.Transposed => Layout.Sliced, Layout.Sliced => Layout.Transposed, _ => Layout.Contiguous };
                        CheckLayerNorm(x, w, b, layout.ToString(), yLayout, layout == Layout.Contiguous ? Layout.Contiguous : Layout.Sliced);
                    }
    }

    [Test]
    public void LayerNorm_WithNoRowsOrEmptyRows_MatchesReference()
    {
        // No rows: nothing is written. Rows of length 0: y is empty, and mean and rstd are NaN (0 / 0) as in the reference.
        var rng = new Random(82);
        foreach (var dtype in FloatTypes)
            foreach (var shape in new[] { new[] { 0, 5 }, [0], [4, 0], [0, 0], [2, 0, 3], [3, 2, 0] })
            {
                var x = HostTensor.Make(dtype, shape, Layout.Contiguous, Uniform(rng, -1, 1, dtype));
                var stats = CheckLayerNorm(x, Vector(dtype, shape[^1], Layout.Contiguous, rng, 0.5, 1.5), null, "empty");
                if (shape[^1] == 0 && !shape[..^1].Contains(0))
                    Assert.That(stats[1].Concat(stats[2]).All(double.IsNaN), Is.True, $"{ShapeMath.Format(shape)}: rows of length 0 have NaN mean and rstd");
            }
    }

    [Test]
    public void LayerNorm_OfConstantRows_GivesExactlyTheBiasTheValueAndRstdOfEps()
    {
        // A constant row has mean exactly its value and variance exactly 0, so y = 0 * rstd * w + b = b, bit for bit.
        double[] values = [0.1, -7.3, 1000.3, 1e-3, 0, 3e5];
        var rng = new Random(83);
        foreach (var dtype in FloatTypes)
            foreach (var (rows, C, layout) in new[] { (5, 768, Layout.Contiguous), (3, 37, Layout.Contiguous), (6, 5, Layout.Transposed), (64, 3, Layout.Contiguous) })
            {
                // Element (r, c) sits at r * C + c (contiguous) or c * rows + r (transposed); row r holds one value.
                var storage = new double[rows * C];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < C; c++)
                        storage[layout == Layout.Contiguous ? r * C + c : c * rows + r] = values[r % values.Length];
                int[] shape = [rows, C], strides = layout == Layout.Contiguous ? [C, 1] : [1, rows];
                var x = HostTensor.FromStorage(dtype, storage, shape, strides, 0);
                var w = Vector(dtype, C, Layout.Contiguous, rng, 0.5, 1.5);
                var b = Vector(dtype, C, Layout.Contiguous, rng, -1, 1);
                var outputs = CheckLayerNorm(x, w, b, "constant rows");
                double Rounded(double v) => dtype == DType.Float32 ? (float)v : v;
                for (int r = 0; r < rows; r++)
                {
                    string at = $"{dtype} {ShapeMath.Format(shape)} {layout} row {r}";
                    Assert.That(outputs[1][r], Is.EqualTo(Rounded(values[r % values.Length])), $"{at}: the mean of a constant row is its value");
                    Assert.That(outputs[2][r], Is.EqualTo(1 / Math.Sqrt(1e-5)).Within(1e-4), $"{at}: rstd = 1 / sqrt(0 + eps)");
                    for (int c = 0; c < C; c++)
                        Assert.That(outputs[0][r * C + c], Is.EqualTo(Rounded(b.Storage[c])), $"{at}, column {c}: y = bias");
                }
                // eps = 0: rstd = 1 / 0 = inf and y = 0 * inf = NaN, as in the reference.
                CheckLayerNorm(x, w, b, "constant rows, eps 0", eps: 0);
            }
    }

    [Test]
    public void LayerNorm_KeepsFloat32Precision_WhenTheMeanIsFarLargerThanTheSpread()
    {
        // Rows of 1000 +- 0.05 in Float32: the mean itself rounds by 3e-5 (half an ulp of 1000), which would be a 1e-3
        // error in y relative to the spread; deviations taken from the row's first element avoid it.
        var rng = new Random(84);
        foreach (int C in new[] { 768, 33, 8 })
        {
            var x = HostTensor.Make(DType.Float32, [16, C], Layout.Contiguous, () => 1000 + (rng.NextDouble() - 0.5) * 0.1);
            CheckLayerNorm(x, null, null, "mean 1000, spread 0.1");
            var xt = HostTensor.Make(DType.Float32, [16, C], Layout.Transposed, () => -5e4 + (rng.NextDouble() - 0.5) * 4);
            CheckLayerNorm(xt, null, null, "mean -5e4, spread 4, transposed");
        }
    }

    [Test]
    public void LayerNorm_MatchesReference_OnLongRowsAndManyRowsThatRunInParallel()
    {
        var rng = new Random(85);
        foreach (var dtype in FloatTypes)
            foreach (var (shape, layout) in new[] { (new[] { 3, 3000 }, Layout.Contiguous), ([3, 3000], Layout.Transposed), ([600, 64], Layout.Contiguous),
                                                   ([256, 768], Layout.Contiguous), ([2000, 3], Layout.Contiguous), ([40, 2, 50], Layout.Sliced) })
            {
                int C = shape[^1];
                var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -4, 4, dtype));
                CheckLayerNorm(x, Vector(dtype, C, Layout.Contiguous, rng, 0.5, 1.5), Vector(dtype, C, Layout.Sliced, rng, -1, 1), "large");
            }
    }

    [Test]
    public void LayerNorm_InPlace_MatchesReference()
    {
        var rng = new Random(86);
        foreach (var dtype in FloatTypes)
            foreach (var shape in new[] { new[] { 7, 500 }, [9, 5] })
            {
                int C = shape[^1];
                var x = HostTensor.Make(dtype, shape, Layout.Contiguous, Uniform(rng, -3, 3, dtype));
                var w = Vector(dtype, C, Layout.Contiguous, rng, 0.5, 1.5);
                var operands = new[] { x, Output(dtype, shape[..^1]), Output(dtype, shape[..^1]), w };
                Conformance.Check(backend, $"layer_norm in place {x}", LayerNormTol(dtype), operands,
                    (be, v) => CompositeKernels.For(be).LayerNorm(v[0], v[3], null, v[0], v[1], v[2], 1e-5), 0, 1, 2);
            }
    }

    // ---------------------------------------------------------------- backward

    /// <summary>Which gradients to ask for: all, dx only, the parameters only, dbias only.</summary>
    private static readonly (bool Dx, bool Dw, bool Db)[] GradientChoices = [(true, true, true), (true, false, false), (false, true, true), (false, false, true)];

    /// <summary>
    /// Runs LayerNormBackward on [dy, x, mean, rstd, weight?, dx?, dweight?, dbias?] on the backend and the reference;
    /// mean and rstd are any plausible values (the formula holds for any), dx is laid out like <paramref name="dxLayout"/>.
    /// </summary>
    private void CheckLayerNormBackward(DType dtype, int[] shape, Layout dyLayout, Layout xLayout, Layout? weightLayout, (bool Dx, bool Dw, bool Db) want,
                                        Random rng, string what, Layout dxLayout = Layout.Contiguous)
    {
        int C = shape[^1];
        var rows = shape[..^1];
        var operands = new List<HostTensor>
        {
            HostTensor.Make(dtype, shape, dyLayout, Uniform(rng, -1, 1, dtype)),
            HostTensor.Make(dtype, shape, xLayout, Uniform(rng, -2, 2, dtype)),
            HostTensor.Make(dtype, rows, xLayout == Layout.Contiguous ? Layout.Contiguous : Layout.Sliced, Uniform(rng, -0.5, 0.5, dtype)),
            HostTensor.Make(dtype, rows, Layout.Contiguous, Uniform(rng, 0.5, 2, dtype)),
        };
        int Add(HostTensor t)
        {
            operands.Add(t);
            return operands.Count - 1;
        }
        int wi = weightLayout is { } wl ? Add(Vector(dtype, C, wl, rng, 0.5, 1.5)) : -1;
        int dxi = want.Dx ? Add(Output(dtype, shape, dxLayout)) : -1;
        int dwi = want.Dw ? Add(Output(dtype, [C], dxLayout == Layout.Contiguous ? Layout.Contiguous : Layout.Sliced)) : -1;
        int dbi = want.Db ? Add(Output(dtype, [C])) : -1;
        int[] outputs = new[] { dxi, dwi, dbi }.Where(i => i >= 0).ToArray();
        Strided? Pick(Strided[] v, int i) => i < 0 ? null : v[i];
        Conformance.Check(backend, $"layer_norm_backward {what}: {dtype}{ShapeMath.Format(shape)} dy {dyLayout}, x {xLayout}, weight {weightLayout?.ToString() ?? "none"}, wants {want}",
            LayerNormBackwardTol(dtype), operands.ToArray(),
            (be, v) => CompositeKernels.For(be).LayerNormBackward(v[0], v[1], Pick(v, wi), v[2], v[3], Pick(v, dxi), Pick(v, dwi), Pick(v, dbi)), outputs);
    }

    [Test]
    public void LayerNormBackward_MatchesReference_OnShapesLayoutsAndEveryChoiceOfGradients()
    {
        var rng = new Random(91);
        Layout?[] weights = [null, Layout.Contiguous, Layout.Sliced];
        foreach (var dtype in FloatTypes)
            foreach (var shape in NormShapes.Concat([[0, 5], [4, 0], [0]]))
                foreach (var layout in NormInputLayouts)
                    foreach (var want in GradientChoices)
                        foreach (var wl in weights)
                            CheckLayerNormBackward(dtype, shape, layout, layout == Layout.BroadcastOuter ? Layout.Contiguous : layout, wl, want, rng, "shapes",
                                layout == Layout.Sliced ? Layout.Transposed : layout == Layout.Transposed ? Layout.Sliced : Layout.Contiguous);
    }

    [Test]
    public void LayerNormBackward_MatchesReference_OnLargeInputsThatRunInParallelOrInSlices()
    {
        // [600, 64] and [4096, 16] run on several cores and in several slices of rows on a device; [3, 3000] needs
        // pooled scratch; [256, 768] is a transformer's activations.
        var rng = new Random(92);
        foreach (var dtype in FloatTypes)
            foreach (var (shape, layout) in new[] { (new[] { 600, 64 }, Layout.Contiguous), ([4096, 16], Layout.Contiguous), ([3, 3000], Layout.Transposed),
                                                   ([256, 768], Layout.Contiguous), ([2000, 3], Layout.Contiguous), ([40, 2, 50], Layout.Sliced) })
                foreach (var want in GradientChoices)
                    CheckLayerNormBackward(dtype, shape, layout, layout, Layout.Contiguous, want, rng, "large");
    }
}
