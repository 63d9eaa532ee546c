// Indexing functions: index_select (embedding lookup), gather, scatter_add, one_hot.
using DotGrad.Backends;

namespace DotGrad.Functions;

/// <summary>x.index_select(dim, index). d/dx = zeros with dY scatter-added at the selected rows.</summary>
public sealed class IndexSelect { public static Tensor Apply(Tensor x, int dim, Tensor index) => Kernels.IndexSelect(x, dim, index); }

/// <summary>x.gather(dim, index). d/dx = zeros.scatter_add(dim, index, dY).</summary>
public sealed class Gather { public static Tensor Apply(Tensor x, int dim, Tensor index) => Kernels.Gather(x, dim, index); }

/// <summary>x.scatter_add(dim, index, src), out of place. d/dx = dY, d/dsrc = dY.gather(dim, index).</summary>
public sealed class ScatterAdd { public static Tensor Apply(Tensor x, int dim, Tensor index, Tensor src) => Kernels.ScatterAdd(x, dim, index, src); }

/// <summary>
/// one_hot(index, numClasses): a new last dim with a 1 at each index (<c>torch.nn.functional.one_hot</c>);
/// numClasses -1 means max(index) + 1. Gives Int32 (PyTorch gives int64). Not differentiable.
/// </summary>
public sealed class OneHot
{
    public static Tensor Apply(Tensor index, int numClasses)
    {
        if (index.DType != DType.Int32) throw new ArgumentException($"one_hot: expected an Int32 index, got {index.DType}");
        if (index.Count == 0 && numClasses < 0) throw new ArgumentException("one_hot: cannot infer the number of classes from an empty index; pass numClasses");
        if (index.Count > 0)
        {
            using var lo = Kernels.Reduce<MinOp>(index, null, false);
            using var hi = Kernels.Reduce<MaxOp>(index, null, false);
            int min = lo.Item<int>(), max = hi.Item<int>();
            if (numClasses < 0) numClasses = max + 1;
            if (min < 0 || max >= numClasses)
                throw new ArgumentOutOfRangeException(nameof(index), $"one_hot: index values must be in [0, {numClasses}), got values from {min} to {max}");
        }
        using var classes = Tensor.Arange(0, numClasses, 1, DType.Int32, index.Device);
        using var column = index.Unsqueeze(-1);
        using var mask = Kernels.Compare<EqOp>(column, classes);
        return mask.To(DType.Int32);
    }
}
