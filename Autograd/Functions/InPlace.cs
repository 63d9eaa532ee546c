// An in-place write recorded in the graph, PyTorch's CopySlices: x[indices] = value on a tensor that is part of a graph
// (or with a value that is) makes one node whose inputs are x's history up to the write and the value, and x becomes
// its output, so the gradient of what was overwritten stops at the write and the value's flows from the region.
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// y = x with y[indices] = broadcast(value). d/dx = dY with the written region zeroed; d/dvalue = dY[indices] summed
/// back to value's shape. Only shapes are needed, so later writes into x or value do not disturb this backward.
/// </summary>
public sealed class IndexAssign : Function
{
    private readonly TensorIndex[] _indices;
    private readonly int[] _valueShape;
    private Tensor _keep;   // [x] 1 outside the written region, 0 inside: a constant

    private IndexAssign(TensorIndex[] indices, int[] valueShape, Tensor keep)
    {
        _indices = indices;
        _valueShape = valueShape;
        _keep = keep;
    }

    protected internal override bool ReadsInput(int index) => false;

    /// <summary>Writes <paramref name="value"/> into <paramref name="x"/>[<paramref name="indices"/>], recording it when gradients are.</summary>
    internal static void Apply(Tensor x, TensorIndex[] indices, Tensor value)
    {
        const string op = "index assignment";
        bool recording = Autograd.IsRecording([x, value]);
        if (recording && x.IsLeaf && x.RequiresGrad)
            throw new InvalidOperationException($"{op}: x is a leaf that requires grad (a parameter or an input), and writing into it would change " +
                                                "what its gradient is the gradient of; write under Autograd.NoGrad() (as an optimizer does), or into a clone");
        if (recording && x.GradFn is { } fn && IsViewOf(fn, x))
            throw new InvalidOperationException($"{op}: x is a view (made by {fn.Name}) of another tensor in the graph, whose history a write into the " +
                                                "view would not reach; write into that tensor with the same indices, or into a clone of the view");
        Tensor? before = null;
        if (recording)
        {
            // A second handle on x's memory that keeps x's history so far: the node's first input.
            before = x.AsStrided(x.ShapeRef, x.StridesRef, x.Offset);
            if (x.GradFn is { } history) before.SetGradFn(history);
        }
        using (var view = TensorIndex.ApplyRaw(x, indices))
            RawOps.CopyInto(view, value, op);
        x.Storage.BumpVersion();
        if (!recording) return;
        Tensor keep;
        using (Autograd.NoGrad())
        {
            keep = Tensor.Ones(x.ShapeRef, x.DType, x.Device);
            using var region = TensorIndex.ApplyRaw(keep, indices);
            using var zero = Tensor.Zeros([], x.DType, x.Device);
            RawOps.CopyInto(region, zero, op);
        }
        RecordInPlace(x, new IndexAssign(indices, value.ShapeRef, keep), before!, value);
    }

    /// <summary>Whether x shares its memory with the input of the view op <paramref name="fn"/> that made it.</summary>
    private static bool IsViewOf(Function fn, Tensor x) =>
        fn is Slice or Permute or Expand or Reshape or Identity && fn.Inputs.Count > 0 && ReferenceEquals(fn.Inputs[0].StorageOrNull, x.Storage);

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        Tensor before = Inputs[0], value = Inputs[1];
        var dBefore = before.RequiresGrad ? dOut * _keep : null;
        var dValue = value.RequiresGrad ? Expand.SumTo(dOut[_indices], _valueShape) : null;
        return [dBefore, dValue];
    }

    protected override void ReleaseSaved() => _keep = null!;

    /// <summary>
    /// A row block of a computed [3, 4] tensor overwritten by a [4] value broadcast over it: the gradient reaches the
    /// rows not written through x, and the value summed over the rows it filled.
    /// </summary>
    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<IndexAssign>("index")
        .Op("index_assign", x =>
        {
            var h = x[0] * 1.0;
            h[1..] = x[1] * 1.0;
            return h;
        }, d => new OpSample([d.In(d.Uniform([3, 4], -2, 2)), d.In(d.Uniform([4], -2, 2))]), uses: [typeof(Mul), typeof(Slice), typeof(Expand)]);
}
