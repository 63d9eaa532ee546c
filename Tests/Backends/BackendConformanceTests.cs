// The backend conformance suite, written once and run against every backend in BackendFixtures.Backends: each
// test applies a primitive on the backend and on the Reference oracle to the same operands and compares.
using System.Reflection;
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

/// <summary>
/// Every primitive of <see cref="IBackend"/> against <see cref="DotGrad.Backends.Reference.ReferenceBackend"/>:
/// every operator struct, float32 and float64 (Int32 and Int64 where defined), every 1-D length 0..256 (SIMD tails),
/// odd and size-1 shapes, transposed, sliced and broadcast operands, NaN and infinities. Seeds are fixed.
/// </summary>
[TestFixtureSource(typeof(BackendFixtures), nameof(BackendFixtures.FixtureData))]
public sealed partial class BackendConformanceTests
{
    private readonly Device device;
    private IBackend backend = null!;

    public BackendConformanceTests(Device device) => this.device = device;

    [OneTimeSetUp]
    public void FindBackend() => backend = BackendFixtures.Require(device);

    private static readonly int[][] OddShapes = [[1], [3, 1, 5], [7, 1], [2, 3, 4, 5], [1, 1], [33], [5, 17]];
    private static readonly Layout[] InputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced, Layout.BroadcastOuter, Layout.BroadcastInner, Layout.Scalar];
    private static readonly Layout[] OutputLayouts = [Layout.Contiguous, Layout.Transposed, Layout.Sliced];
    private static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];
    private static readonly DType[] AllTypes = [DType.Float32, DType.Float64, DType.Int32, DType.BFloat16, DType.Float16, DType.Bool, DType.Int64];
    private static readonly double[] Specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1e30, -1e30, 1e-30, 1.0, -1.0, 88.0, -88.0, 710.0, -710.0];

    // ---------------------------------------------------------------- operator cases

    /// <summary>
    /// Every operator struct of the library implementing <paramref name="contract"/> (such as IUnaryOperator&lt;&gt;),
    /// turned into a case by the generic <paramref name="builder"/>. Found by reflection, not listed by hand, so a new
    /// operator is under test the day it is written; ordered by name so the case order does not hang on metadata order.
    /// </summary>
    private static TCase[] EveryOperator<TCase>(Type contract, string builder) where TCase : notnull
    {
        var build = typeof(BackendConformanceTests).GetMethod(builder, BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"no case builder {builder}");
        return
        [
            .. typeof(IBackend).Assembly.GetTypes()
                .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && t.GetInterfaces().Any(i =>
                    i.IsGenericType && i.GetGenericTypeDefinition() == contract && i.GetGenericArguments()[0] == t))
                .Select(t => (TCase)build.MakeGenericMethod(t).Invoke(null, null)!)
                .OrderBy(c => c.ToString(), StringComparer.Ordinal),
        ];
    }

    /// <summary>A unary operator with its test domain (<see cref="IUnaryOperator{TSelf}.Domain"/>), where inputs are sampled.</summary>
    public sealed record UnaryCase(string Name, double Lo, double Hi, bool Int32, bool Int64, Action<IBackend, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static UnaryCase U<TOp>() where TOp : struct, IUnaryOperator<TOp> =>
        new(TOp.Name, TOp.Domain.Lo, TOp.Domain.Hi, TOp.SupportsInt32, TOp.SupportsInt64, (b, x, y) => b.Unary<TOp>(x, y));

    public static readonly UnaryCase[] UnaryOps = EveryOperator<UnaryCase>(typeof(IUnaryOperator<>), nameof(U));

    public static IEnumerable<TestCaseData> UnaryFloatCases() =>
        from op in UnaryOps from t in FloatTypes select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public static IEnumerable<TestCaseData> UnaryIntCases() =>
        from op in UnaryOps
        from t in new[] { DType.Int32, DType.Int64 }
        where t == DType.Int32 ? op.Int32 : op.Int64
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    /// <summary>A binary operator with the test domains of a and b (<see cref="IBinaryOperator{TSelf}.DomainA"/>, DomainB).</summary>
    public sealed record BinaryCase(string Name, double ALo, double AHi, double BLo, double BHi, bool Int32, bool Int64, Action<IBackend, Strided, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static BinaryCase B<TOp>() where TOp : struct, IBinaryOperator<TOp> =>
        new(TOp.Name, TOp.DomainA.Lo, TOp.DomainA.Hi, TOp.DomainB.Lo, TOp.DomainB.Hi, TOp.SupportsInt32, TOp.SupportsInt64, (be, a, b, y) => be.Binary<TOp>(a, b, y));

    public static readonly BinaryCase[] BinaryOps = EveryOperator<BinaryCase>(typeof(IBinaryOperator<>), nameof(B));

    public static IEnumerable<TestCaseData> BinaryFloatCases() =>
        from op in BinaryOps from t in FloatTypes select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public static IEnumerable<TestCaseData> BinaryIntCases() =>
        from op in BinaryOps
        from t in new[] { DType.Int32, DType.Int64 }
        where t == DType.Int32 ? op.Int32 : op.Int64
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public sealed record CompareCase(string Name, Action<IBackend, Strided, Strided, Strided> Run)
    {
        public override string ToString() => Name;
    }

    private static CompareCase C<TOp>() where TOp : struct, ICompareOperator<TOp> => new(TOp.Name, (be, a, b, y) => be.Compare<TOp>(a, b, y));

    public static readonly CompareCase[] CompareOps = EveryOperator<CompareCase>(typeof(ICompareOperator<>), nameof(C));

    public static IEnumerable<TestCaseData> CompareCases() =>
        from op in CompareOps
        from t in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool }
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    public sealed record ReduceCase(string Name, Action<IBackend, Strided, Strided, int[]> Run)
    {
        public override string ToString() => Name;
    }

    private static ReduceCase R<TOp>() where TOp : struct, IReduceOperator<TOp> => new(TOp.Name, (be, x, y, axes) => be.Reduce<TOp>(x, y, axes));

    public static readonly ReduceCase[] ReduceOps = EveryOperator<ReduceCase>(typeof(IReduceOperator<>), nameof(R));

    public static IEnumerable<TestCaseData> ReduceCases() =>
        from op in ReduceOps
        from t in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Int64 }
        select new TestCaseData(op, t).SetArgDisplayNames(op.Name, t.ToString());

    /// <summary>
    /// A broken reflection (a renamed interface, operators moved to another assembly) would give zero cases and a
    /// suite that passes by testing nothing; this fails instead. Duplicate names would merge test cases.
    /// </summary>
    [Test]
    public void OperatorLists_FoundByReflection_AreNonEmptyAndIncludeKnownOperators()
    {
        Assert.That(UnaryOps.Select(o => o.Name), Is.SupersetOf(new[] { "neg", "exp", "log", "gelu" }).And.Unique);
        Assert.That(BinaryOps.Select(o => o.Name), Is.SupersetOf(new[] { "add", "div", "pow" }).And.Unique);
        Assert.That(CompareOps.Select(o => o.Name), Is.SupersetOf(new[] { "eq", "lt" }).And.Unique);
        Assert.That(ReduceOps.Select(o => o.Name), Is.SupersetOf(new[] { "sum", "max", "min" }).And.Unique);
    }

    public static IEnumerable<TestCaseData> CopyCases() =>
        from s in AllTypes from d in AllTypes select new TestCaseData(s, d).SetArgDisplayNames(s.ToString(), d.ToString());

    // ---------------------------------------------------------------- helpers

    private static Func<double> Uniform(Random rng, double lo, double hi, DType dtype) =>
        dtype.IsInteger() ? () => rng.Next((int)lo, (int)hi + 1) : () => lo + (hi - lo) * rng.NextDouble();

    private static HostTensor Output(DType dtype, int[] shape, Layout layout = Layout.Contiguous) =>
        HostTensor.Make(dtype, shape, layout, () => -7.25); // the gaps keep this sentinel unless something writes there

    private void CheckUnary(UnaryCase op, HostTensor x, HostTensor y, DType dtype, string what) =>
        Conformance.Check(backend, $"{op.Name} {what}", Tol.For(dtype), [x, y], (b, v) => op.Run(b, v[0], v[1]), 1);

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
    public void Unary_MatchesReferenceOnIntegers_ForOpsDefinedOnIntegers(UnaryCase op, DType dtype)
    {
        var rng = new Random(13);
        for (int n = 0; n <= 70; n++)
            CheckUnary(op, HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, dtype)), Output(dtype, [n]), dtype, $"length {n}");
        foreach (var shape in OddShapes)
            foreach (var layout in InputLayouts)
                CheckUnary(op, HostTensor.Make(dtype, shape, layout, Uniform(rng, -1000, 1000, dtype)), Output(dtype, shape, Layout.Transposed), dtype, $"{ShapeMath.Format(shape)} {layout}");
        // The extremes of each width, and the first value whose square overflows it (46341^2 > 2^31 - 1, 3037000500^2 > 2^63 - 1).
        double[] extremes = dtype == DType.Int32
            ? [int.MinValue, int.MaxValue, 0, -1, 1, 46341]
            : [-9223372036854775808.0, 1L << 40, 0, -1, 1, 3037000500, int.MinValue, int.MaxValue];
        CheckUnary(op, HostTensor.FromValues(dtype, extremes), Output(dtype, [extremes.Length]), dtype, "extremes");
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
    public void Binary_MatchesReferenceOnIntegers_ForOpsDefinedOnIntegers(BinaryCase op, DType dtype)
    {
        var rng = new Random(24);
        for (int n = 0; n <= 70; n++)
        {
            var a = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, dtype));
            var b = HostTensor.Make(dtype, [n], Layout.Contiguous, Uniform(rng, -1000, 1000, dtype));
            CheckBinary(op, a, b, Output(dtype, [n]), dtype, $"length {n}");
        }
        foreach (var shape in OddShapes)
            foreach (var la in InputLayouts)
                foreach (var lb in new[] { Layout.Contiguous, Layout.Scalar, Layout.Sliced })
                {
                    var a = HostTensor.Make(dtype, shape, la, Uniform(rng, -1000, 1000, dtype));
                    var b = HostTensor.Make(dtype, shape, lb, Uniform(rng, -1000, 1000, dtype));
                    CheckBinary(op, a, b, Output(dtype, shape), dtype, $"{ShapeMath.Format(shape)} {la} x {lb}");
                    CheckBinary(op, b, a, Output(dtype, shape), dtype, $"{ShapeMath.Format(shape)} {lb} x {la}");
                }
        if (dtype == DType.Int64)
        {
            // Beyond Int32's range: 2^40 and friends (exact in a double, so the harness carries them unchanged).
            var big = HostTensor.FromValues(dtype, 1L << 40, -(1L << 41) + 3, 1L << 52, 5_000_000_000);
            var small = HostTensor.FromValues(dtype, 3, 1L << 40, -7, -5_000_000_000);
            CheckBinary(op, big, small, Output(dtype, [4]), dtype, "beyond Int32");
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
}
