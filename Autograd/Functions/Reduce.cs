// Reductions. Sum, amax/amin, max/min-with-indices, logsumexp, softmax and log-softmax are primitives with their own
// backward; mean, var/std and norm are compositions of primitives when recording, so their backward comes from those.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>Helpers shared by the reductions' backwards.</summary>
internal static class ReduceGrad
{
    /// <summary>The gradient of a reduction's output, reshaped to the keepdim shape so that it broadcasts against x.</summary>
    public static Tensor KeepDim(Tensor dOut, int[] inputShape, int[] axes) => dOut.Reshape(RawOps.KeepDimShape(inputShape, axes));

    /// <summary>A 0-d constant that the caller does not dispose: a recorded op may keep it for its backward.</summary>
    public static Tensor Const(Tensor like, double value) => Tensor.Scalar(value, like.DType, like.Device);
}

/// <summary>Sum over dims (all when null). d/dx = dY broadcast back over the reduced dims (reshape to keepdim, expand).</summary>
public sealed class Sum(int[] inputShape, int[] axes) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        var y = RawOps.Reduce<SumOp>(x, dims, keepDim);
        if (!Autograd.IsRecording([x])) return y;
        var axes = RawOps.ReductionAxes("sum", x.Rank, dims);
        var shape = x.ShapeRef;
        return Record(y, () => new Sum(shape, axes), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [ReduceGrad.KeepDim(dOut, inputShape, axes).Expand(inputShape)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Sum>("reduce")
        .Op("sum", x => x[0].Sum(), d => d.Unary(-2, 2))
        .Op("sum_dim", x => x[0].Sum(-1), d => d.Unary(-2, 2, minRank: 1))
        .Op("sum_dims_keepdim", x => x[0].Sum([0, -1], keepDim: true), d => d.Unary(-2, 2, minRank: 2));
}

/// <summary>
/// Maximum over dims (<c>torch.amax</c>). Ties split the gradient evenly among the maxima (amax's rule):
/// d/dx = dY * [x == y] / count(x == y) over each reduced slice.
/// </summary>
public sealed class Amax(int[] axes, Tensor y) : Function
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        var y = RawOps.Reduce<MaxOp>(x, dims, keepDim);
        if (!Autograd.IsRecording([x])) return y;
        var axes = RawOps.ReductionAxes("max", x.Rank, dims);
        return Record(y, () => new Amax(axes, y), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [Extremum.SplitEvenly(dOut, Inputs[0], y, axes)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Amax>("reduce")
        .Op("amax", x => x[0].Amax(), d => d.One(d.Distinct(d.Shape())), twice: false)
        .Op("amax_dim", x => x[0].Amax([-1]), d => d.One(d.Distinct(d.Shape(minRank: 1))), twice: false);
}

/// <summary>Minimum over dims (<c>torch.amin</c>). Ties split the gradient evenly: d/dx = dY * [x == y] / count(x == y).</summary>
public sealed class Amin(int[] axes, Tensor y) : Function
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        var y = RawOps.Reduce<MinOp>(x, dims, keepDim);
        if (!Autograd.IsRecording([x])) return y;
        var axes = RawOps.ReductionAxes("min", x.Rank, dims);
        return Record(y, () => new Amin(axes, y), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [Extremum.SplitEvenly(dOut, Inputs[0], y, axes)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Amin>("reduce")
        .Op("amin", x => x[0].Amin(), d => d.One(d.Distinct(d.Shape())), twice: false)
        .Op("amin_dims_keepdim", x => x[0].Amin([0, -1], keepDim: true), d => d.One(d.Distinct(d.Shape(minRank: 2))), twice: false);
}

internal static class Extremum
{
    /// <summary>dY shared evenly by the elements of each slice that equal its extremum (mask / count: piecewise constant in x).</summary>
    public static Tensor SplitEvenly(Tensor dOut, Tensor x, Tensor y, int[] axes)
    {
        var keep = RawOps.KeepDimShape(x.ShapeRef, axes);
        var mask = x.Eq(y.Reshape(keep)).To(dOut.DType);
        var count = mask.Sum(axes, keepDim: true);
        return dOut.Reshape(keep) * (mask / count);
    }

    /// <summary>max/min along a dim with indices: dY scattered into zeros at the selected index.</summary>
    public static Tensor ToIndex(Tensor dOut, int[] inputShape, int axis, Tensor keepIndices)
    {
        if (inputShape.Length == 0) return dOut; // a scalar is its own max
        var zeros = Tensor.Zeros(inputShape, dOut.DType, dOut.Device);
        return zeros.ScatterAdd(axis, keepIndices, dOut.Reshape(keepIndices.ShapeRef));
    }

    public static (Tensor Values, Tensor Indices) ArgReduce(Tensor x, int dim, bool keepDim, bool max, Func<int[], int, Tensor, Function> fn)
    {
        var (values, indices) = RawOps.ArgReduce(max ? "max" : "min", x, dim, keepDim, max);
        if (!Autograd.IsRecording([x])) return (values, indices);
        int axis = x.Rank == 0 ? 0 : ShapeMath.NormalizeDim(dim, x.Rank, max ? "max" : "min");
        // A handle of our own on the indices (the caller may dispose theirs), shaped like x with the dim kept.
        var keepIndices = x.Rank == 0 ? indices.Reshape() : indices.Reshape(RawOps.KeepDimShape(x.ShapeRef, [axis]));
        var shape = x.ShapeRef;
        return (Function.Record(values, () => fn(shape, axis, keepIndices), x), indices);
    }
}

/// <summary>Max along one dim with its index (<c>torch.max(x, dim)</c>). The gradient goes to the selected (first) index only.</summary>
public sealed class MaxDim(int[] inputShape, int axis, Tensor indices) : Function
{
    public static (Tensor Values, Tensor Indices) Apply(Tensor x, int dim, bool keepDim) =>
        Extremum.ArgReduce(x, dim, keepDim, max: true, (s, a, i) => new MaxDim(s, a, i));

    protected internal override Tensor?[] Backward(Tensor dOut) => [Extremum.ToIndex(dOut, inputShape, axis, indices)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<MaxDim>("reduce")
        .Op("max_dim", x => x[0].Max(-1).Values, d => d.One(d.Distinct(d.Shape(minRank: 1))), twice: false);
}

/// <summary>Min along one dim with its index. The gradient goes to the selected (first) index only.</summary>
public sealed class MinDim(int[] inputShape, int axis, Tensor indices) : Function
{
    public static (Tensor Values, Tensor Indices) Apply(Tensor x, int dim, bool keepDim) =>
        Extremum.ArgReduce(x, dim, keepDim, max: false, (s, a, i) => new MinDim(s, a, i));

    protected internal override Tensor?[] Backward(Tensor dOut) => [Extremum.ToIndex(dOut, inputShape, axis, indices)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<MinDim>("reduce")
        .Op("min_dim", x => x[0].Min(0, keepDim: true).Values, d => d.One(d.Distinct(d.Shape(minRank: 1))), twice: false);
}

/// <summary>Mean = sum / n over the reduced elements. Floating types only, like PyTorch. d/dx = dY / n (through Sum).</summary>
public sealed class Mean
{
    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        RawOps.CheckFloating("mean", x);
        var axes = RawOps.ReductionAxes("mean", x.Rank, dims);
        int n = axes.Aggregate(1, (acc, a) => acc * x.ShapeRef[a]);
        if (Autograd.IsRecording([x])) return x.Sum(axes, keepDim) * ReduceGrad.Const(x, 1.0 / n);
        using var s = RawOps.Reduce<SumOp>(x, axes, keepDim);
        using var inv = Tensor.Scalar(1.0 / n, x.DType, x.Device); // n = 0 gives NaN, like PyTorch
        return RawOps.Binary<MulOp>(s, inv);
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Mean>("reduce")
        .Op("mean", x => x[0].Mean(), d => d.Unary(-2, 2), uses: [typeof(Sum), typeof(Mul)])
        .Op("mean_dim", x => x[0].Mean(0, keepDim: true), d => d.Unary(-2, 2, minRank: 1), uses: [typeof(Sum), typeof(Mul)]);
}

/// <summary>
/// Variance sum((x - mean)^2) / (n - correction); correction 1 (Bessel's, unbiased) is the default, like
/// <c>torch.var</c>. Two passes (mean first), which stays accurate when the mean is large.
/// d/dx = 2 (x - mean) dY / (n - correction) (through the composition).
/// </summary>
public sealed class Var
{
    public static Tensor Apply(Tensor x, int[]? dims, int correction, bool keepDim)
    {
        RawOps.CheckFloating("var", x);
        var axes = RawOps.ReductionAxes("var", x.Rank, dims);
        int n = axes.Aggregate(1, (acc, a) => acc * x.ShapeRef[a]);
        var denomValue = Math.Max(0, n - correction);
        if (Autograd.IsRecording([x]))
        {
            var d = x - x.Mean(axes, keepDim: true);
            return d.Square().Sum(axes, keepDim) / ReduceGrad.Const(x, denomValue);
        }
        using var mean = Mean.Apply(x, axes, keepDim: true);
        using var diff = RawOps.Binary<SubOp>(x, mean);
        using var sq = RawOps.Unary<SquareOp>(diff);
        using var s = RawOps.Reduce<SumOp>(sq, axes, keepDim);
        using var denom = Tensor.Scalar(denomValue, x.DType, x.Device);
        return RawOps.Binary<DivOp>(s, denom);
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Var>("reduce")
        .Op("var", x => x[0].Var(), d => d.Unary(-2, 2, minLast: 2, minRank: 1), uses: [typeof(Mean), typeof(Sum)])
        .Op("var_dim", x => x[0].Var(-1, keepDim: true), d => d.Unary(-2, 2, minRank: 1, minLast: 2), uses: [typeof(Mean), typeof(Sum)])
        .Op("var_population", x => x[0].Var(0, correction: 0), d => d.Unary(-2, 2, minRank: 1, minFirst: 2), uses: [typeof(Mean), typeof(Sum)]);
}

/// <summary>Standard deviation sqrt(var), same correction rule as <see cref="Var"/>. d/dx = d var/dx / (2 std).</summary>
public sealed class Std
{
    public static Tensor Apply(Tensor x, int[]? dims, int correction, bool keepDim)
    {
        if (Autograd.IsRecording([x])) return Var.Apply(x, dims, correction, keepDim).Sqrt();
        using var v = Var.Apply(x, dims, correction, keepDim);
        return RawOps.Unary<SqrtOp>(v);
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Std>("reduce")
        .Op("std", x => x[0].Std(), d => d.One(d.Distinct(d.Shape(minRank: 1, minLast: 2))), uses: [typeof(Var), typeof(Sqrt)])
        .Op("std_dim", x => x[0].Std(-1), d => d.One(d.Distinct(d.Shape(minRank: 1, minLast: 2))), uses: [typeof(Var), typeof(Sqrt)]);
}

/// <summary>
/// log(sum(exp x)) computed stably as m + log(sum(exp(x - m))) with m the max; an infinite m is replaced by 0 so
/// that a slice of all -inf gives -inf (not NaN), like <c>torch.logsumexp</c>.
/// d/dx = dY exp(x - y) = dY softmax(x), written with tensor ops on the saved output, so it is twice differentiable.
/// </summary>
public sealed class LogSumExp(int[] axes, Tensor y) : Function
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        RawOps.CheckFloating("logsumexp", x);
        var axes = RawOps.ReductionAxes("logsumexp", x.Rank, dims);
        var y = Forward(x, axes, keepDim);
        return Record(y, () => new LogSumExp(axes, y), x);
    }

    private static Tensor Forward(Tensor x, int[] axes, bool keepDim)
    {
        if (axes.Any(a => x.ShapeRef[a] == 0)) // the log of an empty sum: -inf, like PyTorch
        {
            var empty = Tensor.Full(RawOps.KeepDimShape(x.ShapeRef, axes), double.NegativeInfinity, x.DType, x.Device);
            return keepDim ? empty : RawOps.DropAxes(empty, axes);
        }
        using var m = RawOps.Reduce<MaxOp>(x, axes, keepDim: true);
        using var absM = RawOps.Unary<AbsOp>(m);
        using var inf = Tensor.Scalar(double.PositiveInfinity, x.DType, x.Device);
        using var isInf = RawOps.Compare<EqOp>(absM, inf);
        using var zero = Tensor.Scalar(0, x.DType, x.Device);
        using var shift = RawOps.Where(isInf, zero, m);
        using var shifted = RawOps.Binary<SubOp>(x, shift);
        using var e = RawOps.Unary<ExpOp>(shifted);
        using var s = RawOps.Reduce<SumOp>(e, axes, keepDim: true);
        using var l = RawOps.Unary<LogOp>(s);
        var y = RawOps.Binary<AddOp>(l, shift);
        return keepDim ? y : RawOps.DropAxes(y, axes);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var x = Inputs[0];
        var keep = RawOps.KeepDimShape(x.ShapeRef, axes);
        return [dOut.Reshape(keep) * (x - y.Reshape(keep)).Exp()];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<LogSumExp>("reduce")
        .Op("logsumexp", x => x[0].LogSumExp(), d => d.Unary(-2, 2))
        .Op("logsumexp_dim", x => x[0].LogSumExp(-1, keepDim: true), d => d.Unary(-2, 2, minRank: 1));
}

/// <summary>
/// Vector p-norm over dims (<c>torch.linalg.vector_norm</c>; all dims by default): p = 2 sqrt(sum x^2), 1 sum |x|,
/// +inf max |x|, -inf min |x|, 0 the count of non-zeros, otherwise (sum |x|^p)^(1/p).
/// Gradients come from the composition: p = 2 gives x / ||x||, and 0 (not NaN) at the zero vector, like PyTorch,
/// because the root is taken of a masked sum (1 where the sum is 0) and the result masked back to 0; the same for
/// other p. p = +-inf follows amax/amin (ties split evenly); p = 0 has gradient 0.
/// </summary>
public sealed class Norm
{
    public static Tensor Apply(Tensor x, double p, int[]? dims, bool keepDim)
    {
        RawOps.CheckFloating("norm", x);
        if (double.IsNaN(p)) throw new ArgumentException("norm: p must not be NaN", nameof(p));
        if (Autograd.IsRecording([x])) return Composite(x, p, dims, keepDim);
        if (p == 2)
        {
            using var sq = RawOps.Unary<SquareOp>(x);
            using var s = RawOps.Reduce<SumOp>(sq, dims, keepDim);
            return RawOps.Unary<SqrtOp>(s);
        }
        using var a = RawOps.Unary<AbsOp>(x);
        if (p == 1) return RawOps.Reduce<SumOp>(a, dims, keepDim);
        if (double.IsPositiveInfinity(p)) return RawOps.Reduce<MaxOp>(a, dims, keepDim);
        if (double.IsNegativeInfinity(p)) return RawOps.Reduce<MinOp>(a, dims, keepDim);
        if (p == 0)
        {
            using var zero = Tensor.Scalar(0, x.DType, x.Device);
            using var nz = RawOps.Compare<NeOp>(x, zero);
            using var nzf = nz.To(x.DType);
            return RawOps.Reduce<SumOp>(nzf, dims, keepDim);
        }
        using var pt = Tensor.Scalar(p, x.DType, x.Device);
        using var powed = RawOps.Binary<PowOp>(a, pt);
        using var sum = RawOps.Reduce<SumOp>(powed, dims, keepDim);
        using var inv = Tensor.Scalar(1.0 / p, x.DType, x.Device);
        return RawOps.Binary<PowOp>(sum, inv);
    }

    /// <summary>The same values from differentiable primitives (nothing disposed: the graph keeps what it needs).</summary>
    private static Tensor Composite(Tensor x, double p, int[]? dims, bool keepDim)
    {
        if (p == 2) return MaskedRoot(x.Square().Sum(dims, keepDim), s => s.Sqrt());
        if (p == 1) return x.Abs().Sum(dims, keepDim);
        if (double.IsPositiveInfinity(p)) return x.Abs().Amax(dims, keepDim);
        if (double.IsNegativeInfinity(p)) return x.Abs().Amin(dims, keepDim);
        if (p == 0) return x.Sign().Abs().Sum(dims, keepDim); // 1 per non-zero; Sign's gradient is 0
        var sum = x.Abs().Pow(ReduceGrad.Const(x, p)).Sum(dims, keepDim);
        // For p < 0 a zero sum (an empty reduction) has root +inf, so only positive p is masked.
        return p > 0 ? MaskedRoot(sum, s => s.Pow(ReduceGrad.Const(x, 1.0 / p))) : sum.Pow(ReduceGrad.Const(x, 1.0 / p));
    }

    /// <summary>root(s), with the root taken of 1 where s = 0 and the result set back to 0 there, so no inf * 0 in backward.</summary>
    private static Tensor MaskedRoot(Tensor s, Func<Tensor, Tensor> root)
    {
        var isZero = s.Eq(0.0);
        var safe = Tensor.Where(isZero, ReduceGrad.Const(s, 1.0), s);
        return Tensor.Where(isZero, ReduceGrad.Const(s, 0.0), root(safe));
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Norm>("reduce")
        .Op("norm_1", x => x[0].Norm(1), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), uses: [typeof(Abs)])
        .Op("norm_2", x => x[0].Norm(2), d => d.Unary(-2, 2), uses: [typeof(Sqrt)])
        .Op("norm_2_dim", x => x[0].Norm(2, [-1]), d => d.One(d.Magnitude(d.Shape(minRank: 1), 0.2, 2)), uses: [typeof(Sqrt)])
        .Op("norm_3", x => x[0].Norm(3), d => d.One(d.Magnitude(d.Shape(), 0.2, 2)), uses: [typeof(Pow), typeof(Abs)])
        .Op("norm_inf", x => x[0].Norm(double.PositiveInfinity), d => d.One(d.DistinctMagnitude(d.Shape())), twice: false,
            uses: [typeof(Amax), typeof(Abs)]);
}

/// <summary>Softmax along a dim, stable (max subtracted). d/dx = y (dY - sum(dY y)) over the dim.</summary>
public sealed class Softmax(int axis, Tensor y) : Function
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x, int dim)
    {
        var y = RawOps.Softmax(x, dim, log: false);
        if (!Autograd.IsRecording([x])) return y;
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(1, x.Rank), "softmax");
        return Record(y, () => new Softmax(axis, y), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (y.Rank == 0) return [dOut * ReduceGrad.Const(dOut, 0.0)]; // softmax of one element is 1: constant
        if (!Autograd.IsRecording([dOut, y])) return [RawOps.SoftmaxBackward(y, dOut, axis, log: false)];  // one pass per line
        return [y * (dOut - (dOut * y).Sum(axis, keepDim: true))];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Softmax>("reduce")
        .Op("softmax", x => x[0].Softmax(-1), d => d.Unary(-2, 2, minRank: 1))
        .Op("softmax_dim0", x => x[0].Softmax(0), d => d.Unary(-2, 2, minRank: 1));
}

/// <summary>Log-softmax along a dim, stable. d/dx = dY - exp(y) sum(dY) over the dim (exp(y) = softmax(x)).</summary>
public sealed class LogSoftmax(int axis, Tensor y) : Function
{
    protected internal override bool ReadsOutput => true;

    public static Tensor Apply(Tensor x, int dim)
    {
        var y = RawOps.Softmax(x, dim, log: true);
        if (!Autograd.IsRecording([x])) return y;
        int axis = ShapeMath.NormalizeDim(dim, Math.Max(1, x.Rank), "log_softmax");
        return Record(y, () => new LogSoftmax(axis, y), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        if (y.Rank == 0) return [dOut * ReduceGrad.Const(dOut, 0.0)]; // log-softmax of one element is 0: constant
        if (!Autograd.IsRecording([dOut, y])) return [RawOps.SoftmaxBackward(y, dOut, axis, log: true)];
        return [dOut - y.Exp() * dOut.Sum(axis, keepDim: true)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<LogSoftmax>("reduce")
        .Op("log_softmax", x => x[0].LogSoftmax(-1), d => d.Unary(-2, 2, minRank: 1));
}
