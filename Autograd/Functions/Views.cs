// Backward of the view ops (reshape, permute, expand, slice) and of copies and casts. A view's gradient is the
// incoming gradient seen through the inverse view; expand's is a sum over the broadcast dims.
using DotGrad.Backends;

namespace DotGrad.Functions;

/// <summary>Reshape, view, flatten, squeeze, unsqueeze: d/dx = dY reshaped back to x's shape.</summary>
public sealed class Reshape(int[] inputShape) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.Reshape(inputShape)];
}

/// <summary>permute / transpose: d/dx = dY permuted by the inverse permutation.</summary>
public sealed class Permute(int[] dims) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var inverse = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) inverse[dims[i]] = i;
        return [dOut.Permute(inverse)];
    }
}

/// <summary>expand (broadcasting): d/dx = dY summed over the new leading dims and the dims that grew from 1.</summary>
public sealed class Expand(int[] inputShape) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [SumTo(dOut, inputShape)];

    /// <summary>Sums a broadcast gradient back down to <paramref name="shape"/>.</summary>
    public static Tensor SumTo(Tensor g, int[] shape)
    {
        if (g.ShapeRef.SequenceEqual(shape)) return g;
        int lead = g.Rank - shape.Length;
        var axes = new List<int>();
        for (int d = 0; d < g.Rank; d++)
            if (d < lead || (shape[d - lead] == 1 && g.ShapeRef[d] != 1)) axes.Add(d);
        var s = axes.Count == 0 ? g : g.Sum(axes.ToArray(), keepDim: true);
        return s.Reshape(shape);
    }
}

/// <summary>A strided slice along one dim (narrow, slice, indexing): d/dx = zeros with dY written into the slice.</summary>
public sealed class Slice(int[] inputShape, int dim, int start, int step) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [SliceBackward.Apply(dOut, inputShape, dim, start, step)];
}

/// <summary>
/// The backward of <see cref="Slice"/> as a differentiable op of its own: y = zeros(shape) with x written at
/// positions start, start + step, ... along dim. d/dx = the same slice of dY (which makes slicing twice differentiable).
/// </summary>
public sealed class SliceBackward(int dim, int start, int step) : Function
{
    public static Tensor Apply(Tensor g, int[] shape, int dim, int start, int step)
    {
        Tensor y;
        using (Autograd.Pause())
        {
            y = Tensor.Zeros(shape, g.DType, g.Device);
            int len = g.ShapeRef[dim];
            using var view = y.Slice(dim, start, start + (len == 0 ? 0 : (len - 1) * step + 1), step);
            Kernels.CopyInto(view, g, "slice backward");
        }
        return Function.Record(y, () => new SliceBackward(dim, start, step), g);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        int len = Inputs[0].ShapeRef[dim];
        return [dOut.Slice(dim, start, start + (len == 0 ? 0 : (len - 1) * step + 1), step)];
    }
}

/// <summary>An alias or a same-dtype copy (contiguous, clone): d/dx = dY.</summary>
public sealed class Identity : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut];
}

/// <summary>A dtype conversion: d/dx = dY converted back to x's dtype (no gradient flows into integer inputs).</summary>
public sealed class Cast(DType inputDType) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.To(inputDType)];
}

/// <summary>A copy to another device: d/dx = dY copied back.</summary>
public sealed class ToDevice(Device inputDevice) : Function
{
    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.To(inputDevice)];
}
