// The view ops (reshape, permute, expand, slice), copies, casts and device moves, each forward beside its backward.
// A view's forward is stride arithmetic on the raw tensor (Tensor/Tensor.Views.cs); its gradient is the incoming
// gradient seen through the inverse view, and expand's is a sum over the broadcast dims.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>Reshape, view, flatten, squeeze, unsqueeze: y = x with another shape. d/dx = dY reshaped back to x's shape.</summary>
public sealed class Reshape(int[] inputShape) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    /// <summary>x with <paramref name="shape"/> (a -1 is inferred): a view when the strides allow, else a copy.</summary>
    public static Tensor Apply(Tensor x, int[] shape) => Record(x, x.ReshapeRaw(x.InferShape(shape, "reshape")));

    /// <summary>x with <paramref name="shape"/> as a view, or an error when the layout does not allow one.</summary>
    public static Tensor View(Tensor x, int[] shape) => Record(x, x.ViewRaw(x.InferShape(shape, "view"), "view"));

    /// <summary>Every size-1 dim removed.</summary>
    public static Tensor Squeeze(Tensor x) => Record(x, x.SqueezeRaw());

    /// <summary>Dim <paramref name="dim"/> removed if its size is 1 (x unchanged otherwise, like PyTorch).</summary>
    public static Tensor Squeeze(Tensor x, int dim)
    {
        int d = ShapeMath.NormalizeDim(dim, x.Rank, "squeeze");
        return x.Rank == 0 || x.ShapeRef[d] != 1 ? Identity.Alias(x) : Record(x, x.SqueezeRaw(d));
    }

    /// <summary>A size-1 dim inserted at <paramref name="dim"/>.</summary>
    public static Tensor Unsqueeze(Tensor x, int dim) => Record(x, x.UnsqueezeRaw(dim));

    private static Tensor Record(Tensor x, Tensor y)
    {
        var inputShape = x.ShapeRef;
        return Function.Record(y, () => new Reshape(inputShape), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.Reshape(inputShape)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Reshape>("view")
        .Op("reshape", x => x[0].Reshape(x[0].Shape.Reverse().ToArray()), d => d.Unary(-2, 2))
        .Op("squeeze", x => x[0].Squeeze(), d => d.Unary(-2, 2))
        .Op("squeeze_dim", x => x[0].Squeeze(0), d => d.Unary(-2, 2, minRank: 1, firstIsOne: true))
        .Op("unsqueeze", x => x[0].Unsqueeze(0), d => d.Unary(-2, 2, maxRank: 3))
        .Op("flatten", x => x[0].Flatten(), d => d.Unary(-2, 2));
}

/// <summary>permute / transpose: y dim i = x dim dims[i]. d/dx = dY permuted by the inverse permutation.</summary>
public sealed class Permute(int[] dims) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, int[] dims)
    {
        var perm = x.NormalizePermutation(dims);
        return Record(x.PermuteRaw(perm), () => new Permute(perm), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var inverse = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) inverse[dims[i]] = i;
        return [dOut.Permute(inverse)];
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Permute>("view")
        .Op("permute", x => x[0].Permute(Enumerable.Range(0, x[0].Rank).Reverse().ToArray()), d => d.Unary(-2, 2, minRank: 1))
        .Op("transpose", x => x[0].Transpose(0, -1), d => d.Unary(-2, 2, minRank: 2));
}

/// <summary>expand (broadcasting, stride 0): d/dx = dY summed over the new leading dims and the dims that grew from 1.</summary>
public sealed class Expand(int[] inputShape) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, int[] shape)
    {
        var inputShape = x.ShapeRef;
        return Record(x.ExpandRaw(shape), () => new Expand(inputShape), x);
    }

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

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Expand>("view")
        .Op("expand", x => x[0].Expand([2, .. x[0].Shape.Select(s => s == 1 ? 3 : s)]), d => d.Unary(-2, 2));
}

/// <summary>
/// A strided slice along one dim (narrow, slice, split, indexing): y = x[start : start + step * length : step] along dim.
/// d/dx = zeros with dY written into the slice.
/// </summary>
public sealed class Slice(int[] inputShape, int dim, int start, int step) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    /// <summary>A validated slice: <paramref name="length"/> elements from <paramref name="start"/> every <paramref name="step"/> along dim <paramref name="d"/>.</summary>
    public static Tensor Apply(Tensor x, int d, int start, int length, int step)
    {
        var inputShape = x.ShapeRef;
        return Record(x.SliceRaw(d, start, length, step), () => new Slice(inputShape, d, start, step), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [SliceBackward.Apply(dOut, inputShape, dim, start, step)];

    // SliceBackward has no checks of its own: every slice's backward runs it, and the second-order checks differentiate it.
    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Slice>("view")
        .Op("narrow", x => x[0].Narrow(-1, x[0].Size(-1) - 2, 2), d => d.Unary(-2, 2, minRank: 1, minLast: 2), uses: [typeof(SliceBackward)])
        .Op("slice_step", x => x[0].Slice(-1, 0, null, 2), d => d.Unary(-2, 2, minRank: 1), uses: [typeof(SliceBackward)])
        .Op("slice_offset_step", x => x[0].Slice(0, 1, null, 2), d => d.Unary(-2, 2, minRank: 1, minFirst: 2), uses: [typeof(SliceBackward)])
        .Op("index", x => x[0][^1], d => d.Unary(-2, 2, minRank: 1), uses: [typeof(Reshape), typeof(SliceBackward)])
        .Op("index_range_newaxis", x => x[0][TensorIndex.Ellipsis, 1.., TensorIndex.NewAxis], d => d.Unary(-2, 2, minRank: 1, minLast: 2),
            uses: [typeof(Reshape), typeof(SliceBackward)])
        // split and chunk copy nothing: each piece is a narrow.
        .Op("split_piece", x => x[0].Split(2, -1)[^1], d => d.Unary(-2, 2, minRank: 1, minLast: 2), uses: [typeof(SliceBackward)], family: "movement")
        .Op("split_sizes_piece", x => x[0].Split([1, x[0].Size(0) - 1], 0)[1], d => d.Unary(-2, 2, minRank: 1, minFirst: 2),
            uses: [typeof(SliceBackward)], family: "movement")
        .Op("chunk_piece", x => x[0].Chunk(2, 0)[0], d => d.Unary(-2, 2, minRank: 1), uses: [typeof(SliceBackward)], family: "movement");
}

/// <summary>
/// The backward of <see cref="Slice"/> as a differentiable op of its own: y = zeros(shape) with x written at
/// positions start, start + step, ... along dim. d/dx = the same slice of dY (which makes slicing twice differentiable).
/// </summary>
public sealed class SliceBackward(int dim, int start, int step) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor g, int[] shape, int dim, int start, int step)
    {
        var y = Tensor.Zeros(shape, g.DType, g.Device);
        using (var view = y.SliceRaw(dim, start, g.ShapeRef[dim], step))
            RawOps.CopyInto(view, g, "slice backward");
        return Record(y, () => new SliceBackward(dim, start, step), g);
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        int len = Inputs[0].ShapeRef[dim];
        return [Slice.Apply(dOut, dim, start, len, step)];
    }
}

/// <summary>An alias or a same-dtype copy (contiguous, clone): y = x. d/dx = dY.</summary>
public sealed class Identity : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    /// <summary>A new view of the same elements, linked to x in the graph.</summary>
    public static Tensor Alias(Tensor x) => Record(x.AsStrided(x.ShapeRef, x.StridesRef, x.Offset), () => new Identity(), x);

    /// <summary>A contiguous copy with its own storage.</summary>
    public static Tensor Clone(Tensor x) => Record(x.CopyRaw(), () => new Identity(), x);

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Identity>("view")
        .Op("contiguous", x => x[0].Contiguous(), d => d.Unary(-2, 2))
        .Op("clone", x => x[0].Clone(), d => d.Unary(-2, 2));
}

/// <summary>A dtype conversion: d/dx = dY converted back to x's dtype (no gradient flows into integer inputs).</summary>
public sealed class Cast(DType inputDType) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, DType dtype)
    {
        if (dtype == x.DType) return Identity.Alias(x);
        var inputDType = x.DType;
        return Record(x.CastRaw(dtype), () => new Cast(inputDType), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.To(inputDType)];

    // Float64 -> Float32 -> Float64: the round trip rounds to Float32, so the finite-difference step is larger.
    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Cast>("view")
        .Op("cast_float32_float64", x => x[0].To(DType.Float32).To(DType.Float64), d => d.One(d.Uniform(d.Shape(), -2, 2), eps: 1e-3));
}

/// <summary>A copy to another device: d/dx = dY copied back.</summary>
public sealed class ToDevice(Device inputDevice) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, Device device)
    {
        if (device == x.Device) return Identity.Alias(x);
        var inputDevice = x.Device;
        return Record(x.ToDeviceRaw(device), () => new ToDevice(inputDevice), x);
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.To(inputDevice)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<ToDevice>("view")
        .Op("to_device", x => x[0].To(x[0].Device == Device.Cpu ? Device.Reference : Device.Cpu).To(x[0].Device), d => d.Unary(-2, 2));
}
