// Reductions. Sum, amax/amin and max/min-with-indices are primitives; mean, var/std, logsumexp and norm are
// compositions of them, written once here so their backward comes from the primitives'.
using DotGrad.Backends;

namespace DotGrad.Functions;

/// <summary>Sum over dims (all when null). d/dx = 1 broadcast back over the reduced dims.</summary>
public sealed class Sum { public static Tensor Apply(Tensor x, int[]? dims, bool keepDim) => Kernels.Reduce<SumOp>(x, dims, keepDim); }

/// <summary>Maximum over dims (<c>torch.amax</c>). Ties split the gradient evenly among the maxima (amax's rule).</summary>
public sealed class Amax { public static Tensor Apply(Tensor x, int[]? dims, bool keepDim) => Kernels.Reduce<MaxOp>(x, dims, keepDim); }

/// <summary>Minimum over dims (<c>torch.amin</c>). Ties split the gradient evenly.</summary>
public sealed class Amin { public static Tensor Apply(Tensor x, int[]? dims, bool keepDim) => Kernels.Reduce<MinOp>(x, dims, keepDim); }

/// <summary>Max along one dim with its index (<c>torch.max(x, dim)</c>). The gradient goes to the selected (first) index only.</summary>
public sealed class MaxDim { public static (Tensor Values, Tensor Indices) Apply(Tensor x, int dim, bool keepDim) => Kernels.ArgReduce("max", x, dim, keepDim, max: true); }

/// <summary>Min along one dim with its index. The gradient goes to the selected (first) index only.</summary>
public sealed class MinDim { public static (Tensor Values, Tensor Indices) Apply(Tensor x, int dim, bool keepDim) => Kernels.ArgReduce("min", x, dim, keepDim, max: false); }

/// <summary>Mean = sum / n over the reduced elements. Floating types only, like PyTorch.</summary>
public sealed class Mean
{
    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        Kernels.CheckFloating("mean", x);
        var axes = Kernels.ReductionAxes("mean", x.Rank, dims);
        int n = axes.Aggregate(1, (acc, a) => acc * x.ShapeRef[a]);
        using var s = Kernels.Reduce<SumOp>(x, axes, keepDim);
        using var inv = Tensor.Scalar(1.0 / n, x.DType, x.Device); // n = 0 gives NaN, like PyTorch
        return Kernels.Binary<MulOp>(s, inv);
    }
}

/// <summary>
/// Variance sum((x - mean)^2) / (n - correction); correction 1 (Bessel's, unbiased) is the default, like
/// <c>torch.var</c>. Two passes (mean first), which stays accurate when the mean is large.
/// </summary>
public sealed class Var
{
    public static Tensor Apply(Tensor x, int[]? dims, int correction, bool keepDim)
    {
        Kernels.CheckFloating("var", x);
        var axes = Kernels.ReductionAxes("var", x.Rank, dims);
        int n = axes.Aggregate(1, (acc, a) => acc * x.ShapeRef[a]);
        using var mean = Mean.Apply(x, axes, keepDim: true);
        using var diff = Kernels.Binary<SubOp>(x, mean);
        using var sq = Kernels.Unary<SquareOp>(diff);
        using var s = Kernels.Reduce<SumOp>(sq, axes, keepDim);
        using var denom = Tensor.Scalar(Math.Max(0, n - correction), x.DType, x.Device);
        return Kernels.Binary<DivOp>(s, denom);
    }
}

/// <summary>Standard deviation sqrt(var), same correction rule as <see cref="Var"/>.</summary>
public sealed class Std
{
    public static Tensor Apply(Tensor x, int[]? dims, int correction, bool keepDim)
    {
        using var v = Var.Apply(x, dims, correction, keepDim);
        return Kernels.Unary<SqrtOp>(v);
    }
}

/// <summary>
/// log(sum(exp x)) computed stably as m + log(sum(exp(x - m))) with m the max; an infinite m is replaced by 0 so
/// that a slice of all -inf gives -inf (not NaN), like <c>torch.logsumexp</c>. d/dx = softmax(x).
/// </summary>
public sealed class LogSumExp
{
    public static Tensor Apply(Tensor x, int[]? dims, bool keepDim)
    {
        Kernels.CheckFloating("logsumexp", x);
        var axes = Kernels.ReductionAxes("logsumexp", x.Rank, dims);
        if (axes.Any(a => x.ShapeRef[a] == 0)) // the log of an empty sum: -inf, like PyTorch
        {
            var empty = Tensor.Full(Kernels.KeepDimShape(x.ShapeRef, axes), double.NegativeInfinity, x.DType, x.Device);
            return keepDim ? empty : Kernels.DropAxes(empty, axes);
        }
        using var m = Kernels.Reduce<MaxOp>(x, axes, keepDim: true);
        using var absM = Kernels.Unary<AbsOp>(m);
        using var inf = Tensor.Scalar(double.PositiveInfinity, x.DType, x.Device);
        using var isInf = Kernels.Compare<EqOp>(absM, inf);
        using var zero = Tensor.Scalar(0, x.DType, x.Device);
        using var shift = Kernels.Where(isInf, zero, m);
        using var shifted = Kernels.Binary<SubOp>(x, shift);
        using var e = Kernels.Unary<ExpOp>(shifted);
        using var s = Kernels.Reduce<SumOp>(e, axes, keepDim: true);
        using var l = Kernels.Unary<LogOp>(s);
        var y = Kernels.Binary<AddOp>(l, shift);
        return keepDim ? y : Kernels.DropAxes(y, axes);
    }
}

/// <summary>
/// Vector p-norm over dims (<c>torch.linalg.vector_norm</c>; all dims by default): p = 2 sqrt(sum x^2), 1 sum |x|,
/// +inf max |x|, -inf min |x|, 0 the count of non-zeros, otherwise (sum |x|^p)^(1/p).
/// </summary>
public sealed class Norm
{
    public static Tensor Apply(Tensor x, double p, int[]? dims, bool keepDim)
    {
        Kernels.CheckFloating("norm", x);
        if (double.IsNaN(p)) throw new ArgumentException("norm: p must not be NaN", nameof(p));
        if (p == 2)
        {
            using var sq = Kernels.Unary<SquareOp>(x);
            using var s = Kernels.Reduce<SumOp>(sq, dims, keepDim);
            return Kernels.Unary<SqrtOp>(s);
        }
        using var a = Kernels.Unary<AbsOp>(x);
        if (p == 1) return Kernels.Reduce<SumOp>(a, dims, keepDim);
        if (double.IsPositiveInfinity(p)) return Kernels.Reduce<MaxOp>(a, dims, keepDim);
        if (double.IsNegativeInfinity(p)) return Kernels.Reduce<MinOp>(a, dims, keepDim);
        if (p == 0)
        {
            using var zero = Tensor.Scalar(0, x.DType, x.Device);
            using var nz = Kernels.Compare<NeOp>(x, zero);
            using var nzf = nz.To(x.DType);
            return Kernels.Reduce<SumOp>(nzf, dims, keepDim);
        }
        using var pt = Tensor.Scalar(p, x.DType, x.Device);
        using var powed = Kernels.Binary<PowOp>(a, pt);
        using var sum = Kernels.Reduce<SumOp>(powed, dims, keepDim);
        using var inv = Tensor.Scalar(1.0 / p, x.DType, x.Device);
        return Kernels.Binary<PowOp>(sum, inv);
    }
}

/// <summary>Softmax along a dim, stable (max subtracted). d/dx = y (dY - sum(dY y)).</summary>
public sealed class Softmax { public static Tensor Apply(Tensor x, int dim) => Kernels.Softmax(x, dim, log: false); }

/// <summary>Log-softmax along a dim, stable. d/dx = dY - softmax(x) sum(dY).</summary>
public sealed class LogSoftmax { public static Tensor Apply(Tensor x, int dim) => Kernels.Softmax(x, dim, log: true); }
