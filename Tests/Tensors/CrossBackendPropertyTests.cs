// Property tests: the same tensor-level op on each device (Cpu, OpenCL) and on Device.Reference (the oracle) gives the same result,
// over random shapes (rank 0..4, sizes 0..5, many size-1 dims), broadcast partners, and non-contiguous inputs.
// FsCheck prints the failing case and its seed (replay with [Property(Replay = "...")]).
using DotGrad;
using DotGrad.Backends;
using FsCheck;
using FsCheck.Fluent;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace DotGrad.Tests.Tensors;

[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class CrossBackendPropertyTests
{
    private readonly Device _device;

    public CrossBackendPropertyTests(string device) => _device = Device.Parse(device);

    /// <summary>An absent OpenCL runtime skips this fixture with the reason shown.</summary>
    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private const int Runs = 60;

    // ---- generated inputs ----

    /// <summary>How a random input is laid out: contiguous, with reversed strides (a transpose), or every other element.</summary>
    public enum Layout { Contiguous, Transposed, Strided }

    /// <summary>A random tensor description; <see cref="Make"/> builds the same values on any device from the seed.</summary>
    public sealed record Input(int[] Shape, Layout Layout, int Seed, DType DType)
    {
        public int Rank => Shape.Length;

        public Tensor Make(Device device)
        {
            var g = new Generator((ulong)Seed);
            switch (Layout)
            {
                case Layout.Transposed:
                {
                    // Storage holds the reversed shape; permuting back gives the logical shape with reversed strides.
                    using var b = Draw(Shape.Reverse().ToArray(), g, device);
                    return b.Permute(Enumerable.Range(0, Rank).Reverse().ToArray());
                }
                case Layout.Strided:
                {
                    // Each dim 2n + 1 long, then elements 1, 3, ..., 2n - 1: doubled strides and a non-zero offset.
                    var v = Draw(Shape.Select(s => 2 * s + 1).ToArray(), g, device);
                    for (int d = 0; d < Rank; d++)
                    {
                        var next = v.Slice(d, 1, null, 2);
                        v.Dispose();
                        v = next;
                    }
                    return v;
                }
                default:
                    return Draw(Shape, g, device);
            }
        }

        /// <summary>
        /// Normal values in the dtype; integers are normals scaled and truncated: about +-1000 for Int32, and about
        /// +-10^12 for Int64, beyond Int32's range (their products wrap, alike on every backend).
        /// </summary>
        private Tensor Draw(int[] shape, Generator g, Device device)
        {
            if (!DType.IsInteger()) return Tensor.Randn(shape, g, DType, device);
            using var normal = Tensor.Randn(shape, g, DType.Float64, device);
            using var scaled = normal * (DType == DType.Int32 ? 1000.0 : 1e12);
            return scaled.To(DType);
        }

        public override string ToString() => $"Input(shape [{string.Join(", ", Shape)}], {Layout}, seed {Seed}, {DType})";
    }

    private static readonly Gen<int> Size = Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Constant(1)), (10, Gen.Choose(2, 5)));
    private static readonly Gen<int[]> Shape = Gen.Choose(0, 4).SelectMany(r => Gen.ArrayOf(Size, r));
    private static readonly Gen<DType> FloatType = Gen.Elements(DType.Float32, DType.Float64);
    private static readonly Gen<DType> IntType = Gen.Elements(DType.Int32, DType.Int64);

    private static Gen<Input> InputOf(Gen<int[]> shape, Gen<DType> dtype) =>
        from s in shape
        from layout in Gen.Elements(Layout.Contiguous, Layout.Transposed, Layout.Strided)
        from seed in Gen.Choose(0, int.MaxValue)
        from dt in dtype
        select new Input(s, layout, seed, dt);

    /// <summary>A shape that broadcasts with <paramref name="shape"/>: some leading dims dropped (or, when none are, new
    /// ones added), some dims set to 1.</summary>
    private static Gen<int[]> PartnerOf(int[] shape) =>
        from drop in Gen.Choose(0, shape.Length)
        from ones in Gen.ArrayOf(Gen.Elements(false, false, true), shape.Length)
        from lead in Gen.Elements(new int[][] { [], [], [1], [3], [2, 1] })
        select (drop == 0 ? lead : []).Concat(shape.Select((s, i) => ones[i] ? 1 : s).Skip(drop)).ToArray();

    private static readonly Gen<(Input A, Input B)> BroadcastPair =
        from a in InputOf(Shape, FloatType)
        from p in PartnerOf(a.Shape)
        from b in InputOf(Gen.Constant(p), Gen.Constant(a.DType))
        from swap in Gen.Elements(false, true)
        select swap ? (b, a) : (a, b);

    // ---- comparison ----

    /// <summary>
    /// Runs <paramref name="run"/> on both devices and compares every output tensor: shape, dtype, and values
    /// (NaN matches NaN, infinities must agree). A validation error must happen on both devices alike.
    /// </summary>
    private void SameOnBothBackends(string what, Func<Device, Tensor[]> run)
    {
        Tensor[]? cpu = null, reference = null;
        Exception? cpuError = null, referenceError = null;
        try { cpu = run(_device); } catch (ArgumentException e) { cpuError = e; }
        try { reference = run(Device.Reference); } catch (ArgumentException e) { referenceError = e; }
        if (cpuError is not null || referenceError is not null)
        {
            Assert.That(cpuError?.GetType(), Is.EqualTo(referenceError?.GetType()),
                $"{what}: {_device} threw {cpuError?.Message ?? "nothing"}; reference threw {referenceError?.Message ?? "nothing"}");
            foreach (var t in (cpu ?? []).Concat(reference ?? [])) t.Dispose();
            return;
        }
        try
        {
            Assert.That(cpu!, Has.Length.EqualTo(reference!.Length), what);
            for (int k = 0; k < cpu!.Length; k++)
            {
                var (c, r) = (cpu[k], reference[k]);
                Assert.That(c.Device, Is.EqualTo(_device), what);
                Assert.That(c.Shape, Is.EqualTo(r.Shape), $"{what}: shape of output {k}");
                Assert.That(c.DType, Is.EqualTo(r.DType), $"{what}: dtype of output {k}");
                var cv = Check.Values(c);
                var rv = Check.Values(r);
                double tol = c.DType == DType.Float64 ? 1e-11 : c.DType == DType.Float32 ? 1e-4 : 0;
                for (int i = 0; i < cv.Length; i++)
                {
                    if (double.IsNaN(rv[i]) || double.IsInfinity(rv[i]))
                    {
                        Assert.That(cv[i], Is.EqualTo(rv[i]), $"{what}: output {k} element {i}");
                        continue;
                    }
                    Assert.That(cv[i], Is.EqualTo(rv[i]).Within(tol * (1 + Math.Abs(rv[i]))), $"{what}: output {k} element {i}");
                }
            }
        }
        finally
        {
            foreach (var t in cpu!.Concat(reference!)) t.Dispose();
        }
    }

    /// <summary>Runs a one-input op on both devices with the input made fresh on each.</summary>
    private void Unary(string what, Input x, Func<Tensor, Tensor> op) =>
        SameOnBothBackends($"{what} of {x}", device => { using var t = x.Make(device); return [op(t)]; });

    // ---- properties ----

    private static readonly (string Name, Func<Tensor, Tensor> Op)[] UnaryOps =
    [
        ("neg", x => -x), ("abs", x => x.Abs()), ("sign", x => x.Sign()), ("exp", x => x.Exp()), ("log", x => x.Log()), ("log1p", x => x.Log1p()),
        ("sqrt", x => x.Sqrt()), ("rsqrt", x => x.Rsqrt()), ("reciprocal", x => x.Reciprocal()), ("square", x => x.Square()),
        ("pow 2", x => x.Pow(2)), ("pow 0.5", x => x.Pow(0.5)), ("pow -1.5", x => x.Pow(-1.5)), ("pow 3", x => x.Pow(3)),
        ("sin", x => x.Sin()), ("cos", x => x.Cos()), ("tanh", x => x.Tanh()), ("sigmoid", x => x.Sigmoid()),
        ("relu", x => x.Relu()), ("erf", x => x.Erf()), ("gelu", x => x.Gelu()), ("gelu tanh", x => x.Gelu("tanh")),
        ("silu", x => x.Silu()), ("clamp", x => x.Clamp(-0.5, 0.7)), ("x * 3 - 1", x => x * 3 - 1), ("2 / x", x => 2 / x),
        ("large sigmoid", x => (x * 400).Sigmoid()), ("large silu", x => (x * 400).Silu()),
    ];

    [Property(MaxTest = Runs)]
    public Property EveryUnaryOp_MatchesReference() =>
        Prop.ForAll(InputOf(Shape, FloatType).ToArbitrary(), x =>
        {
            foreach (var (name, op) in UnaryOps) Unary(name, x, op);
        });

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op)[] BinaryOps =
    [
        ("add", (a, b) => a + b), ("sub", (a, b) => a - b), ("mul", (a, b) => a * b), ("div", (a, b) => a / b),
        ("pow", (a, b) => a.Abs().Pow(b)), ("maximum", (a, b) => a.Maximum(b)), ("minimum", (a, b) => a.Minimum(b)),
        ("eq", (a, b) => a.Eq(b.Sign().Mul(a.Abs()))), ("ne", (a, b) => a.Ne(b.Sign().Mul(a.Abs()))), ("lt", (a, b) => a.Lt(b)),
        ("le", (a, b) => a.Le(b)), ("gt", (a, b) => a.Gt(b)), ("ge", (a, b) => a.Ge(b)),
        ("where", (a, b) => Tensor.Where(a.Gt(b), a, b)), ("masked_fill", (a, b) => { using var m = b.Gt(0); using var sum = a + b; return sum.MaskedFill(m, -7); }),
    ];

    [Test]
    public void TheOpLists_NameEveryElementwiseOperator()
    {
        OperatorNames.AssertCovered(typeof(IUnaryOperator<>), UnaryOps.Select(o => o.Name), nameof(UnaryOps));
        OperatorNames.AssertCovered(typeof(IBinaryOperator<>), BinaryOps.Select(o => o.Name), nameof(BinaryOps));
        OperatorNames.AssertCovered(typeof(ICompareOperator<>), BinaryOps.Select(o => o.Name), nameof(BinaryOps));
    }

    [Property(MaxTest = Runs)]
    public Property BinaryOpsWithBroadcasting_MatchesReference() =>
        Prop.ForAll(BroadcastPair.ToArbitrary(), pair =>
        {
            var (a, b) = pair;
            foreach (var (name, op) in BinaryOps)
                SameOnBothBackends($"{name} of {a} and {b}", device =>
                {
                    using var x = a.Make(device);
                    using var y = b.Make(device);
                    return [op(x, y)];
                });
        });

    private static readonly Gen<(Input X, int[]? Dims, bool KeepDim, int Dim)> ReductionCase =
        from x in InputOf(Shape, FloatType)
        from mask in Gen.ArrayOf(Gen.Elements(false, true), x.Rank)
        from all in Gen.Elements(false, false, true)
        from keep in Gen.Elements(false, true)
        from dim in Gen.Choose(-Math.Max(x.Rank, 1), Math.Max(x.Rank, 1) - 1)
        let dims = Enumerable.Range(0, x.Rank).Where(i => mask[i]).Select(i => i % 2 == 0 ? i : i - x.Rank).ToArray()
        select (x, all || dims.Length == 0 ? null : dims, keep, dim);

    [Property(MaxTest = Runs)]
    public Property ReductionsOverRandomDims_MatchesReference() =>
        Prop.ForAll(ReductionCase.ToArbitrary(), c =>
        {
            var (x, dims, keep, dim) = c;
            string on = $"{x}, dims {(dims is null ? "all" : "[" + string.Join(", ", dims) + "]")}, keepDim {keep}";
            Unary($"sum over {on}", x, t => t.Sum(dims, keep));
            Unary($"mean over {on}", x, t => t.Mean(dims, keep));
            Unary($"amax over {on}", x, t => t.Amax(dims, keep));
            Unary($"amin over {on}", x, t => t.Amin(dims, keep));
            Unary($"var over {on}", x, t => t.Var(dims, 1, keep));
            Unary($"std (correction 0) over {on}", x, t => t.Std(dims, 0, keep));
            Unary($"logsumexp over {on}", x, t => t.LogSumExp(dims, keep));
            foreach (var p in new[] { 1, 2, 3, 0, double.PositiveInfinity })
                Unary($"norm {p} over {on}", x, t => t.Norm(p, dims, keep));
            SameOnBothBackends($"max along {dim} of {x}", device =>
            {
                using var t = x.Make(device);
                var (v, i) = t.Max(dim, keep);
                return [v, i];
            });
            Unary($"argmin along {dim} of {x}", x, t => t.Argmin(dim, keep));
            Unary($"argmax of {x}", x, t => t.Argmax());
        });

    [Property(MaxTest = Runs)]
    public Property SoftmaxAndLogSoftmax_MatchesReference() =>
        Prop.ForAll(ReductionCase.ToArbitrary(), c =>
        {
            var (x, _, _, dim) = c;
            Unary($"softmax along {dim}", x, t => t.Softmax(dim));
            Unary($"log_softmax along {dim}", x, t => t.LogSoftmax(dim));
            Unary($"softmax of large logits along {dim}", x, t => (t * 1000).Softmax(dim));
        });

    /// <summary>A matmul operand: optional batch dims, a matrix (maybe stored transposed) or a vector.</summary>
    private static Tensor Operand(Input batch, int rows, int cols, bool vector, bool transposed, Device device, bool isLeft)
    {
        var g = new Generator((ulong)batch.Seed);
        if (vector) return Tensor.Randn([isLeft ? cols : rows], g, batch.DType, device);
        if (!transposed) return Tensor.Randn([.. batch.Shape, rows, cols], g, batch.DType, device);
        using var stored = Tensor.Randn([.. batch.Shape, cols, rows], g, batch.DType, device);
        return stored.MT;
    }

    private static readonly Gen<int> MatDim = Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Constant(1)), (10, Gen.Choose(2, 7)));

    [Property(MaxTest = Runs)]
    public Property MatMulBatchedAndBroadcast_MatchesReference() =>
        Prop.ForAll(
            (from a in InputOf(Gen.Choose(0, 2).SelectMany(r => Gen.ArrayOf(Size, r)), FloatType)
             from pb in PartnerOf(a.Shape)
             from b in InputOf(Gen.Constant(pb), Gen.Constant(a.DType))
             from m in MatDim
             from k in MatDim
             from n in MatDim
             from flags in Gen.ArrayOf(Gen.Elements(false, true), 4)
             from vectors in Gen.Elements(0, 0, 0, 1, 2, 3)
             select (a, b, m, k, n, flags, vectors)).ToArbitrary(),
            c =>
            {
                var (a, b, M, K, N, f, vectors) = c;
                bool vecA = vectors is 1 or 3, vecB = vectors is 2 or 3;
                string what = $"matmul [{string.Join(", ", a.Shape)}] x [{M}, {K}]{(f[0] ? "ᵀ" : "")}{(vecA ? " as vector" : "")} @ [{string.Join(", ", b.Shape)}] x [{K}, {N}]{(f[1] ? "ᵀ" : "")}{(vecB ? " as vector" : "")}, {a.DType}";
                SameOnBothBackends(what, device =>
                {
                    using var x = Operand(a, M, K, vecA, f[0], device, isLeft: true);
                    using var y = Operand(b, K, N, vecB, f[1], device, isLeft: false);
                    return [x.MatMul(y)];
                });
            });

    [Property(MaxTest = Runs)]
    public Property Cat_MatchesReference() =>
        Prop.ForAll(
            (from s in Gen.Choose(1, 4).SelectMany(r => Gen.ArrayOf(Size, r))
             from dim in Gen.Choose(-s.Length, s.Length - 1)
             from lengths in Gen.ArrayOf(Gen.Choose(0, 4), 3)
             from parts in Gen.Choose(1, 3)
             from inputs in Gen.CollectToArray(Enumerable.Range(0, parts), i =>
                 InputOf(Gen.Constant(s.Select((v, d) => d == (dim + s.Length) % s.Length ? lengths[i] : v).ToArray()), Gen.Constant(DType.Float32)))
             from dtype in Gen.Elements(DType.Float32, DType.Int64)
             select (inputs.Select(i => i with { DType = dtype }).ToArray(), dim)).ToArbitrary(),
            c =>
            {
                var (inputs, dim) = c;
                SameOnBothBackends($"cat along {dim} of {string.Join(", ", inputs.Select(i => i.ToString()))}", device =>
                {
                    var ts = inputs.Select(i => i.Make(device)).ToList();
                    try { return [Tensor.Cat(ts, dim), Tensor.Stack([ts[0], ts[0]], dim)]; }
                    finally { ts.ForEach(t => t.Dispose()); }
                });
            });

    [Property(MaxTest = Runs)]
    public Property Pad_MatchesReference() =>
        Prop.ForAll(
            (from x in InputOf(Gen.Choose(1, 4).SelectMany(r => Gen.ArrayOf(Size, r)), FloatType)
             from n in Gen.Choose(1, x.Rank)
             from raw in Gen.ArrayOf(Gen.Choose(-3, 3), 2 * n)
             from value in Gen.Elements(0.0, -1.5, double.NegativeInfinity)
             select (x, raw, value)).ToArbitrary(),
            c =>
            {
                var (x, pads, value) = c;
                // Keep each padded size non-negative: raise 'after' as needed.
                pads = (int[])pads.Clone();
                for (int i = 0; i < pads.Length / 2; i++)
                {
                    int size = x.Shape[x.Rank - 1 - i];
                    pads[2 * i + 1] = Math.Max(pads[2 * i + 1], -(size + pads[2 * i]));
                }
                Unary($"pad [{string.Join(", ", pads)}] with {value}", x, t => t.Pad(pads, value));
            });

    [Property(MaxTest = Runs)]
    public Property GatherScatterAddIndexSelect_MatchesReference() =>
        Prop.ForAll(
            (from x in InputOf(Gen.Choose(1, 4).SelectMany(r => Gen.ArrayOf(Size, r)), FloatType)
             from dim in Gen.Choose(0, x.Rank - 1)
             from idxShape in Gen.CollectToArray(Enumerable.Range(0, x.Rank), d => d == dim
                 ? (x.Shape[d] == 0 ? Gen.Constant(0) : Gen.Choose(1, 4))
                 : Gen.Frequency((1, Gen.Choose(0, x.Shape[d])), (3, Gen.Constant(x.Shape[d]))))
             from seed in Gen.Choose(0, int.MaxValue)
             from indexType in IntType
             select (x, dim, idxShape, seed, indexType)).ToArbitrary(),
            c =>
            {
                var (x, dim, idxShape, seed, indexType) = c;
                int size = x.Shape[dim];
                var rng = new Random(seed);
                var idx = Enumerable.Range(0, idxShape.Aggregate(1, (p, s) => p * s)).Select(_ => size == 0 ? 0 : rng.Next(size)).ToArray();
                var rows = Enumerable.Range(0, Math.Min(size, 1) * 4).Select(_ => rng.Next(size)).ToArray();
                string what = $"{x}, dim {dim}, {indexType} index shape [{string.Join(", ", idxShape)}]";
                // The same positions as Int32 and as Int64 indices must select the same elements: both results come back.
                Tensor Index(int[] values, int[] shape, Device device, DType dtype) => dtype == DType.Int32
                    ? Tensor.FromArray(values, shape, device)
                    : Tensor.FromArray(values.Select(v => (long)v).ToArray(), shape, device);
                Tensor[] BothIndexTypes(Device device, Func<Tensor, Tensor> op, int[] values, int[] shape)
                {
                    using var i = Index(values, shape, device, indexType);
                    using var i32 = Index(values, shape, device, DType.Int32);
                    var (y, y32) = (op(i), op(i32));
                    Assert.That(Check.Values(y), Is.EqualTo(Check.Values(y32)), $"{what}: {indexType} and Int32 indices select the same elements on {device}");
                    return [y, y32];
                }
                SameOnBothBackends($"gather {what}", device =>
                {
                    using var t = x.Make(device);
                    return BothIndexTypes(device, i => t.Gather(dim, i), idx, idxShape);
                });
                SameOnBothBackends($"scatter_add {what}", device =>
                {
                    using var t = x.Make(device);
                    using var src = Tensor.Randn(idxShape, new Generator((ulong)seed), x.DType, device);
                    return BothIndexTypes(device, i => t.ScatterAdd(dim, i, src), idx, idxShape);
                });
                SameOnBothBackends($"index_select {what}", device =>
                {
                    using var t = x.Make(device);
                    return BothIndexTypes(device, i => t.IndexSelect(dim, i), rows, [rows.Length]);
                });
            });

    private static readonly (string Name, Func<Tensor, Tensor> Op)[] IntegerUnaryOps =
    [
        ("neg", x => -x), ("abs", x => x.Abs()), ("sign", x => x.Sign()), ("square", x => x.Square()), ("relu", x => x.Relu()),
        ("x * 3 - 1", x => x * 3 - 1), ("x / 7 (true division: Float32)", x => x / 7), ("x + 0.5 (Float32)", x => x + 0.5),
        ("sum", x => x.Sum()), ("sum dim 0 keepdim", x => x.Rank == 0 ? x.Sum() : x.Sum(0, keepDim: true)),
        ("amax", x => x.Count == 0 ? x.Sum() : x.Amax()), ("amin", x => x.Count == 0 ? x.Sum() : x.Amin()),
        ("argmax", x => x.Count == 0 ? x.Sum() : x.Argmax()), ("to Float64", x => x.To(DType.Float64)), ("to Int32", x => x.To(DType.Int32)),
        ("to Int64", x => x.To(DType.Int64)), ("to Float32", x => x.To(DType.Float32)), ("to BFloat16 and back", x => x.To(DType.BFloat16).To(DType.Float32)),
        ("contiguous", x => x.Contiguous()), ("cat", x => Tensor.Cat([x.Rank == 0 ? x.Unsqueeze(0) : x, x.Rank == 0 ? x.Unsqueeze(0) : x])),
    ];

    private static readonly Gen<(Input A, Input B)> IntegerBroadcastPair =
        from a in InputOf(Shape, IntType)
        from p in PartnerOf(a.Shape)
        from bType in IntType
        from b in InputOf(Gen.Constant(p), Gen.Constant(bType))
        from swap in Gen.Elements(false, true)
        select swap ? (b, a) : (a, b);

    /// <summary>
    /// Int32 and Int64 through the integer operators, reductions, casts and promotions, against the reference: exact
    /// (integers wrap alike everywhere), except where an op promotes to Float32 (true division, a fractional scalar).
    /// </summary>
    [Property(MaxTest = Runs)]
    public Property IntegerOps_OnInt32AndInt64_MatchReference() =>
        Prop.ForAll(IntegerBroadcastPair.ToArbitrary(), pair =>
        {
            var (a, b) = pair;
            foreach (var (name, op) in IntegerUnaryOps) Unary(name, a, op);
            foreach (var (name, op) in BinaryOps.Where(o => o.Name is not ("pow" or "masked_fill")))
                SameOnBothBackends($"{name} of {a} and {b}", device =>
                {
                    using var x = a.Make(device);
                    using var y = b.Make(device);
                    return [op(x, y)];
                });
        });
}
