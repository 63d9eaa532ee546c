// Conformance of compare, where, fill, casts, reductions, arg-reductions and softmax against the Reference backend.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public sealed partial class BackendConformanceTests
{
    // ---------------------------------------------------------------- compare, where, fill

    [TestCaseSource(nameof(CompareCases))]
    public void Compare_MatchesReference_WithTiesNaNAndStridedViews(CompareCase op, DType dtype)
    {
        var rng = new Random(31);
        // Values from a small set so that equality is common; floats get NaN and infinities too.
        double[] pool = dtype switch
        {
            DType.Bool => [0, 1],
            DType.Int32 => [-2, -1, 0, 1, 2, int.MinValue, int.MaxValue],
            DType.Int64 => [-2, -1, 0, 1, 2, int.MinValue, int.MaxValue, -9223372036854775808.0, 1L << 40, 1L << 62],
            _ => [-1.5, 0, -0.0, 1, 2.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity],
        };
        Func<double> value = () => pool[rng.Next(pool.Length)];
        for (int n = 0; n <= 70; n += 7)
            Conformance.Check(backend, $"{op.Name} length {n}", Tol.Exact,
                [HostTensor.Make(dtype, [n], Layout.Contiguous, value), HostTensor.Make(dtype, [n], Layout.Contiguous, value), Output(DType.Bool, [n])],
                (b, v) => op.Run(b, v[0], v[1], v[2]), 2);
        foreach (var shape in OddShapes)
            foreach (var la in InputLayouts)
                Conformance.Check(backend, $"{op.Name} {ShapeMath.Format(shape)} {la}", Tol.Exact,
                    [HostTensor.Make(dtype, shape, la, value), HostTensor.Make(dtype, shape, Layout.Sliced, value), Output(DType.Bool, shape, Layout.Transposed)],
                    (b, v) => op.Run(b, v[0], v[1], v[2]), 2);
    }

    [Test]
    public void Where_MatchesReference_ForEveryDTypeAndBroadcastCondition()
    {
        var rng = new Random(32);
        foreach (var dtype in AllTypes)
            foreach (var shape in OddShapes.Append([100]))
                foreach (var lc in InputLayouts)
                {
                    var cond = HostTensor.Make(DType.Bool, shape, lc, () => rng.Next(2));
                    var a = HostTensor.Make(dtype, shape, Layout.Contiguous, Uniform(rng, -50, 50, DType.Int32));
                    var b = HostTensor.Make(dtype, shape, lc == Layout.Scalar ? Layout.Scalar : Layout.Transposed, Uniform(rng, -50, 50, DType.Int32));
                    Conformance.Check(backend, $"where {dtype} {ShapeMath.Format(shape)} cond {lc}", Tol.Exact, [cond, a, b, Output(dtype, shape, Layout.Sliced)],
                        (be, v) => be.Where(v[0], v[1], v[2], v[3]), 3);
                }
    }

    [Test]
    public void Fill_MatchesReference_ForEveryDTypeAndValueIncludingNaNAndOutOfRange()
    {
        double[] values = [0, 1, -2.5, 3.7, -3.7, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e10, -1e10, 65519.9, 1.00390625];
        foreach (var dtype in AllTypes)
            foreach (var value in values)
            {
                foreach (int n in new[] { 0, 1, 15, 16, 17, 64 })
                    Conformance.Check(backend, $"fill {dtype} {value} length {n}", Tol.Exact, [Output(dtype, [n])], (b, v) => b.Fill(v[0], value), 0);
                foreach (var layout in OutputLayouts)
                    Conformance.Check(backend, $"fill {dtype} {value} {layout}", Tol.Exact, [Output(dtype, [3, 1, 5], layout)], (b, v) => b.Fill(v[0], value), 0);
            }
    }

    // ---------------------------------------------------------------- copy / cast

    /// <summary>Values that exercise every conversion: ties for float32, bfloat16 and float16 rounding, saturation, wrapping, NaN.</summary>
    private static double[] CastValues(DType source, Random rng)
    {
        var list = new List<double>
        {
            0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.99, -3.99, 255, 256.5, 65504, 65520, -65520, 1e-8, 6e-5,
            16777217, 2147483647, -2147483648, 2147483648.0, 3e9, -3e9, 3e38, -3e38, 1e300, -1e300,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity,
            1.00390625, 1.01171875, 1.0078125 + 1.0 / 1024, // bfloat16 ties (even and odd) and a near-tie
            0.1, 1.0 / 3, Math.PI, -Math.E,
            // Int64: beyond Int32 (2^40 + 5 keeps 5 when wrapped to Int32, -2^32 - 1 keeps -1), 2^62, and past 2^63 (saturates).
            1099511627781, -4294967297, 4611686018427387904.0, -9223372036854775808.0, 9.5e18, -9.5e18,
        };
        for (int i = 0; i < 60; i++) list.Add((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-6, 7)));
        if (source == DType.Bool) return list.Select(v => v != 0 && !double.IsNaN(v) ? 1.0 : 0.0).ToArray();
        return [.. list];
    }

    [TestCaseSource(nameof(CopyCases))]
    public void Copy_MatchesReferenceExactly_BetweenEveryPairOfDTypes(DType source, DType destination)
    {
        var rng = new Random(41);
        var values = CastValues(source, rng);
        int n = values.Length;
        Conformance.Check(backend, $"copy {source}->{destination}", Tol.Exact, [HostTensor.FromValues(source, values), Output(destination, [n])], (b, v) => b.Copy(v[0], v[1]), 1);
        for (int len = 0; len <= 40; len++)
        {
            var x = HostTensor.Make(source, [len], Layout.Contiguous, () => values[rng.Next(n)]);
            Conformance.Check(backend, $"copy {source}->{destination} length {len}", Tol.Exact, [x, Output(destination, [len])], (b, v) => b.Copy(v[0], v[1]), 1);
        }
        foreach (var shape in OddShapes)
            foreach (var inLayout in InputLayouts)
                foreach (var outLayout in OutputLayouts)
                {
                    var x = HostTensor.Make(source, shape, inLayout, () => values[rng.Next(n)]);
                    Conformance.Check(backend, $"copy {source}->{destination} {ShapeMath.Format(shape)} {inLayout} -> {outLayout}", Tol.Exact,
                        [x, Output(destination, shape, outLayout)], (b, v) => b.Copy(v[0], v[1]), 1);
                }
    }

    // ---------------------------------------------------------------- reduce

    private static IEnumerable<int[]> AxisSubsets(int rank) =>
        Enumerable.Range(1, (1 << rank) - 1).Select(mask => Enumerable.Range(0, rank).Where(d => (mask >> d & 1) != 0).ToArray());

    private void CheckReduce(ReduceCase op, DType dtype, HostTensor x, int[] axes, Layout outLayout, string what)
    {
        var yShape = x.Shape.Select((n, d) => axes.Contains(d) ? 1 : n).ToArray();
        int reduced = axes.Aggregate(1, (p, d) => p * x.Shape[d]);
        // Float32 sums accumulate in float (the reference in double): allow rounding that grows with the length.
        var tol = dtype switch
        {
            DType.Float32 => new Tol(2e-5, 1e-6 * Math.Max(1, reduced)),
            DType.Float64 => new Tol(1e-12, 1e-13 * Math.Max(1, reduced)),
            _ => Tol.Exact,
        };
        Conformance.Check(backend, $"{op.Name} {what} axes [{string.Join(",", axes)}]", tol, [x, Output(dtype, yShape, outLayout)], (b, v) => op.Run(b, v[0], v[1], axes), 1);
    }

    [TestCaseSource(nameof(ReduceCases))]
    public void Reduce_MatchesReference_OverEverySubsetOfAxesAndLayouts(ReduceCase op, DType dtype)
    {
        var rng = new Random(51);
        int[] shape = [2, 3, 4, 5];
        foreach (var axes in AxisSubsets(shape.Length))
            foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter })
            {
                var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -100, 100, dtype));
                CheckReduce(op, dtype, x, axes, layout == Layout.Transposed ? Layout.Transposed : Layout.Contiguous, $"[2,3,4,5] {layout}");
            }
    }

    [TestCaseSource(nameof(ReduceCases))]
    public void Reduce_MatchesReference_OnOddSizeOneAndEmptyShapes(ReduceCase op, DType dtype)
    {
        var rng = new Random(52);
        int[][] shapes = [[1], [7, 1], [1, 7], [3, 1, 5], [33], [257], [0], [0, 5], [4, 0], [5, 17], [2, 1, 1, 9]];
        foreach (var shape in shapes)
            foreach (var axes in AxisSubsets(shape.Length))
                foreach (var layout in new[] { Layout.Contiguous, Layout.Sliced })
                    CheckReduce(op, dtype, HostTensor.Make(dtype, shape, layout, Uniform(rng, -100, 100, dtype)), axes, Layout.Contiguous, $"{ShapeMath.Format(shape)} {layout}");
    }

    [TestCaseSource(nameof(ReduceCases))]
    public void Reduce_MatchesReference_OnLargeInputsThatRunInParallel(ReduceCase op, DType dtype)
    {
        var rng = new Random(53);
        // Float values in [-1, 1] keep the float32 rounding of long sums small against the tolerance.
        double range = dtype.IsInteger() ? 100 : 1;
        var x = HostTensor.Make(dtype, [300, 257], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        foreach (var axes in new[] { new[] { 0 }, [1], [0, 1] }) CheckReduce(op, dtype, x, axes, Layout.Contiguous, "[300,257]");
        var t = HostTensor.Make(dtype, [300, 257], Layout.Transposed, Uniform(rng, -range, range, dtype));
        foreach (var axes in new[] { new[] { 0 }, [1] }) CheckReduce(op, dtype, t, axes, Layout.Contiguous, "[300,257] transposed");
        var big = HostTensor.Make(dtype, [100_003], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        CheckReduce(op, dtype, big, [0], Layout.Contiguous, "[100003]");
        var wide = HostTensor.Make(dtype, [2, 40_000], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        CheckReduce(op, dtype, wide, [1], Layout.Contiguous, "[2,40000]");
    }

    [TestCaseSource(nameof(ReduceCases))]
    public void Reduce_MatchesReference_OnManyShortRunsAndFewLongStridedRuns(ReduceCase op, DType dtype)
    {
        var rng = new Random(55);
        double range = dtype.IsInteger() ? 100 : 1;
        // Many outputs of a few elements each: runs contiguous, strided, over two dims, and just past the short-run limit.
        foreach (var (shape, layout, axes) in new[]
        {
            (new[] { 1000, 5 }, Layout.Contiguous, new[] { 1 }), ([5, 1000], Layout.Contiguous, [0]), ([3, 700, 4], Layout.Contiguous, [0, 2]),
            ([600, 16], Layout.Transposed, [1]), ([600, 17], Layout.Contiguous, [1]), ([300, 3], Layout.Sliced, [1]),
        })
            CheckReduce(op, dtype, HostTensor.Make(dtype, shape, layout, Uniform(rng, -range, range, dtype)), axes, Layout.Contiguous, $"{ShapeMath.Format(shape)} {layout}");
        // Few outputs of long runs: every axis of a rank-4 transposed or sliced view (a rank-4 run of 240000), runs
        // longer than 64K, and long runs whose outputs sit side by side in memory.
        foreach (var (shape, layout, axes) in new[]
        {
            (new[] { 40, 30, 20, 10 }, Layout.Transposed, new[] { 0, 1, 2, 3 }), ([40, 30, 20, 10], Layout.Sliced, [0, 1, 2, 3]),
            ([40, 30, 20, 10], Layout.Transposed, [1, 3]), ([2, 70_000], Layout.Contiguous, [1]), ([70_000, 3], Layout.Contiguous, [0]),
            ([3, 70_000], Layout.Transposed, [1]),
        })
            CheckReduce(op, dtype, HostTensor.Make(dtype, shape, layout, Uniform(rng, -range, range, dtype)), axes, Layout.Contiguous, $"{ShapeMath.Format(shape)} {layout}");
    }

    [Test]
    public void ReduceMaxAndMin_PropagateNaN_LikeReference()
    {
        var rng = new Random(54);
        foreach (var dtype in FloatTypes)
            foreach (var shape in new[] { new[] { 40 }, [6, 7], [3, 50] })
                foreach (var axes in AxisSubsets(shape.Length))
                {
                    var x = HostTensor.Make(dtype, shape, Layout.Contiguous, () => rng.Next(10) == 0 ? double.NaN : rng.NextDouble());
                    foreach (var op in ReduceOps) CheckReduce(op, dtype, x, axes, Layout.Contiguous, "with NaN");
                }
    }

    // ---------------------------------------------------------------- arg-reduce

    private void CheckArgReduce(HostTensor x, int axis, bool max, string what)
    {
        var shape = x.Shape.Select((n, d) => d == axis ? 1 : n).ToArray();
        Conformance.Check(backend, $"{(max ? "argmax" : "argmin")} {what} {x} axis {axis}", Tol.Exact,
            [x, Output(x.DType, shape), Output(DType.Int64, shape, Layout.Sliced)],
            (b, v) => b.ArgReduce(v[0], v[1], v[2], axis, max), 1, 2);
    }

    [Test]
    public void ArgReduce_MatchesReference_WithTiesOnEveryAxisAndLayout([Values] bool max)
    {
        var rng = new Random(61);
        int[][] shapes = [[2, 3, 4, 5], [7, 1], [1], [3, 1, 5], [40], [5, 33]];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64 })
            foreach (var shape in shapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter })
                        CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => rng.Next(4)), axis, max, "ties");
    }

    [Test]
    public void ArgReduce_MatchesReference_WithNaNSignedZerosAndInfinities([Values] bool max)
    {
        var rng = new Random(62);
        double[] pool = [double.NaN, 0.0, -0.0, 1, -1, double.PositiveInfinity, double.NegativeInfinity];
        foreach (var dtype in FloatTypes)
            foreach (var shape in new[] { new[] { 9, 40 }, [40, 9], [3, 1, 17] })
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed })
                    {
                        CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => rng.Next(12) == 0 ? double.NaN : pool[1 + rng.Next(pool.Length - 1)]), axis, max, "sparse NaN");
                        CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => rng.Next(2) == 0 ? 0.0 : -0.0), axis, max, "signed zeros");
                        CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => pool[rng.Next(pool.Length)]), axis, max, "specials");
                    }
    }

    [Test]
    public void ArgReduce_MatchesReference_OnLargeInputsThatRunInParallel([Values] bool max)
    {
        var rng = new Random(63);
        var x = HostTensor.Make(DType.Float32, [64, 1000], Layout.Contiguous, () => rng.Next(1000));
        CheckArgReduce(x, 1, max, "large");
        CheckArgReduce(x, 0, max, "large");
    }

    [Test]
    public void ArgReduce_MatchesReference_OnLongAndShortLinesWithTiesAndLateNaN([Values] bool max)
    {
        var rng = new Random(64);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64 })
            foreach (var (shape, axis, layout) in new[] { (new[] { 3, 5000 }, 1, Layout.Contiguous), ([5000, 3], 0, Layout.Contiguous), ([3, 5000], 1, Layout.Transposed), ([2000, 3], 1, Layout.Contiguous), ([3, 2000], 0, Layout.Sliced) })
            {
                // Few distinct values, so the extreme value occurs many times along each line.
                CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => rng.Next(50)), axis, max, "ties");
                if (!dtype.IsInteger())
                    CheckArgReduce(HostTensor.Make(dtype, shape, layout, () => rng.Next(3000) == 0 ? double.NaN : rng.Next(50)), axis, max, "rare NaN");
            }
    }

    // ---------------------------------------------------------------- softmax

    private void CheckSoftmax(HostTensor x, int axis, bool log, Layout outLayout, string what)
    {
        var tol = x.DType == DType.Float32 ? new Tol(2e-5, 2e-6) : new Tol(1e-12, 1e-13);
        Conformance.Check(backend, $"{(log ? "log_softmax" : "softmax")} {what} {x} axis {axis}", tol, [x, Output(x.DType, x.Shape, outLayout)],
            (b, v) => CompositeKernels.For(b).Softmax(v[0], v[1], axis, log), 1);
    }

    [Test]
    public void Softmax_MatchesReference_OnEveryAxisAndLayout([Values] bool log)
    {
        var rng = new Random(71);
        int[][] shapes = [[2, 3, 4, 5], [7, 1], [1, 7], [1], [3, 1, 5], [4, 33]];
        foreach (var dtype in FloatTypes)
            foreach (var shape in shapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter })
                        CheckSoftmax(HostTensor.Make(dtype, shape, layout, Uniform(rng, -5, 5, dtype)), axis, log, layout == Layout.Sliced ? Layout.Transposed : Layout.Contiguous, layout.ToString());
    }

    [Test]
    public void Softmax_IsFiniteAndMatchesReference_ForLogitsNearPlusOrMinus1000([Values] bool log)
    {
        var rng = new Random(72);
        foreach (var dtype in FloatTypes)
            foreach (double center in new[] { 1000.0, -1000.0 })
                foreach (var (shape, axis) in new[] { (new[] { 4, 37 }, 1), (new[] { 37, 4 }, 0) })
                {
                    var x = HostTensor.Make(dtype, shape, Layout.Contiguous, () => center + rng.NextDouble() * 10 - 5);
                    CheckSoftmax(x, axis, log, Layout.Contiguous, $"near {center}");
                    var y = Conformance.Apply(backend, [x, Output(dtype, shape)], (b, v) => CompositeKernels.For(b).Softmax(v[0], v[1], axis, log), out _)[1];
                    Assert.That(y.All(double.IsFinite), Is.True, $"softmax of logits near {center} has a non-finite value");
                }
    }

    [Test]
    public void Softmax_OfAllNegativeInfinityRowIsNaN_LikeReference([Values] bool log)
    {
        foreach (var dtype in FloatTypes)
        {
            var x = HostTensor.FromStorage(dtype, [double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, 0, 1, double.NegativeInfinity], [2, 3], [3, 1], 0);
            CheckSoftmax(x, 1, log, Layout.Contiguous, "-inf row");
            var y = Conformance.Apply(backend, [x, Output(dtype, [2, 3])], (b, v) => CompositeKernels.For(b).Softmax(v[0], v[1], 1, log), out _)[1];
            Assert.That(y.Take(3).All(double.IsNaN), Is.True, "a row of -inf has no softmax; the reference gives NaN");
        }
    }

    [Test]
    public void Softmax_MatchesReference_OnLongAndLargeInputs([Values] bool log)
    {
        var rng = new Random(73);
        // 3000-long lines need pooled scratch; [128, 600] and [600, 64] run in parallel.
        foreach (var (shape, axis, layout) in new[] { (new[] { 3, 3000 }, 1, Layout.Contiguous), ([3, 3000], 1, Layout.Transposed), ([128, 600], 1, Layout.Contiguous), ([600, 64], 0, Layout.Contiguous) })
            CheckSoftmax(HostTensor.Make(DType.Float32, shape, layout, Uniform(rng, -8, 8, DType.Float32)), axis, log, Layout.Contiguous, "large");
    }

    [Test]
    public void Softmax_MatchesReference_OnManyShortLinesInfinitiesNaNAndInPlace([Values] bool log)
    {
        var rng = new Random(74);
        foreach (var dtype in FloatTypes)
        {
            foreach (var (shape, axis) in new[] { (new[] { 2000, 3 }, 1), ([3, 2000], 0), ([50, 40, 2], 1) })
                CheckSoftmax(HostTensor.Make(dtype, shape, Layout.Contiguous, Uniform(rng, -5, 5, dtype)), axis, log, Layout.Contiguous, "short lines");
            // Rows with +inf, NaN or some -inf among finite values: the reference gives NaN rows for the first two.
            double[] pool = [double.PositiveInfinity, double.NaN, double.NegativeInfinity, -1, 0.5, 2];
            var specials = HostTensor.Make(dtype, [64, 300], Layout.Contiguous, () => rng.Next(400) == 0 ? pool[rng.Next(pool.Length)] : rng.NextDouble() * 4 - 2);
            CheckSoftmax(specials, 1, log, Layout.Contiguous, "specials");
            CheckSoftmax(specials, 0, log, Layout.Transposed, "specials");
            var x = HostTensor.Make(dtype, [7, 500], Layout.Contiguous, Uniform(rng, -5, 5, dtype));
            Conformance.Check(backend, $"{(log ? "log_softmax" : "softmax")} in place", x.DType == DType.Float32 ? new Tol(2e-5, 2e-6) : new Tol(1e-12, 1e-13), [x],
                (b, v) => CompositeKernels.For(b).Softmax(v[0], v[0], 1, log), 0);
        }
    }
}
