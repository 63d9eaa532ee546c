// The tensor's operation methods, PyTorch-named. Each forwards to its autograd function class.
using F = DotGrad.Autodiff.Functions;

using DotGrad.Backends;

namespace DotGrad;

public sealed partial class Tensor
{
    // ---- unary ----
    public Tensor Neg() => F.Neg.Apply(this);
    public Tensor Abs() => F.Abs.Apply(this);
    public Tensor Sign() => F.Sign.Apply(this);
    public Tensor Exp() => F.Exp.Apply(this);
    public Tensor Log() => F.Log.Apply(this);
    /// <summary>ln(1 + x), accurate for small |x| (<c>torch.log1p</c>).</summary>
    public Tensor Log1p() => F.Log1p.Apply(this);
    public Tensor Sqrt() => F.Sqrt.Apply(this);
    public Tensor Rsqrt() => F.Rsqrt.Apply(this);
    public Tensor Reciprocal() => F.Reciprocal.Apply(this);
    public Tensor Square() => F.Square.Apply(this);
    public Tensor Sin() => F.Sin.Apply(this);
    public Tensor Cos() => F.Cos.Apply(this);
    public Tensor Tanh() => F.Tanh.Apply(this);
    public Tensor Sigmoid() => F.Sigmoid.Apply(this);
    public Tensor Relu() => F.Relu.Apply(this);
    public Tensor Erf() => F.Erf.Apply(this);
    public Tensor Silu() => F.Silu.Apply(this);

    /// <summary>GELU like <c>torch.nn.functional.gelu</c>: <paramref name="approximate"/> "none" (exact, erf; the default) or "tanh".</summary>
    public Tensor Gelu(string approximate = "none") => approximate switch
    {
        "none" => F.Gelu.Apply(this),
        "tanh" => F.GeluTanh.Apply(this),
        _ => throw new ArgumentException($"gelu: approximate must be 'none' or 'tanh', got '{approximate}'", nameof(approximate)),
    };

    /// <summary>x^exponent elementwise.</summary>
    public Tensor Pow(double exponent)
    {
        var e = RawOps.ScalarLike(this, exponent);
        var y = F.Pow.Apply(this, e);
        if (y.GradFn is null) e.Dispose(); // when recorded, Pow's backward may read e (a 0-d input is not expanded)
        return y;
    }

    public Tensor Pow(Tensor exponent) => F.Pow.Apply(this, exponent);

    /// <summary>Clamps into [min, max]; either bound may be omitted (<c>torch.clamp</c>).</summary>
    public Tensor Clamp(double? min = null, double? max = null) => F.Clamp.Apply(this, min, max);

    // ---- binary ----
    public Tensor Add(Tensor other) => F.Add.Apply(this, other);
    public Tensor Sub(Tensor other) => F.Sub.Apply(this, other);
    public Tensor Mul(Tensor other) => F.Mul.Apply(this, other);
    public Tensor Div(Tensor other) => F.Div.Apply(this, other);
    public Tensor Maximum(Tensor other) => F.Maximum.Apply(this, other);
    public Tensor Minimum(Tensor other) => F.Minimum.Apply(this, other);

    // ---- comparisons (Bool masks) ----
    public Tensor Eq(Tensor other) => RawOps.Compare<Backends.EqOp>(this, other);
    public Tensor Ne(Tensor other) => RawOps.Compare<Backends.NeOp>(this, other);
    public Tensor Lt(Tensor other) => RawOps.Compare<Backends.LtOp>(this, other);
    public Tensor Le(Tensor other) => RawOps.Compare<Backends.LeOp>(this, other);
    public Tensor Gt(Tensor other) => RawOps.Compare<Backends.GtOp>(this, other);
    public Tensor Ge(Tensor other) => RawOps.Compare<Backends.GeOp>(this, other);
    public Tensor Eq(double other) { using var s = RawOps.ScalarLike(this, other); return Eq(s); }
    public Tensor Ne(double other) { using var s = RawOps.ScalarLike(this, other); return Ne(s); }
    public Tensor Lt(double other) { using var s = RawOps.ScalarLike(this, other); return Lt(s); }
    public Tensor Le(double other) { using var s = RawOps.ScalarLike(this, other); return Le(s); }
    public Tensor Gt(double other) { using var s = RawOps.ScalarLike(this, other); return Gt(s); }
    public Tensor Ge(double other) { using var s = RawOps.ScalarLike(this, other); return Ge(s); }

    /// <summary>condition ? a : b elementwise, with broadcasting (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => F.Where.Apply(condition, a, b);

    /// <summary>Where the Bool mask is true, the value; elsewhere this tensor (<c>masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        if (mask.DType != DType.Bool) throw new ArgumentException($"masked_fill: expected a Bool mask, got {mask.DType}");
        if (!Backends.ShapeMath.CanBroadcastTo(mask.ShapeRef, _shape))
            throw new ArgumentException($"masked_fill: mask shape {Backends.ShapeMath.Format(mask.ShapeRef)} cannot be broadcast to the tensor's shape {Backends.ShapeMath.Format(_shape)}");
        using var v = Scalar(value, DType, Device);
        return F.Where.Apply(mask, v, this);
    }

    // ---- reductions ----
    /// <summary>Sum over dims (all when null). The sum of Bool, Int32 or Int64 is Int64 (a Bool sum counts), as <c>torch.sum</c>'s is.</summary>
    public Tensor Sum(int[]? dims = null, bool keepDim = false) => F.Sum.Apply(this, dims, keepDim);
    public Tensor Sum(int dim, bool keepDim = false) => F.Sum.Apply(this, [dim], keepDim);
    public Tensor Mean(int[]? dims = null, bool keepDim = false) => F.Mean.Apply(this, dims, keepDim);
    public Tensor Mean(int dim, bool keepDim = false) => F.Mean.Apply(this, [dim], keepDim);

    /// <summary>Maximum of all elements (a scalar), like <c>torch.max(x)</c>.</summary>
    public Tensor Max() => F.Amax.Apply(this, null, false);
    public Tensor Min() => F.Amin.Apply(this, null, false);

    /// <summary>Max along a dim with the (Int64) index of the first maximum (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => F.MaxDim.Apply(this, dim, keepDim);
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => F.MinDim.Apply(this, dim, keepDim);

    /// <summary>Maximum over several dims (<c>torch.amax</c>).</summary>
    public Tensor Amax(int[]? dims = null, bool keepDim = false) => F.Amax.Apply(this, dims, keepDim);
    public Tensor Amin(int[]? dims = null, bool keepDim = false) => F.Amin.Apply(this, dims, keepDim);

    /// <summary>Index of the first maximum along a dim, or in the flattened tensor when dim is null; Int64, as <c>torch.argmax</c>'s.</summary>
    public Tensor Argmax(int? dim = null, bool keepDim = false) => ArgReduce(dim, keepDim, max: true);
    public Tensor Argmin(int? dim = null, bool keepDim = false) => ArgReduce(dim, keepDim, max: false);

    private Tensor ArgReduce(int? dim, bool keepDim, bool max)
    {
        string op = max ? "argmax" : "argmin";
        using var source = dim is null ? Reshape(-1) : AsStrided(_shape, _strides, Offset);
        var (values, indices) = RawOps.ArgReduce(op, source, dim ?? 0, keepDim && dim is not null, max);
        values.Dispose();
        if (dim is null && keepDim) using (indices) return indices.Reshape(Enumerable.Repeat(1, Rank).ToArray());
        return indices;
    }

    /// <summary>Variance with <paramref name="correction"/> (1 = unbiased, the default, like <c>torch.var</c>).</summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false) => F.Var.Apply(this, dims, correction, keepDim);
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => F.Var.Apply(this, [dim], correction, keepDim);
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => F.Std.Apply(this, dims, correction, keepDim);
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => F.Std.Apply(this, [dim], correction, keepDim);

    public Tensor LogSumExp(int[]? dims = null, bool keepDim = false) => F.LogSumExp.Apply(this, dims, keepDim);
    public Tensor LogSumExp(int dim, bool keepDim = false) => F.LogSumExp.Apply(this, [dim], keepDim);

    /// <summary>Vector p-norm over dims, all by default (<c>torch.linalg.vector_norm</c>).</summary>
    public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false) => F.Norm.Apply(this, p, dims, keepDim);

    public Tensor Softmax(int dim) => F.Softmax.Apply(this, dim);
    public Tensor LogSoftmax(int dim) => F.LogSoftmax.Apply(this, dim);

    // ---- matmul ----
    /// <summary>Matrix product with PyTorch's <c>matmul</c> rules (vectors, matrices, broadcast batches).</summary>
    public Tensor MatMul(Tensor other) => F.MatMul.Apply(this, other);

    // ---- movement ----
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => F.Cat.Apply(tensors, dim);
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0) => F.Stack.Apply(tensors, dim);

    /// <summary>Pieces of <paramref name="splitSize"/> along a dim (the last may be smaller); views.</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = Backends.ShapeMath.NormalizeDim(dim, Rank, "split");
        if (splitSize <= 0 && _shape[d] > 0) throw new ArgumentException($"split: splitSize must be positive, got {splitSize}");
        int size = _shape[d];
        if (size == 0) return [Alias()]; // recorded, so that gradients (empty ones) still flow
        var parts = new List<Tensor>();
        for (int start = 0; start < size; start += splitSize) parts.Add(Narrow(d, start, Math.Min(splitSize, size - start)));
        return parts.ToArray();
    }

    /// <summary>Pieces with the given sizes along a dim; the sizes must add up to the dim's size.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = Backends.ShapeMath.NormalizeDim(dim, Rank, "split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != _shape[d])
            throw new ArgumentException($"split: sizes {Backends.ShapeMath.Format(sizes)} must be non-negative and add up to {_shape[d]} (dim {d} of shape {Backends.ShapeMath.Format(_shape)})");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) parts[i] = Narrow(d, start, sizes[i]);
        return parts;
    }

    /// <summary>Up to <paramref name="chunks"/> pieces of equal size ceil(n / chunks) along a dim (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"chunk: chunks must be positive, got {chunks}", nameof(chunks));
        int d = Backends.ShapeMath.NormalizeDim(dim, Rank, "chunk");
        int size = _shape[d];
        // An empty dim gives `chunks` empty pieces, as torch.chunk does (split alone would give one).
        if (size == 0) return Split(new int[chunks], d);
        return Split(Math.Max(1, (size + chunks - 1) / chunks), d);
    }

    /// <summary>Constant padding; pads are (before, after) pairs from the last dim backwards (<c>F.pad</c>).</summary>
    public Tensor Pad(int[] pads, double value = 0) => F.Pad.Apply(this, pads, value);
    public Tensor Repeat(params int[] reps) => F.Repeat.Apply(this, reps);
    public Tensor Tril(int diagonal = 0) => F.Triangle.Apply(this, diagonal, lower: true);
    public Tensor Triu(int diagonal = 0) => F.Triangle.Apply(this, diagonal, lower: false);

    // ---- indexing ----
    public Tensor IndexSelect(int dim, Tensor index) => F.IndexSelect.Apply(this, dim, index);
    public Tensor Gather(int dim, Tensor index) => F.Gather.Apply(this, dim, index);
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => F.ScatterAdd.Apply(this, dim, index, src);
    public Tensor OneHot(int numClasses = -1) => F.OneHot.Apply(this, numClasses);
}
