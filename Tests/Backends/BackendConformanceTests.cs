// The backend conformance suite, written once and run against every backend in BackendFixtures.Backends: each
// test applies a primitive on the backend and on the Reference oracle to the same operands and compares.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

/// <summary>
/// Every primitive of <see cref="IBackend"/> against <see cref="DotGrad.Backends.Reference.ReferenceBackend"/>:
/// every operator struct, float32 and float64 (Int32 where defined), every 1-D length 0..256 (SIMD tails),
/// odd and size-1 shapes, transposed, sliced and broadcast operands, NaN and infinities. Seeds are fixed.
/// </summary>
[TestFixtureSource(typeof(BackendFixtures), nameof(BackendFixtures.FixtureData))]
public sealed class BackendConformanceTests(IBackend backend)
{
    private static readonly int[][] OddShapes = [[1], [3, 1, 5], [7, 1], [2, 3, 4, 5], [1, 1], [33], [5, 17]];
    private static readonly Layout[] InputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter, Layout.BroadcastInner, Layout.Scalar];
    private static readonly Layout[] OutputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced];
    private static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];
    private static readonly DType[] AllTypes = [DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Float16, DType.Bool];
    private static readonly double[] Specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1e30, -1e30, 1e-30, 1.0, -1.0, 88.0, -88.0, 710.0, -710.0];

    // ---------------------------------------------------------------- operator cases

    /// <summary>A unary operator with the input range that keeps it in its domain and the float32 tolerance it needs.</summary>
    public sealed record UnaryCase(string Name, double Lo, double Hi, bool Int32, Tol Tol32, Action<IBackend, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static UnaryCase U<TOp>(double lo, double hi, Tol? tol32 = null) where TOp : struct, IUnaryOperator<TOp> =>
        new(TOp.Name, lo, hi, TOp.SupportsInt32, tol32 ?? Tol.Float32, (b, x, y) => b.Unary<TOp>(x, y));

    public static readonly UnaryCase[] UnaryOps =
    [
        U<NegOp>(-10, 10), U<AbsOp>(-10, 10), U<SignOp>(-3, 3), U<ExpOp>(-20, 20), U<LogOp>(0.01, 100),
        U<SqrtOp>(0.01, 100), U<RsqrtOp>(0.01, 100), U<ReciprocalOp>(-10, 10), U<SquareOp>(-10, 10),
        U<SinOp>(-10, 10), U<CosOp>(-10, 10), U<TanhOp>(-10, 10), U<SigmoidOp>(-10, 10), U<ReluOp>(-5, 5),
        U<ErfOp>(-6, 6), U<GeluOp>(-6, 6), U<GeluTanhOp>(-6, 6), U<SiluOp>(-10, 10),
    ];

    public static IEnumerable<TestCaseData> UnaryFloatCases() =>
        from op in UnaryOps from t in FloatTypes select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public static IEnumerable<TestCaseData> UnaryIntCases() =>
        from op in UnaryOps where op.Int32 select new TestCaseData(op).SetArgDisplayNames(op.Name);

    /// <summary>A binary operator with input ranges for a and b.</summary>
    public sealed record BinaryCase(string Name, double ALo, double AHi, double BLo, double BHi, bool Int32, Action<IBackend, Strided, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static BinaryCase B<TOp>(double aLo, double aHi, double bLo, double bHi) where TOp : struct, IBinaryOperator<TOp> =>
        new(TOp.Name, aLo, aHi, bLo, bHi, TOp.SupportsInt32, (be, a, b, y) => be.Binary<TOp>(a, b, y));

    public static readonly BinaryCase[] BinaryOps =
    [
        B<AddOp>(-10, 10, -10, 10), B<SubOp>(-10, 10, -10, 10), B<MulOp>(-10, 10, -10, 10), B<DivOp>(-10, 10, 0.5, 10),
        B<PowOp>(0.1, 5, -3, 3), B<MaximumOp>(-10, 10, -10, 10), B<MinimumOp>(-10, 10, -10, 10),
    ];

    public static IEnumerable<TestCaseData> BinaryFloatCases() =>
        from op in BinaryOps from t in FloatTypes select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public static IEnumerable<TestCaseData> BinaryIntCases() =>
        from op in BinaryOps where op.Int32 select new TestCaseData(op).SetArgDisplayNames(op.Name);

    public sealed record CompareCase(string Name, Action<IBackend, Strided, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static CompareCase C<TOp>() where TOp : struct, ICompareOperator<TOp> => new(TOp.Name, (be, a, b, y) => be.Compare<TOp>(a, b, y));

    public static IEnumerable<TestCaseData> CompareCases() =>
        from op in new[] { C<EqOp>(), C<NeOp>(), C<LtOp>(), C<LeOp>(), C<GtOp>(), C<GeOp>() }
        from t in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Bool }
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public sealed record ReduceCase(string Name, Action<IBackend, Strided, Strided, int[]> Run)
    {
        public override string ToString() => Name;
    }

    private static ReduceCase R<TOp>() where TOp : struct, IReduceOperator<TOp> => new(TOp.Name, (be, x, y, axes) => be.Reduce<TOp>(x, y, axes));

    public static IEnumerable<TestCaseData> ReduceCases() =>
        from op in new[] { R<SumOp>(), R<MaxOp>(), R<MinOp>() }
        from t in new[] { DType.Float32, DType.Float64, DType.Int32 }
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public static IEnumerable<TestCaseData> CopyCases() =>
        from s in AllTypes from d in AllTypes select new TestCaseData(s, d).SetArgDisplayNames(s.ToString(), d.ToString());

    // ---------------------------------------------------------------- helpers

    private static Func<double> Uniform(Random rng, double lo, double hi, DType dtype) =>
        dtype == DType.Int32 ? () => rng.Next((int)lo, (int)hi + 1) : () => lo + (hi - lo) * rng.NextDouble();

    private static HostTensor Output(DType dtype, int[] shape, Layout layout = Layout.Contiguous) =>
        HostTensor.Make(dtype, shape, layout, () => -7.25); // the gaps keep this sentinel unless something writes there

    private static Tol UnaryTol(UnaryCase op, DType dtype) => dtype == DType.Float32 ? op.Tol32 : Tol.For(dtype);

    private void CheckUnary(UnaryCase op, HostTensor x, HostTensor y, DType dtype, string what) =>
        Conformance.Check(backend, $"{op.Name} {what}", UnaryTol(op, dtype), [x, y], (b, v) => op.Run(b, v[0], v[1]), 1);

    private void CheckBinary(BinaryCase op, HostTensor a, HostTensor bt, HostTensor y, DType dtype, string what) =>
        Conformance.Check(backend, $"{op.Name} {what}", dtype == DType.Float32 ? new Tol(2e-5, 1e-6) : Tol.For(dtype), [a, bt, y], (b, v) => op.Run(b, v[0], v[1], v[2]), 2);

    // ---------------------------------------------------------------- unary

    [TestCaseSource(nameof(UnaryFloatCases))]
    public void Unary_MatchesReference_ForEveryLengthFrom0To256(UnaryCase op, DType dtype)
    {
        var rng = new Random(11);
        for (int n = 0; n <= 256; n++)
        {
            var x = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, op.Lo, op.Hi, dtype));
            CheckUnary(op, x, Output(dtype, [n]), dtype, $"length {n}");
        }
    }

    [TestCaseSource(nameof(UnaryFloatCases))]
    public void Unary_MatchesReference_OnOddShapesAndStridedViews(UnaryCase op, DType dtype)
    {
        var rng = new Random(12);
        foreach (var shape in OddShapes)
            foreach (var inLayout in InputLayouts)
                foreach (var outLayout in OutputLayouts)
                {
                    var x = HostTensor.Make(dtype, shape, inLayout, Uniform(rng, op.Lo, op.Hi, dtype));
                    CheckUnary(op, x, Output(dtype, shape, outLayout), dtype, $"{ShapeMath.Format(shape)} {inLayout} -> {outLayout}");
                }
    }

    [TestCaseSource(nameof(UnaryFloatCases))]
    public void Unary_MatchesReference_OnNaNInfinitiesZerosAndExtremes(UnaryCase op, DType dtype)
    {
        // 3 copies of the specials: a full vector, the vector loop's tail, and a strided pass.
        var values = Specials.Concat(Specials).Concat(Specials).ToArray();
        var x = HostTensor.FromValues(dtype, values);
        CheckUnary(op, x, Output(dtype, [values.Length]), dtype, "specials");
        var strided = HostTensor.FromStorage(dtype, values, [values.Length / 2], [2], 1);
        CheckUnary(op, strided, Output(dtype, [values.Length / 2]), dtype, "specials strided");
    }

    [TestCaseSource(nameof(UnaryIntCases))]
    public void Unary_MatchesReferenceOnInt32_ForOpsDefinedOnIntegers(UnaryCase op)
    {
        var rng = new Random(13);
        for (int n = 0; n <= 70; n++)
            CheckUnary(op, HostTensor.Make(DType.Int32, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, DType.Int32)), Output(DType.Int32, [n]), DType.Int32, $"length {n}");
        foreach (var shape in OddShapes)
            foreach (var layout in InputLayouts)
                CheckUnary(op, HostTensor.Make(DType.Int32, shape, layout, Uniform(rng, -1000, 1000, DType.Int32)), Output(DType.Int32, shape, Layout.Transposed), DType.Int32, $"{ShapeMath.Format(shape)} {layout}");
        CheckUnary(op, HostTensor.FromValues(DType.Int32, int.MinValue, int.MaxValue, 0, -1, 1, 46341), Output(DType.Int32, [6]), DType.Int32, "extremes");
    }

    [Test]
    public void Unary_InPlace_WhenInputAndOutputShareStorage()
    {
        var rng = new Random(14);
        var x = HostTensor.Make(DType.Float32, [100], Layout.Contiguous, Uniform(rng, -3, 3, DType.Float32));
        Conformance.Check(backend, "exp in place", Tol.Float32, [x], (b, v) => b.Unary<ExpOp>(v[0], v[0]), 0);
        Conformance.Check(backend, "gelu in place", Tol.Float32, [x], (b, v) => b.Unary<GeluOp>(v[0], v[0]), 0);
    }

    // ---------------------------------------------------------------- binary

    [TestCaseSource(nameof(BinaryFloatCases))]
    public void Binary_MatchesReference_ForEveryLengthFrom0To256(BinaryCase op, DType dtype)
    {
        var rng = new Random(21);
        for (int n = 0; n <= 256; n++)
        {
            var a = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, op.ALo, op.AHi, dtype));
            var b = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, op.BLo, op.BHi, dtype));
            CheckBinary(op, a, b, Output(dtype, [n]), dtype, $"length {n}");
        }
    }

    [TestCaseSource(nameof(BinaryFloatCases))]
    public void Binary_MatchesReference_WithBroadcastScalarOnEitherSide(BinaryCase op, DType dtype)
    {
        // Stride 0 in the inner dim takes the span-scalar and scalar-span forms.
        var rng = new Random(22);
        foreach (int n in new[] { 1, 7, 16, 33, 100, 255 })
        {
            var a = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, op.ALo, op.AHi, dtype));
            var b = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, op.BLo, op.BHi, dtype));
            var sa = HostTensor.Make(dtype, [n], Layout.Scalar, Uniform(rng, op.ALo, op.AHi, dtype));
            var sb = HostTensor.Make(dtype, [n], Layout.Scalar, Uniform(rng, op.BLo, op.BHi, dtype));
            CheckBinary(op, a, sb, Output(dtype, [n]), dtype, $"span-scalar length {n}");
            CheckBinary(op, sa, b, Output(dtype, [n]), dtype, $"scalar-span length {n}");
            CheckBinary(op, sa, sb, Output(dtype, [n]), dtype, $"scalar-scalar length {n}");
        }
    }

    [TestCaseSource(nameof(BinaryFloatCases))]
    public void Binary_MatchesReference_OnOddShapesAndEveryLayoutPair(BinaryCase op, DType dtype)
    {
        var rng = new Random(23);
        foreach (var shape in OddShapes)
            foreach (var la in InputLayouts)
                foreach (var lb in InputLayouts)
                {
                    var a = HostTensor.Make(dtype, shape, la, Uniform(rng, op.ALo, op.AHi, dtype));
                    var b = HostTensor.Make(dtype, shape, lb, Uniform(rng, op.BLo, op.BHi, dtype));
                    var outLayout = OutputLayouts[(int)la % OutputLayouts.Length];
                    CheckBinary(op, a, b, Output(dtype, shape, outLayout), dtype, $"{ShapeMath.Format(shape)} {la} x {lb} -> {outLayout}");
                }
    }

    [TestCaseSource(nameof(BinaryFloatCases))]
    public void Binary_MatchesReference_OnNaNAndInfinities(BinaryCase op, DType dtype)
    {
        var a = Specials.SelectMany(_ => Specials).ToArray();
        var b = Specials.SelectMany(s => Specials.Select(_ => s)).ToArray();
        int n = a.Length;
        CheckBinary(op, HostTensor.FromValues(dtype, a), HostTensor.FromValues(dtype, b), Output(dtype, [n]), dtype, "every pair of specials");
        // The span-scalar and scalar-span forms are separate code in the operator structs: each special as the scalar.
        var span = HostTensor.FromValues(dtype, [.. Specials, .. Specials]);
        foreach (var special in Specials)
        {
            var scalar = HostTensor.Make(dtype, [2 * Specials.Length], Layout.Scalar, () => special);
            CheckBinary(op, span, scalar, Output(dtype, [2 * Specials.Length]), dtype, $"specials with scalar b = {special}");
            CheckBinary(op, scalar, span, Output(dtype, [2 * Specials.Length]), dtype, $"scalar a = {special} with specials");
        }
    }

    [TestCaseSource(nameof(BinaryIntCases))]
    public void Binary_MatchesReferenceOnInt32_ForOpsDefinedOnIntegers(BinaryCase op)
    {
        var rng = new Random(24);
        for (int n = 0; n <= 70; n++)
        {
            var a = HostTensor.Make(DType.Int32, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, DType.Int32));
            var b = HostTensor.Make(DType.Int32, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, DType.Int32));
            CheckBinary(op, a, b, Output(DType.Int32, [n]), DType.Int32, $"length {n}");
        }
        foreach (var shape in OddShapes)
            foreach (var la in InputLayouts)
                foreach (var lb in new[] { Layout.Contiguous, Layout.Scalar, Layout.Sliced })
                {
                    var a = HostTensor.Make(DType.Int32, shape, la, Uniform(rng, -1000, 1000, DType.Int32));
                    var b = HostTensor.Make(DType.Int32, shape, lb, Uniform(rng, -1000, 1000, DType.Int32));
                    CheckBinary(op, a, b, Output(DType.Int32, shape), DType.Int32, $"{ShapeMath.Format(shape)} {la} x {lb}");
                    CheckBinary(op, b, a, Output(DType.Int32, shape), DType.Int32, $"{ShapeMath.Format(shape)} {lb} x {la}");
                }
    }

    [TestCase(2.0)]
    [TestCase(1.0)]
    [TestCase(0.5)]
    [TestCase(3.0)]
    [TestCase(-1.5)]
    public void Pow_MatchesReference_ForCommonScalarExponentsOnPositiveBases(double exponent)
    {
        var rng = new Random(25);
        foreach (var dtype in FloatTypes)
        {
            var a = HostTensor.Make(dtype, [77], Layout.Contiguous, Uniform(rng, 0.01, 20, dtype));
            var b = HostTensor.Make(dtype, [77], Layout.Scalar, () => exponent);
            Conformance.Check(backend, $"pow(x, {exponent}) {dtype}", Tol.For(dtype), [a, b, Output(dtype, [77])], (be, v) => be.Binary<PowOp>(v[0], v[1], v[2]), 2);
        }
    }

    [Test]
    public void Pow_MatchesReference_ForExponentOneHalfOnNegativeZeroAndNegativeInfinity()
    {
        var a = HostTensor.FromValues(DType.Float32, -0.0, double.NegativeInfinity, 4.0);
        var b = HostTensor.Make(DType.Float32, [3], Layout.Scalar, () => 0.5);
        Conformance.Check(backend, "pow(x, 0.5)", Tol.Float32, [a, b, Output(DType.Float32, [3])], (be, v) => be.Binary<PowOp>(v[0], v[1], v[2]), 2);
    }

    [Test]
    public void Elementwise_MatchesReference_OnLargeStridedInputsThatRunInParallel()
    {
        // [300, 257] = 77K elements: above the parallel threshold, with chunks that start in the middle of a row.
        var rng = new Random(26);
        int[] shape = [300, 257];
        var x = HostTensor.Make(DType.Float32, shape, Layout.Transposed, Uniform(rng, -3, 3, DType.Float32));
        var s = HostTensor.Make(DType.Float32, shape, Layout.Sliced, Uniform(rng, -3, 3, DType.Float32));
        var row = HostTensor.Make(DType.Float32, shape, Layout.BroadcastOuter, Uniform(rng, -3, 3, DType.Float32));
        var col = HostTensor.Make(DType.Float32, shape, Layout.BroadcastInner, Uniform(rng, -3, 3, DType.Float32));
        var cond = HostTensor.Make(DType.Bool, shape, Layout.Sliced, () => rng.Next(2));
        Conformance.Check(backend, "tanh transposed -> sliced", Tol.Float32, [x, Output(DType.Float32, shape, Layout.Sliced)], (b, v) => b.Unary<TanhOp>(v[0], v[1]), 1);
        Conformance.Check(backend, "exp sliced -> contiguous", Tol.Float32, [s, Output(DType.Float32, shape)], (b, v) => b.Unary<ExpOp>(v[0], v[1]), 1);
        Conformance.Check(backend, "add row broadcast", Tol.Float32, [s, row, Output(DType.Float32, shape)], (b, v) => b.Binary<AddOp>(v[0], v[1], v[2]), 2);
        Conformance.Check(backend, "mul column broadcast", Tol.Float32, [col, x, Output(DType.Float32, shape, Layout.Transposed)], (b, v) => b.Binary<MulOp>(v[0], v[1], v[2]), 2);
        Conformance.Check(backend, "lt", Tol.Exact, [x, s, Output(DType.Bool, shape, Layout.Sliced)], (b, v) => b.Compare<LtOp>(v[0], v[1], v[2]), 2);
        Conformance.Check(backend, "where", Tol.Exact, [cond, x, row, Output(DType.Float32, shape)], (b, v) => b.Where(v[0], v[1], v[2], v[3]), 3);
        Conformance.Check(backend, "copy to bfloat16", Tol.Exact, [x, Output(DType.BFloat16, shape, Layout.Sliced)], (b, v) => b.Copy(v[0], v[1]), 1);
        Conformance.Check(backend, "copy to float16", Tol.Exact, [s, Output(DType.Float16, shape)], (b, v) => b.Copy(v[0], v[1]), 1);
        Conformance.Check(backend, "fill", Tol.Exact, [Output(DType.Float64, shape, Layout.Transposed)], (b, v) => b.Fill(v[0], 0.1), 0);
    }

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

    /// <summary>Values that exercise every conversion: ties for float32, bfloat16 and float16 rounding, saturation, NaN.</summary>
    private static double[] CastValues(DType source, Random rng)
    {
        var list = new List<double>
        {
            0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.99, -3.99, 255, 256.5, 65504, 65520, -65520, 1e-8, 6e-5,
            16777217, 2147483647, -2147483648, 2147483648.0, 3e9, -3e9, 3e38, -3e38, 1e300, -1e300,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity,
            1.00390625, 1.01171875, 1.0078125 + 1.0 / 1024, // bfloat16 ties (even and odd) and a near-tie
            0.1, 1.0 / 3, Math.PI, -Math.E,
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
        double range = dtype == DType.Int32 ? 100 : 1;
        var x = HostTensor.Make(dtype, [300, 257], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        foreach (var axes in new[] { new[] { 0 }, [1], [0, 1] }) CheckReduce(op, dtype, x, axes, Layout.Contiguous, "[300,257]");
        var t = HostTensor.Make(dtype, [300, 257], Layout.Transposed, Uniform(rng, -range, range, dtype));
        foreach (var axes in new[] { new[] { 0 }, [1] }) CheckReduce(op, dtype, t, axes, Layout.Contiguous, "[300,257] transposed");
        var big = HostTensor.Make(dtype, [100_003], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        CheckReduce(op, dtype, big, [0], Layout.Contiguous, "[100003]");
        var wide = HostTensor.Make(dtype, [2, 40_000], Layout.Contiguous, Uniform(rng, -range, range, dtype));
        CheckReduce(op, dtype, wide, [1], Layout.Contiguous, "[2,40000]");
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
                    CheckReduce(new ReduceCase("max", (b, xv, yv, a) => b.Reduce<MaxOp>(xv, yv, a)), dtype, x, axes, Layout.Contiguous, "with NaN");
                    CheckReduce(new ReduceCase("min", (b, xv, yv, a) => b.Reduce<MinOp>(xv, yv, a)), dtype, x, axes, Layout.Contiguous, "with NaN");
                    CheckReduce(new ReduceCase("sum", (b, xv, yv, a) => b.Reduce<SumOp>(xv, yv, a)), dtype, x, axes, Layout.Contiguous, "with NaN");
                }
    }

    // ---------------------------------------------------------------- arg-reduce

    private void CheckArgReduce(HostTensor x, int axis, bool max, string what)
    {
        var shape = x.Shape.Select((n, d) => d == axis ? 1 : n).ToArray();
        Conformance.Check(backend, $"{(max ? "argmax" : "argmin")} {what} {x} axis {axis}", Tol.Exact,
            [x, Output(x.DType, shape), Output(DType.Int32, shape, Layout.Sliced)],
            (b, v) => b.ArgReduce(v[0], v[1], v[2], axis, max), 1, 2);
    }

    [Test]
    public void ArgReduce_MatchesReference_WithTiesOnEveryAxisAndLayout([Values] bool max)
    {
        var rng = new Random(61);
        int[][] shapes = [[2, 3, 4, 5], [7, 1], [1], [3, 1, 5], [40], [5, 33]];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32 })
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

    // ---------------------------------------------------------------- softmax

    private void CheckSoftmax(HostTensor x, int axis, bool log, Layout outLayout, string what)
    {
        var tol = x.DType == DType.Float32 ? new Tol(2e-5, 2e-6) : new Tol(1e-12, 1e-13);
        Conformance.Check(backend, $"{(log ? "log_softmax" : "softmax")} {what} {x} axis {axis}", tol, [x, Output(x.DType, x.Shape, outLayout)],
            (b, v) => b.Softmax(v[0], v[1], axis, log), 1);
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
                    var y = Conformance.Apply(backend, [x, Output(dtype, shape)], (b, v) => b.Softmax(v[0], v[1], axis, log), out _)[1];
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
            var y = Conformance.Apply(backend, [x, Output(dtype, [2, 3])], (b, v) => b.Softmax(v[0], v[1], 1, log), out _)[1];
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

    // ---------------------------------------------------------------- indexing

    private static HostTensor Indices(int[] shape, int bound, Random rng, Layout layout = Layout.Contiguous) =>
        HostTensor.Make(DType.Int32, shape, layout, () => rng.Next(bound));

    [Test]
    public void IndexSelect_MatchesReference_OnEveryAxisDTypeAndLayout()
    {
        var rng = new Random(81);
        int[][] shapes = [[10, 6], [4, 9, 3], [7], [3, 1, 5], [2, 3, 4, 5]];
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Bool })
            foreach (var shape in shapes)
                for (int axis = 0; axis < shape.Length; axis++)
                    foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                        foreach (int m in new[] { 0, 1, 5 })
                        {
                            var x = HostTensor.Make(dtype, shape, layout, Uniform(rng, -100, 100, DType.Int32));
                            var index = Indices([m], shape[axis], rng, m % 2 == 1 ? Layout.Sliced : Layout.Contiguous);
                            var yShape = shape.Select((n, d) => d == axis ? m : n).ToArray();
                            Conformance.Check(backend, $"index_select {x} axis {axis} m {m}", Tol.Exact, [x, index, Output(dtype, yShape, layout)],
                                (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), 2);
                        }
    }

    [Test]
    public void IndexSelect_MatchesReference_ForALargeEmbeddingLookup()
    {
        var rng = new Random(82);
        var table = HostTensor.Make(DType.Float32, [1000, 64], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var tokens = Indices([2000], 1000, rng);
        Conformance.Check(backend, "embedding lookup", Tol.Exact, [table, tokens, Output(DType.Float32, [2000, 64])], (b, v) => b.IndexSelect(v[0], 0, v[1], v[2]), 2);
    }

    [TestCase(10)]
    [TestCase(-1)]
    [TestCase(int.MaxValue)]
    public void IndexSelect_ThrowsArgumentOutOfRange_LikeReference_ForABadIndex(int bad)
    {
        var rng = new Random(83);
        var x = HostTensor.Make(DType.Float32, [10, 6], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var index = HostTensor.FromValues(DType.Int32, 1, 2, bad, 3);
        foreach (int axis in new[] { 0, 1 })
        {
            var yShape = axis == 0 ? new[] { 4, 6 } : [10, 4];
            Conformance.Check(backend, $"index_select bad index {bad} axis {axis}", Tol.Exact, [x, index, Output(DType.Float32, yShape)], (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), 2);
            Conformance.Apply(backend, [x, index, Output(DType.Float32, yShape)], (b, v) => b.IndexSelect(v[0], axis, v[1], v[2]), out var error);
            Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
        }
    }

    [Test]
    public void Gather_MatchesReference_OnEveryAxisAndLayout()
    {
        var rng = new Random(84);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Float16 })
            foreach (var (xShape, axis, indexShape) in new[] { (new[] { 5, 7 }, 1, new[] { 5, 3 }), ([5, 7], 0, [4, 7]), ([3, 4, 5], 1, [3, 6, 5]), ([3, 4, 5], 2, [2, 4, 9]), ([7], 0, [12]), ([3, 1, 5], 2, [3, 1, 1]) })
                foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                {
                    var x = HostTensor.Make(dtype, xShape, layout, Uniform(rng, -100, 100, DType.Int32));
                    var index = Indices(indexShape, xShape[axis], rng, layout);
                    Conformance.Check(backend, $"gather {x} axis {axis}", Tol.Exact, [x, index, Output(dtype, indexShape, layout)], (b, v) => b.Gather(v[0], axis, v[1], v[2]), 2);
                }
        var big = HostTensor.Make(DType.Float32, [4000, 20], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var bigIndex = Indices([4000, 10], 20, rng);
        Conformance.Check(backend, "gather large", Tol.Exact, [big, bigIndex, Output(DType.Float32, [4000, 10])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), 2);
    }

    [TestCase(7)]
    [TestCase(-3)]
    public void Gather_ThrowsArgumentOutOfRange_LikeReference_ForABadIndex(int bad)
    {
        var rng = new Random(85);
        var x = HostTensor.Make(DType.Float32, [5, 7], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var indexValues = Enumerable.Range(0, 15).Select(i => (double)(i % 7)).ToArray();
        indexValues[8] = bad;
        var index = HostTensor.FromStorage(DType.Int32, indexValues, [5, 3], [3, 1], 0);
        Conformance.Check(backend, $"gather bad index {bad}", Tol.Exact, [x, index, Output(DType.Float32, [5, 3])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), 2);
        Conformance.Apply(backend, [x, index, Output(DType.Float32, [5, 3])], (b, v) => b.Gather(v[0], 1, v[1], v[2]), out var error);
        Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ScatterAdd_MatchesReference_WithDuplicateTargetsOnEveryAxis()
    {
        var rng = new Random(86);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int32 })
            foreach (var (yShape, axis, srcShape) in new[] { (new[] { 5, 7 }, 1, new[] { 5, 12 }), ([5, 7], 0, [20, 7]), ([3, 4, 5], 1, [3, 9, 5]), ([10], 0, [50]), ([3, 1, 5], 0, [6, 1, 5]) })
                foreach (var layout in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                {
                    var y = HostTensor.Make(dtype, yShape, layout, Uniform(rng, -10, 10, dtype));
                    var index = Indices(srcShape, yShape[axis], rng, layout);
                    var src = HostTensor.Make(dtype, srcShape, layout, Uniform(rng, -10, 10, dtype));
                    // The same order of additions as the reference gives the same bits, floats included.
                    Conformance.Check(backend, $"scatter_add {y} axis {axis}", Tol.Exact, [y, index, src], (b, v) => b.ScatterAdd(v[0], axis, v[1], v[2]), 0);
                }
    }

    [TestCase(5)]
    [TestCase(-1)]
    public void ScatterAdd_ThrowsArgumentOutOfRange_LikeReference_AfterTheSameUpdates(int bad)
    {
        var rng = new Random(87);
        var y = HostTensor.Make(DType.Float32, [5, 3], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        var indexValues = Enumerable.Range(0, 12).Select(i => (double)(i % 5)).ToArray();
        indexValues[7] = bad;
        var index = HostTensor.FromStorage(DType.Int32, indexValues, [4, 3], [3, 1], 0);
        var src = HostTensor.Make(DType.Float32, [4, 3], Layout.Contiguous, Uniform(rng, -1, 1, DType.Float32));
        Conformance.Check(backend, $"scatter_add bad index {bad}", Tol.Exact, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), 0);
        // scatter_add works in place, element by element in row-major order: the updates made before the bad
        // index are the same as the reference's.
        var expected = Conformance.Apply(DotGrad.Backends.Reference.ReferenceBackend.Instance, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), out _);
        var actual = Conformance.Apply(backend, [y, index, src], (b, v) => b.ScatterAdd(v[0], 0, v[1], v[2]), out var error);
        Assert.That(error, Is.TypeOf<ArgumentOutOfRangeException>());
        Conformance.AssertClose(expected[0], actual[0], Tol.Exact, "y after the failed scatter_add");
    }

    // ---------------------------------------------------------------- random

    [Test]
    public void FillRandom_IsBitIdenticalToReference_ForEveryDistributionAndDType()
    {
        var cases = new (RandomKind Kind, double A, double B, DType DType)[]
        {
            (RandomKind.Uniform, 0, 1, DType.Float32), (RandomKind.Uniform, -2, 3, DType.Float64), (RandomKind.Uniform, -1, 1, DType.BFloat16),
            (RandomKind.Uniform, 0, 1, DType.Float16), (RandomKind.Normal, 0, 1, DType.Float32), (RandomKind.Normal, 1, 0.02, DType.Float64),
            (RandomKind.Normal, 0, 1, DType.BFloat16), (RandomKind.Integer, -5, 17, DType.Int32), (RandomKind.Integer, 0, 1000, DType.Float32),
            (RandomKind.Integer, 0, 2, DType.Bool),
        };
        foreach (var (kind, a, b, dtype) in cases)
            foreach (int n in new[] { 0, 1, 7, 100, 70_001 })
                foreach (ulong offset in new ulong[] { 0, 12345 })
                    Conformance.Check(backend, $"fill_random {kind} {dtype} n {n} offset {offset}", Tol.Exact, [Output(dtype, [n])],
                        (be, v) => be.FillRandom(v[0], kind, a, b, seed: 42, offset), 0);
    }

    // ---------------------------------------------------------------- matmul

    [Test]
    public void MatMul_MatchesReference_WithTransposedAndBroadcastOperands()
    {
        var rng = new Random(91);
        foreach (var dtype in FloatTypes)
        {
            var tol = dtype == DType.Float32 ? new Tol(1e-5, 1e-5) : Tol.Float64;
            var a = HostTensor.Make(dtype, [2, 3, 4], Layout.Contiguous, Uniform(rng, -1, 1, dtype));
            var b = HostTensor.Make(dtype, [2, 4, 5], Layout.Transposed, Uniform(rng, -1, 1, dtype));
            var bb = HostTensor.Make(dtype, [2, 4, 5], Layout.BroadcastOuter, Uniform(rng, -1, 1, dtype));
            Conformance.Check(backend, $"matmul {dtype}", tol, [a, b, Output(dtype, [2, 3, 5])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
            Conformance.Check(backend, $"matmul broadcast batch {dtype}", tol, [a, bb, Output(dtype, [2, 3, 5])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
        }
    }

    [TestCase(1, 1, 1, 1)]
    [TestCase(1, 33, 70, 45)]
    [TestCase(3, 13, 257, 33)]
    [TestCase(4, 64, 64, 64)]
    [TestCase(2, 150, 40, 97)]
    public void MatMul_MatchesReference_OnSizesThatReachThePackedKernels(int batch, int m, int k, int n)
    {
        // Sizes past the microkernel tile (12 x 32) and KC/MC block edges, with every operand layout, so the SIMD
        // GEMM runs through the backend on strided, transposed and broadcast operands, not only the naive path.
        var rng = new Random(92 + m);
        foreach (var dtype in FloatTypes)
        {
            var tol = dtype == DType.Float32 ? new Tol(1e-4, 1e-4) : new Tol(1e-11, 1e-11);
            foreach (var la in new[] { Layout.Contiguous, Layout.Transposed, Layout.Sliced })
                foreach (var lb in new[] { Layout.Contiguous, Layout.Transposed, Layout.BroadcastOuter })
                {
                    var a = HostTensor.Make(dtype, [batch, m, k], la, Uniform(rng, -1, 1, dtype));
                    var b = HostTensor.Make(dtype, [batch, k, n], lb, Uniform(rng, -1, 1, dtype));
                    Conformance.Check(backend, $"matmul [{batch},{m},{k}]@[{batch},{k},{n}] {la}/{lb} {dtype}", tol,
                        [a, b, Output(dtype, [batch, m, n])], (be, v) => be.MatMul(v[0], v[1], v[2]), 2);
                }
        }
    }
}
