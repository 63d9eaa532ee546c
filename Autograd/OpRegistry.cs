// The registry of differentiable ops: each with a sampler of valid random inputs, so gradient checks (and any other
// property) can be run over every op, every backend and random shapes and layouts, and a new op cannot go unchecked.
using DotGrad.Backends;
using F = DotGrad.Autodiff.Functions;

namespace DotGrad.Autodiff;

/// <summary>
/// One differentiable op: a name, its family, the op applied to sample inputs, a sampler of valid inputs, whether its
/// second derivative is defined and smooth where the sampler draws (so gradgradcheck applies), and the
/// <see cref="Function"/> classes it exercises (for the coverage check).
/// </summary>
public sealed record OpSpec(string Name, string Family, Func<Tensor[], Tensor> Apply, Func<Generator, OpSample> Sample,
                            bool TwiceDifferentiable, Type[] Functions)
{
    public override string ToString() => Name;
}

/// <summary>How a sample input is laid out in memory.</summary>
public enum SampleLayout
{
    /// <summary>Row-major, no gaps.</summary>
    Contiguous,

    /// <summary>All dims reversed in memory (a permuted view with reversed strides).</summary>
    Transposed,

    /// <summary>Every other element of a larger buffer, from element 1 on (doubled strides, non-zero offset).</summary>
    Strided,
}

/// <summary>
/// Inputs an op accepts: values (Float64 for the differentiable ones; Int32 indices and Bool masks as constants), each
/// with a memory layout. <see cref="Inputs"/> are on <see cref="Device.Cpu"/>; <see cref="On"/> builds fresh copies with
/// the same values and layouts on any device, the floating-point ones requiring grad.
/// </summary>
public sealed class OpSample
{
    private readonly (Tensor Values, SampleLayout Layout)[] _parts;

    /// <summary>A sample from contiguous values and the layout each input should have.</summary>
    public OpSample(IEnumerable<(Tensor Values, SampleLayout Layout)> parts, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(parts);
        _parts = parts.ToArray();
        Eps = eps;
        Inputs = _parts.Select(p => Materialize(p.Values, p.Layout, Device.Cpu)).ToArray();
    }

    /// <summary>The inputs on the CPU, laid out as sampled; they do not require grad.</summary>
    public Tensor[] Inputs { get; }

    /// <summary>The finite-difference step a gradient check should use (larger for ops that round through Float32).</summary>
    public double Eps { get; }

    /// <summary>The layout of each input.</summary>
    public IReadOnlyList<SampleLayout> Layouts => _parts.Select(p => p.Layout).ToArray();

    /// <summary>New leaf tensors on <paramref name="device"/> with the same values and layouts; floating ones require grad.</summary>
    public Tensor[] On(Device device, bool requireGrad = true) =>
        _parts.Select(p =>
        {
            var t = Materialize(p.Values, p.Layout, device);
            return requireGrad && t.DType.IsFloatingPoint() ? t.RequireGrad() : t;
        }).ToArray();

    private static Tensor Materialize(Tensor values, SampleLayout layout, Device device)
    {
        using var noGrad = Autograd.Pause();
        using var moved = values.To(device);
        if (layout == SampleLayout.Transposed && values.Rank >= 2)
        {
            // Storage holds the reversed shape; permuting back gives the logical shape with reversed strides.
            var reverse = Enumerable.Range(0, values.Rank).Reverse().ToArray();
            using var p = moved.Permute(reverse);
            using var c = p.Clone();
            return c.Permute(reverse);
        }
        if (layout == SampleLayout.Strided && values.Rank >= 1)
        {
            using var big = Tensor.Zeros(values.ShapeRef.Select(s => 2 * s + 1).ToArray(), values.DType, device);
            var v = big.Slice(0, 1, null, 2);
            for (int d = 1; d < values.Rank; d++)
            {
                var next = v.Slice(d, 1, null, 2);
                v.Dispose();
                v = next;
            }
            RawOps.CopyInto(v, moved, "OpSample");
            return v;
        }
        return moved.Clone();
    }

    public override string ToString() =>
        string.Join("; ", _parts.Select((p, i) => $"input {i}: {ShapeMath.Format(p.Values.ShapeRef)} {p.Values.DType} {p.Layout}"));
}

/// <summary>
/// Every differentiable op with a sampler of valid inputs: small random shapes (rank up to 4, sizes 1..3, size-1 and
/// broadcast dims), contiguous and non-contiguous layouts, and values away from kinks and singularities (relu/abs at 0,
/// clamp bounds, ties in max/min, log/sqrt of non-positive numbers, division by zero). The gradient property tests run
/// over <see cref="All"/>.
/// </summary>
public static class OpRegistry
{
    /// <summary>Every registered op.</summary>
    public static IReadOnlyList<OpSpec> All { get; } = Build();

    /// <summary>The op with this name.</summary>
    public static OpSpec Get(string name) => All.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"OpRegistry: no op named '{name}'; the registered ones are {string.Join(", ", All.Select(o => o.Name))}", nameof(name));

    private static List<OpSpec> Build()
    {
        var ops = new List<OpSpec>();
        void Op(string name, string family, Func<Tensor[], Tensor> apply, Func<Draw, OpSample> sample, bool twice, params Type[] fns) =>
            ops.Add(new OpSpec(name, family, apply, g => sample(new Draw(g)), twice, fns));

        // ---- unary ----
        Op("neg", "unary", x => x[0].Neg(), d => d.Unary(-2, 2), true, typeof(F.Neg));
        Op("abs", "unary", x => x[0].Abs(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), false, typeof(F.Abs), typeof(F.Sign));
        Op("sign", "unary", x => x[0].Sign(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), false, typeof(F.Sign));
        Op("exp", "unary", x => x[0].Exp(), d => d.Unary(-2, 2), true, typeof(F.Exp));
        Op("log", "unary", x => x[0].Log(), d => d.Unary(0.2, 3), true, typeof(F.Log));
        Op("sqrt", "unary", x => x[0].Sqrt(), d => d.Unary(0.2, 3), true, typeof(F.Sqrt));
        Op("rsqrt", "unary", x => x[0].Rsqrt(), d => d.Unary(0.2, 3), true, typeof(F.Rsqrt));
        Op("reciprocal", "unary", x => x[0].Reciprocal(), d => d.One(d.Magnitude(d.Shape(), 0.3, 2)), true, typeof(F.Reciprocal));
        Op("square", "unary", x => x[0].Square(), d => d.Unary(-2, 2), true, typeof(F.Square));
        Op("sin", "unary", x => x[0].Sin(), d => d.Unary(-3, 3), true, typeof(F.Sin));
        Op("cos", "unary", x => x[0].Cos(), d => d.Unary(-3, 3), true, typeof(F.Cos));
        Op("tanh", "unary", x => x[0].Tanh(), d => d.Unary(-2, 2), true, typeof(F.Tanh));
        Op("sigmoid", "unary", x => x[0].Sigmoid(), d => d.Unary(-3, 3), true, typeof(F.Sigmoid));
        Op("relu", "unary", x => x[0].Relu(), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), false, typeof(F.Relu));
        Op("erf", "unary", x => x[0].Erf(), d => d.Unary(-2, 2), true, typeof(F.Erf));
        Op("gelu", "unary", x => x[0].Gelu(), d => d.Unary(-3, 3), true, typeof(F.Gelu));
        Op("gelu_tanh", "unary", x => x[0].Gelu("tanh"), d => d.Unary(-3, 3), true, typeof(F.GeluTanh));
        Op("silu", "unary", x => x[0].Silu(), d => d.Unary(-3, 3), true, typeof(F.Silu));
        Op("pow_scalar", "unary", x => x[0].Pow(2.5), d => d.Unary(0.3, 2), true, typeof(F.Pow));
        Op("pow_scalar_negative_base", "unary", x => x[0].Pow(3.0), d => d.Unary(-2, 2), true, typeof(F.Pow));
        Op("clamp", "unary", x => x[0].Clamp(-0.5, 0.5), d => d.One(d.AwayFrom(d.Shape(), -2, 2, [-0.5, 0.5], 0.05)), false, typeof(F.Clamp));
        Op("clamp_min", "unary", x => x[0].Clamp(min: 0.25), d => d.One(d.AwayFrom(d.Shape(), -2, 2, [0.25], 0.05)), false, typeof(F.Clamp));

        // ---- binary (broadcasting goes through Expand) ----
        Op("add", "binary", x => x[0] + x[1], d => d.Pair(-2, 2, -2, 2), true, typeof(F.Add), typeof(F.Expand));
        Op("sub", "binary", x => x[0] - x[1], d => d.Pair(-2, 2, -2, 2), true, typeof(F.Sub), typeof(F.Expand));
        Op("mul", "binary", x => x[0] * x[1], d => d.Pair(-2, 2, -2, 2), true, typeof(F.Mul), typeof(F.Expand));
        Op("div", "binary", x => x[0] / x[1], d => d.PairDivisor(), true, typeof(F.Div), typeof(F.Expand));
        Op("pow", "binary", x => x[0].Pow(x[1]), d => d.Pair(0.3, 2, -2, 2), true, typeof(F.Pow), typeof(F.Expand));
        Op("maximum", "binary", x => x[0].Maximum(x[1]), d => d.DistinctPair(), false, typeof(F.Maximum), typeof(F.Expand));
        Op("minimum", "binary", x => x[0].Minimum(x[1]), d => d.DistinctPair(), false, typeof(F.Minimum), typeof(F.Expand));
        Op("where", "binary", x => Tensor.Where(x[0], x[1], x[2]), d => d.WhereSample(), true, typeof(F.Where), typeof(F.Expand));
        Op("masked_fill", "binary", x => x[0].MaskedFill(x[1], 1.5), d => d.MaskedFillSample(), true, typeof(F.Where), typeof(F.Expand));

        // ---- views, copies, casts ----
        Op("reshape", "view", x => x[0].Reshape(x[0].Shape.Reverse().ToArray()), d => d.Unary(-2, 2), true, typeof(F.Reshape));
        Op("permute", "view", x => x[0].Permute(Enumerable.Range(0, x[0].Rank).Reverse().ToArray()), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Permute));
        Op("transpose", "view", x => x[0].Transpose(0, -1), d => d.Unary(-2, 2, minRank: 2), true, typeof(F.Permute));
        Op("expand", "view", x => x[0].Expand([2, .. x[0].Shape.Select(s => s == 1 ? 3 : s)]), d => d.Unary(-2, 2), true, typeof(F.Expand));
        Op("narrow", "view", x => x[0].Narrow(-1, x[0].Size(-1) - 2, 2), d => d.Unary(-2, 2, minRank: 1, minLast: 2), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("slice_step", "view", x => x[0].Slice(-1, 0, null, 2), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("slice_offset_step", "view", x => x[0].Slice(0, 1, null, 2), d => d.Unary(-2, 2, minRank: 1, minFirst: 2), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("squeeze", "view", x => x[0].Squeeze(), d => d.Unary(-2, 2), true, typeof(F.Reshape));
        Op("squeeze_dim", "view", x => x[0].Squeeze(0), d => d.Unary(-2, 2, minRank: 1, firstIsOne: true), true, typeof(F.Reshape));
        Op("unsqueeze", "view", x => x[0].Unsqueeze(0), d => d.Unary(-2, 2, maxRank: 3), true, typeof(F.Reshape));
        Op("flatten", "view", x => x[0].Flatten(), d => d.Unary(-2, 2), true, typeof(F.Reshape));
        Op("index", "view", x => x[0][^1], d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Slice), typeof(F.Reshape), typeof(F.SliceBackward));
        Op("index_range_newaxis", "view", x => x[0][TensorIndex.Ellipsis, 1.., TensorIndex.NewAxis], d => d.Unary(-2, 2, minRank: 1, minLast: 2), true,
           typeof(F.Slice), typeof(F.Reshape), typeof(F.SliceBackward));
        Op("contiguous", "view", x => x[0].Contiguous(), d => d.Unary(-2, 2), true, typeof(F.Identity));
        Op("clone", "view", x => x[0].Clone(), d => d.Unary(-2, 2), true, typeof(F.Identity));
        // Float64 -> Float32 -> Float64: the round trip rounds to Float32, so the finite-difference step is larger.
        Op("cast_float32_float64", "view", x => x[0].To(DType.Float32).To(DType.Float64), d => d.One(d.Uniform(d.Shape(), -2, 2), eps: 1e-3), true, typeof(F.Cast));
        Op("to_device", "view", x => x[0].To(x[0].Device == Device.Cpu ? Device.Reference : Device.Cpu).To(x[0].Device), d => d.Unary(-2, 2), true, typeof(F.ToDevice));

        // ---- reductions ----
        Op("sum", "reduce", x => x[0].Sum(), d => d.Unary(-2, 2), true, typeof(F.Sum));
        Op("sum_dim", "reduce", x => x[0].Sum(-1), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Sum));
        Op("sum_dims_keepdim", "reduce", x => x[0].Sum([0, -1], keepDim: true), d => d.Unary(-2, 2, minRank: 2), true, typeof(F.Sum));
        Op("mean", "reduce", x => x[0].Mean(), d => d.Unary(-2, 2), true, typeof(F.Mean), typeof(F.Sum), typeof(F.Mul));
        Op("mean_dim", "reduce", x => x[0].Mean(0, keepDim: true), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Mean), typeof(F.Sum), typeof(F.Mul));
        Op("amax", "reduce", x => x[0].Amax(), d => d.One(d.Distinct(d.Shape())), false, typeof(F.Amax));
        Op("amax_dim", "reduce", x => x[0].Amax([-1]), d => d.One(d.Distinct(d.Shape(minRank: 1))), false, typeof(F.Amax));
        Op("amin", "reduce", x => x[0].Amin(), d => d.One(d.Distinct(d.Shape())), false, typeof(F.Amin));
        Op("amin_dims_keepdim", "reduce", x => x[0].Amin([0, -1], keepDim: true), d => d.One(d.Distinct(d.Shape(minRank: 2))), false, typeof(F.Amin));
        Op("max_dim", "reduce", x => x[0].Max(-1).Values, d => d.One(d.Distinct(d.Shape(minRank: 1))), false, typeof(F.MaxDim));
        Op("min_dim", "reduce", x => x[0].Min(0, keepDim: true).Values, d => d.One(d.Distinct(d.Shape(minRank: 1))), false, typeof(F.MinDim));
        Op("var", "reduce", x => x[0].Var(), d => d.Unary(-2, 2, minLast: 2, minRank: 1), true, typeof(F.Var), typeof(F.Mean), typeof(F.Sum));
        Op("var_dim", "reduce", x => x[0].Var(-1, keepDim: true), d => d.Unary(-2, 2, minRank: 1, minLast: 2), true, typeof(F.Var), typeof(F.Mean), typeof(F.Sum));
        Op("var_population", "reduce", x => x[0].Var(0, correction: 0), d => d.Unary(-2, 2, minRank: 1, minFirst: 2), true, typeof(F.Var), typeof(F.Mean), typeof(F.Sum));
        Op("std", "reduce", x => x[0].Std(), d => d.One(d.Distinct(d.Shape(minRank: 1, minLast: 2))), true, typeof(F.Std), typeof(F.Var), typeof(F.Sqrt));
        Op("std_dim", "reduce", x => x[0].Std(-1), d => d.One(d.Distinct(d.Shape(minRank: 1, minLast: 2))), true, typeof(F.Std), typeof(F.Var), typeof(F.Sqrt));
        Op("logsumexp", "reduce", x => x[0].LogSumExp(), d => d.Unary(-2, 2), true, typeof(F.LogSumExp));
        Op("logsumexp_dim", "reduce", x => x[0].LogSumExp(-1, keepDim: true), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.LogSumExp));
        Op("norm_1", "reduce", x => x[0].Norm(1), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), true, typeof(F.Norm), typeof(F.Abs));
        Op("norm_2", "reduce", x => x[0].Norm(2), d => d.Unary(-2, 2), true, typeof(F.Norm), typeof(F.Sqrt));
        Op("norm_2_dim", "reduce", x => x[0].Norm(2, [-1]), d => d.One(d.Magnitude(d.Shape(minRank: 1), 0.2, 2)), true, typeof(F.Norm), typeof(F.Sqrt));
        Op("norm_3", "reduce", x => x[0].Norm(3), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), true, typeof(F.Norm), typeof(F.Pow), typeof(F.Abs));
        Op("norm_inf", "reduce", x => x[0].Norm(double.PositiveInfinity), d => d.One(d.DistinctMagnitude(d.Shape())), false, typeof(F.Norm), typeof(F.Amax), typeof(F.Abs));
        Op("softmax", "reduce", x => x[0].Softmax(-1), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Softmax));
        Op("softmax_dim0", "reduce", x => x[0].Softmax(0), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Softmax));
        Op("log_softmax", "reduce", x => x[0].LogSoftmax(-1), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.LogSoftmax));

        // ---- matmul ----
        Op("matmul_1d", "matmul", x => x[0].MatMul(x[1]), d => d.MatMul([], [], true), true, typeof(F.MatMul));
        Op("matmul_2d", "matmul", x => x[0].MatMul(x[1]), d => d.MatMul([], [], false), true, typeof(F.MatMul));
        Op("matmul_vector_matrix", "matmul", x => x[0].MatMul(x[1]), d => d.MatMulVector(vectorFirst: true), true, typeof(F.MatMul));
        Op("matmul_matrix_vector", "matmul", x => x[0].MatMul(x[1]), d => d.MatMulVector(vectorFirst: false), true, typeof(F.MatMul));
        Op("matmul_batched", "matmul", x => x[0].MatMul(x[1]), d => d.MatMul([2], [2], false), true, typeof(F.MatMul));
        Op("matmul_broadcast", "matmul", x => x[0].MatMul(x[1]), d => d.MatMul([2, 1], [3], false), true, typeof(F.MatMul));

        // ---- indexing ----
        Op("index_select", "index", x => x[0].IndexSelect(0, x[1]), d => d.IndexSelectSample(0), true, typeof(F.IndexSelect));
        Op("index_select_last", "index", x => x[0].IndexSelect(-1, x[1]), d => d.IndexSelectSample(-1), true, typeof(F.IndexSelect));
        Op("gather", "index", x => x[0].Gather(-1, x[1]), d => d.GatherSample(), true, typeof(F.Gather));
        Op("scatter_add", "index", x => x[0].ScatterAdd(0, x[1], x[2]), d => d.ScatterAddSample(), true, typeof(F.ScatterAdd));

        // ---- movement ----
        Op("cat", "movement", x => Tensor.Cat(x, -1), d => d.CatSample(dim: -1), true, typeof(F.Cat));
        Op("cat_dim0", "movement", x => Tensor.Cat(x, 0), d => d.CatSample(dim: 0), true, typeof(F.Cat));
        Op("stack", "movement", x => Tensor.Stack(x, 0), d => d.StackSample(), true, typeof(F.Stack), typeof(F.Cat), typeof(F.Reshape));
        Op("split_piece", "movement", x => x[0].Split(2, -1)[^1], d => d.Unary(-2, 2, minRank: 1, minLast: 2), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("split_sizes_piece", "movement", x => x[0].Split([1, x[0].Size(0) - 1], 0)[1], d => d.Unary(-2, 2, minRank: 1, minFirst: 2), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("chunk_piece", "movement", x => x[0].Chunk(2, 0)[0], d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Slice), typeof(F.SliceBackward));
        Op("pad", "movement", x => x[0].Pad([1, 2], 0.5), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.Pad));
        Op("pad_crop", "movement", x => x[0].Pad([-1, 1, 1, 0]), d => d.Unary(-2, 2, minRank: 2, minLast: 2), true, typeof(F.Pad));
        Op("repeat", "movement", x => x[0].Repeat([2, .. Enumerable.Range(0, x[0].Rank).Select(i => i % 2 == 0 ? 2 : 1)]), d => d.Unary(-2, 2, maxRank: 3), true, typeof(F.Repeat));
        Op("tril", "movement", x => x[0].Tril(), d => d.Unary(-2, 2, minRank: 2), true, typeof(F.Triangle));
        Op("triu", "movement", x => x[0].Triu(1), d => d.Unary(-2, 2, minRank: 2), true, typeof(F.Triangle));

        // ---- composites (Functional) and their fused versions ----
        Op("cross_entropy", "nn", x => Functional.CrossEntropy(x[0], x[1]), d => d.CrossEntropySample(ignore: false), true, typeof(F.CrossEntropyFused));
        Op("cross_entropy_smoothing_ignore_sum", "nn", x => Functional.CrossEntropy(x[0], x[1], labelSmoothing: 0.1, reduction: "sum"),
           d => d.CrossEntropySample(ignore: true), true, typeof(F.CrossEntropyFused));
        Op("cross_entropy_composite", "nn", x => Functional.CrossEntropyComposite(x[0], x[1], labelSmoothing: 0.2),
           d => d.CrossEntropySample(ignore: true), true, typeof(F.LogSoftmax), typeof(F.Gather));
        Op("layer_norm", "nn", x => Functional.LayerNorm(x[0], x[1], x[2]), d => d.NormSample(withBias: true), true, typeof(F.LayerNormFused));
        Op("layer_norm_weight_only", "nn", x => Functional.LayerNorm(x[0], x[1]), d => d.NormSample(withBias: false), true, typeof(F.LayerNormFused));
        Op("layer_norm_no_affine", "nn", x => Functional.LayerNorm(x[0]), d => d.Unary(-2, 2, minRank: 1, maxRank: 3, minLast: 2), true, typeof(F.LayerNormFused));
        Op("layer_norm_last_two_dims", "nn", x => Functional.LayerNorm(x[0], x[1], x[2], normalizedShape: x[1].Shape), d => d.NormSample(withBias: true, dims: 2), true,
           typeof(F.LayerNormFused), typeof(F.Reshape));
        Op("layer_norm_composite", "nn", x => Functional.LayerNormComposite(x[0], x[1], x[2]), d => d.NormSample(withBias: true), true, typeof(F.Mean), typeof(F.Rsqrt));
        Op("layer_norm_composite_last_two_dims", "nn", x => Functional.LayerNormComposite(x[0], x[1], x[2], normalizedShape: x[1].Shape),
           d => d.NormSample(withBias: true, dims: 2), true, typeof(F.Mean), typeof(F.Rsqrt));
        Op("rms_norm", "nn", x => Functional.RmsNorm(x[0], x[1]), d => d.NormSample(withBias: false), true, typeof(F.Mean), typeof(F.Rsqrt));
        Op("mse", "nn", x => Functional.Mse(x[0], x[1]), d => d.SameShapePair(), true, typeof(F.Sub), typeof(F.Square));
        Op("z_loss", "nn", x => Functional.ZLoss(x[0], 0.5), d => d.Unary(-2, 2, minRank: 1), true, typeof(F.LogSumExp));
        Op("attention", "nn", x => Functional.ScaledDotProductAttention(x[0], x[1], x[2]), d => d.AttentionSample(), true, typeof(F.MatMul), typeof(F.Softmax));
        Op("attention_causal", "nn", x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], causal: true), d => d.AttentionSample(), true,
           typeof(F.MatMul), typeof(F.Softmax), typeof(F.Where));
        return ops;
    }

    /// <summary>
    /// Random draws for the samplers, reproducible from a <see cref="Generator"/>'s seed and offset: shapes with each
    /// dim 1..3 and at most ~36 elements (full Jacobians stay cheap), layouts, and values in safe ranges.
    /// </summary>
    private sealed class Draw
    {
        private const int MaxCount = 36;
        private readonly Random _rng;

        public Draw(Generator g)
        {
            // Mix the seed and a fresh counter into a System.Random seed (both are deterministic across runs).
            ulong h = g.Seed * 0x9E3779B97F4A7C15UL + (g.Advance(1) + 1) * 0xBF58476D1CE4E5B9UL;
            h ^= h >> 31;
            h *= 0x94D049BB133111EBUL;
            h ^= h >> 29;
            _rng = new Random((int)(h & 0x7FFFFFFF));
        }

        public int[] Shape(int minRank = 0, int maxRank = 4, int minLast = 1, int minFirst = 1, bool firstIsOne = false)
        {
            int rank = _rng.Next(minRank, maxRank + 1);
            var s = new int[rank];
            for (int i = 0; i < rank; i++) s[i] = _rng.Next(3) == 0 ? 1 : _rng.Next(1, 4); // size-1 dims are common
            if (rank > 0)
            {
                s[^1] = Math.Max(s[^1], minLast);
                s[0] = firstIsOne ? 1 : Math.Max(s[0], minFirst);
            }
            while (ShapeMath.Count(s) > MaxCount)
            {
                int d = _rng.Next(rank);
                bool pinned = (d == rank - 1 && s[d] <= minLast) || (d == 0 && s[d] <= minFirst);
                if (s[d] > 1 && !pinned) s[d]--;
            }
            return s;
        }

        /// <summary>A shape that broadcasts with <paramref name="shape"/>: leading dims dropped or added, some dims set to 1.</summary>
        public int[] Partner(int[] shape, bool mayGrow = true)
        {
            int drop = _rng.Next(shape.Length + 1);
            int[] lead = mayGrow && drop == 0 && _rng.Next(3) == 0 ? [_rng.Next(1, 3)] : [];
            var rest = shape.Skip(drop).Select(s => _rng.Next(3) == 0 ? 1 : s);
            var kept = rest.ToArray();
            var p = lead.Concat(kept).ToArray();
            // A leading dim may not push the partner past the size every sample keeps to (its Jacobians stay small).
            return ShapeMath.Count(p) > MaxCount ? kept : p;
        }

        public SampleLayout Layout(int rank) => rank == 0 ? SampleLayout.Contiguous : (SampleLayout)_rng.Next(3);

        private Tensor Make(int[] shape, Func<double> value)
        {
            var v = new double[ShapeMath.Count(shape)];
            for (int i = 0; i < v.Length; i++) v[i] = value();
            return Tensor.FromArray(v, shape, Device.Cpu);
        }

        public Tensor Uniform(int[] shape, double lo, double hi) => Make(shape, () => lo + (hi - lo) * _rng.NextDouble());

        /// <summary>Values of magnitude in [lo, hi] with random signs (away from 0).</summary>
        public Tensor Magnitude(int[] shape, double lo, double hi) =>
            Make(shape, () => (_rng.Next(2) == 0 ? -1 : 1) * (lo + (hi - lo) * _rng.NextDouble()));

        /// <summary>Values in [lo, hi] at least <paramref name="margin"/> from every kink.</summary>
        public Tensor AwayFrom(int[] shape, double lo, double hi, double[] kinks, double margin) => Make(shape, () =>
        {
            while (true)
            {
                double v = lo + (hi - lo) * _rng.NextDouble();
                if (kinks.All(k => Math.Abs(v - k) >= margin)) return v;
            }
        });

        /// <summary>n values at least 0.2 apart (no ties within any finite-difference step), in random order.</summary>
        public double[] DistinctValues(int n)
        {
            var v = Enumerable.Range(0, n).Select(k => (k - n / 2.0) * 0.25 + 0.05 * _rng.NextDouble()).ToArray();
            _rng.Shuffle(v);
            return v;
        }

        public Tensor Distinct(int[] shape) => Tensor.FromArray(DistinctValues(ShapeMath.Count(shape)), shape, Device.Cpu);

        /// <summary>Values whose magnitudes are distinct and at least 0.2, with random signs.</summary>
        public Tensor DistinctMagnitude(int[] shape)
        {
            int n = ShapeMath.Count(shape);
            var v = Enumerable.Range(0, n).Select(k => (0.3 + 0.25 * k + 0.05 * _rng.NextDouble()) * (_rng.Next(2) == 0 ? -1 : 1)).ToArray();
            _rng.Shuffle(v);
            return Tensor.FromArray(v, shape, Device.Cpu);
        }

        public (Tensor, SampleLayout) In(Tensor values) => (values, Layout(values.Rank));

        public OpSample One(Tensor values, double eps = 1e-6) => new([In(values)], eps);

        public OpSample Unary(double lo, double hi, int minRank = 0, int maxRank = 4, int minLast = 1, int minFirst = 1, bool firstIsOne = false) =>
            One(Uniform(Shape(minRank, maxRank, minLast, minFirst, firstIsOne), lo, hi));

        private (int[] A, int[] B) BroadcastShapes()
        {
            var a = Shape();
            var b = Partner(a);
            return _rng.Next(2) == 0 ? (a, b) : (b, a);
        }

        public OpSample Pair(double aLo, double aHi, double bLo, double bHi)
        {
            var (a, b) = BroadcastShapes();
            return new([In(Uniform(a, aLo, aHi)), In(Uniform(b, bLo, bHi))]);
        }

        public OpSample PairDivisor()
        {
            var (a, b) = BroadcastShapes();
            return new([In(Uniform(a, -2, 2)), In(Magnitude(b, 0.3, 2))]);
        }

        /// <summary>Two inputs with no value of one close to any value of the other (no ties in maximum/minimum).</summary>
        public OpSample DistinctPair()
        {
            var (a, b) = BroadcastShapes();
            int na = ShapeMath.Count(a), nb = ShapeMath.Count(b);
            var v = DistinctValues(na + nb);
            return new([In(Tensor.FromArray(v[..na], a, Device.Cpu)), In(Tensor.FromArray(v[na..], b, Device.Cpu))]);
        }

        private Tensor Mask(int[] shape) =>
            Tensor.FromArray(Enumerable.Range(0, ShapeMath.Count(shape)).Select(_ => _rng.Next(2) == 0).ToArray(), shape, Device.Cpu);

        public OpSample WhereSample()
        {
            var s = Shape();
            return new([(Mask(Partner(s)), SampleLayout.Contiguous), In(Uniform(Partner(s), -2, 2)), In(Uniform(Partner(s), -2, 2))]);
        }

        public OpSample MaskedFillSample()
        {
            var s = Shape();
            return new([In(Uniform(s, -2, 2)), (Mask(Partner(s, mayGrow: false)), SampleLayout.Contiguous)]);
        }

        public OpSample MatMul(int[] aBatch, int[] bBatch, bool vectors)
        {
            int n = _rng.Next(1, 4), k = _rng.Next(1, 4), m = _rng.Next(1, 4);
            if (vectors) return new([In(Uniform([k], -1, 1)), In(Uniform([k], -1, 1))]);
            return new([In(Uniform([.. aBatch, n, k], -1, 1)), In(Uniform([.. bBatch, k, m], -1, 1))]);
        }

        public OpSample MatMulVector(bool vectorFirst)
        {
            int k = _rng.Next(1, 4), m = _rng.Next(1, 4);
            var v = Uniform([k], -1, 1);
            return vectorFirst ? new([In(v), In(Uniform([k, m], -1, 1))]) : new([In(Uniform([m, k], -1, 1)), In(v)]);
        }

        private Tensor Indices(int[] shape, int size) =>
            Tensor.FromArray(Enumerable.Range(0, ShapeMath.Count(shape)).Select(_ => _rng.Next(size)).ToArray(), shape, Device.Cpu);

        public OpSample IndexSelectSample(int dim)
        {
            var s = Shape(minRank: 1);
            int size = s[dim < 0 ? s.Length + dim : dim];
            return new([In(Uniform(s, -2, 2)), (Indices([_rng.Next(1, 5)], size), SampleLayout.Contiguous)]);
        }

        public OpSample GatherSample()
        {
            var s = Shape(minRank: 1, maxRank: 3);
            var idx = (int[])s.Clone();
            idx[^1] = _rng.Next(1, 5);
            return new([In(Uniform(s, -2, 2)), (Indices(idx, s[^1]), SampleLayout.Contiguous)]);
        }

        public OpSample ScatterAddSample()
        {
            var s = Shape(minRank: 1, maxRank: 3);
            var idx = (int[])s.Clone();
            idx[0] = _rng.Next(1, 5);
            return new([In(Uniform(s, -2, 2)), (Indices(idx, s[0]), SampleLayout.Contiguous), In(Uniform(idx, -2, 2))]);
        }

        public OpSample CatSample(int dim)
        {
            var s = Shape(minRank: 1, maxRank: 3);
            int pieces = _rng.Next(2, 4);
            var parts = new List<(Tensor, SampleLayout)>();
            for (int i = 0; i < pieces; i++)
            {
                var p = (int[])s.Clone();
                p[dim < 0 ? p.Length + dim : dim] = _rng.Next(1, 4);
                parts.Add(In(Uniform(p, -2, 2)));
            }
            return new(parts);
        }

        public OpSample StackSample()
        {
            var s = Shape(maxRank: 3);
            return new(Enumerable.Range(0, _rng.Next(2, 4)).Select(_ => In(Uniform(s, -2, 2))).ToList());
        }
    
        /// <summary>Logits [N, C] and Int32 labels [N]; with <paramref name="ignore"/> some labels are -100 (ignored), never all.</summary>
        public OpSample CrossEntropySample(bool ignore)
        {
            int n = _rng.Next(1, 4), c = _rng.Next(2, 5);
            var labels = Enumerable.Range(0, n).Select(i => ignore && i > 0 && _rng.Next(3) == 0 ? -100 : _rng.Next(c)).ToArray();
            return new([In(Uniform([n, c], -2, 2)), (Tensor.FromArray(labels, [n], Device.Cpu), SampleLayout.Contiguous)]);
        }

        /// <summary>
        /// x [..., D] with D &gt;= 2, a gain [D] near 1, and (for layer norm) a bias [D]; with <paramref name="dims"/> = 2,
        /// x [..., D1, D2] with a gain and bias [D1, D2] (normalised over both).
        /// </summary>
        public OpSample NormSample(bool withBias, int dims = 1)
        {
            var s = Shape(minRank: dims, maxRank: dims + 2, minLast: 2);
            var d = s[^dims..];
            var parts = new List<(Tensor, SampleLayout)> { In(Uniform(s, -2, 2)), In(Uniform(d, 0.5, 1.5)) };
            if (withBias) parts.Add(In(Uniform(d, -1, 1)));
            return new(parts);
        }

        public OpSample SameShapePair()
        {
            var s = Shape();
            return new([In(Uniform(s, -2, 2)), In(Uniform(s, -2, 2))]);
        }

        /// <summary>q [B, T, D], k [B, T, D], v [B, T, Dv] with small sizes.</summary>
        public OpSample AttentionSample()
        {
            int b = _rng.Next(1, 3), t = _rng.Next(1, 4), d = _rng.Next(1, 4), dv = _rng.Next(1, 3);
            return new([In(Uniform([b, t, d], -1, 1)), In(Uniform([b, t, d], -1, 1)), In(Uniform([b, t, dv], -1, 1))]);
        }
    }
}
