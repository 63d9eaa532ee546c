// Movement functions that copy: cat, stack, pad, repeat, tril/triu. (split and chunk are views: narrow.)
using DotGrad.Backends;

namespace DotGrad.Autodiff.Functions;

/// <summary>
/// Concatenation along an existing dim (<c>torch.cat</c>). d/dx_i = the slice of dY that x_i filled (narrow), cast
/// back to x_i's dtype when cat promoted it.
/// </summary>
public sealed class Cat(int axis, int[] starts) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("cat: expected at least one tensor, got none");
        for (int i = 1; i < tensors.Count; i++) RawOps.CheckSameDevice("cat", tensors[0], tensors[i]);
        // Like torch.cat, 1-D empty tensors (shape [0]) are skipped whatever the other shapes are, so that a result
        // can be grown from an empty start.
        var kept = tensors.Where(t => !(t.Rank == 1 && t.ShapeRef[0] == 0)).ToList();
        if (kept.Count == 0) kept.Add(tensors[0]);
        tensors = kept;
        var first = tensors[0];
        if (first.Rank == 0) throw new ArgumentException("cat: zero-dimensional tensors cannot be concatenated; use Stack");
        int axis = ShapeMath.NormalizeDim(dim, first.Rank, "cat");
        var dtype = first.DType;
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            RawOps.CheckSameDevice("cat", first, t);
            if (t.Rank != first.Rank)
                throw new ArgumentException($"cat: tensor {i} has rank {t.Rank} (shape {ShapeMath.Format(t.ShapeRef)}) but tensor 0 has rank {first.Rank} (shape {ShapeMath.Format(first.ShapeRef)})");
            for (int d = 0; d < first.Rank; d++)
                if (d != axis && t.ShapeRef[d] != first.ShapeRef[d])
                    throw new ArgumentException($"cat: sizes must match except in dim {axis}; tensor {i} has shape {ShapeMath.Format(t.ShapeRef)}, tensor 0 has {ShapeMath.Format(first.ShapeRef)}");
            dtype = t.DType == dtype ? dtype : RawOps.Promote("cat", dtype, t.DType);
            total += t.ShapeRef[axis];
        }
        var shape = (int[])first.ShapeRef.Clone();
        shape[axis] = total;
        var y = Tensor.Empty(shape, dtype, first.Device);
        var starts = new int[tensors.Count];
        using (Autograd.Pause())
        {
            int start = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                int len = t.ShapeRef[axis];
                starts[i] = start;
                using var slot = y.Narrow(axis, start, len);
                RawOps.CopyInto(slot, t, "cat");
                start += len;
            }
        }
        return Record(y, () => new Cat(axis, starts), tensors.ToArray());
    }

    protected internal override Tensor?[] Backward(Tensor dOut)
    {
        var dX = new Tensor?[Inputs.Count];
        for (int i = 0; i < Inputs.Count; i++)
        {
            var x = Inputs[i];
            if (!x.RequiresGrad) continue;
            var g = dOut.Narrow(axis, starts[i], x.ShapeRef[axis]);
            dX[i] = g.DType == x.DType ? g : g.To(x.DType);
        }
        return dX;
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Cat>("movement")
        .Op("cat", x => Tensor.Cat(x, -1), d => d.CatSample(dim: -1))
        .Op("cat_dim0", x => Tensor.Cat(x, 0), d => d.CatSample(dim: 0));
}

/// <summary>Joins tensors of one shape along a new dim (<c>torch.stack</c>): unsqueeze each, then cat.</summary>
public sealed class Stack
{
    public static Tensor Apply(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("stack: expected at least one tensor, got none");
        for (int i = 1; i < tensors.Count; i++)
            if (!tensors[i].ShapeRef.SequenceEqual(tensors[0].ShapeRef))
                throw new ArgumentException($"stack: expected tensors of one shape; tensor 0 has {ShapeMath.Format(tensors[0].ShapeRef)}, tensor {i} has {ShapeMath.Format(tensors[i].ShapeRef)}");
        int axis = ShapeMath.NormalizeDim(dim, tensors[0].Rank + 1, "stack");
        var views = tensors.Select(t => t.Unsqueeze(axis)).ToList();
        try { return Cat.Apply(views, axis); }
        finally { views.Where(v => !v.RequiresGrad).ToList().ForEach(v => v.Dispose()); } // the graph keeps the others
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Stack>("movement")
        .Op("stack", x => Tensor.Stack(x, 0), d => d.StackSample(), uses: [typeof(Cat), typeof(Reshape)]);
}

/// <summary>
/// Constant padding (<c>torch.nn.functional.pad</c>, mode 'constant'): the pads hold (before, after)
/// pairs starting from the LAST dim. Negative pads crop. d/dx = the matching slice of dY, with zeros where x was
/// cropped: pad(dY, -pads), since padding with the negated pads is the inverse map.
/// </summary>
public sealed class Pad(int[] pads) : Function
{
    /// <summary>The backward needs only shapes, so in-place writes into the inputs afterwards are fine.</summary>
    protected internal override bool ReadsInput(int index) => false;

    public static Tensor Apply(Tensor x, int[] pads, double value)
    {
        ArgumentNullException.ThrowIfNull(pads);
        if (pads.Length % 2 != 0 || pads.Length / 2 > x.Rank)
            throw new ArgumentException($"pad: expected an even number of pads, at most 2 per dim ({2 * x.Rank} for shape {ShapeMath.Format(x.ShapeRef)}), got {pads.Length}");
        var shape = (int[])x.ShapeRef.Clone();
        for (int i = 0; i < pads.Length / 2; i++)
        {
            int d = x.Rank - 1 - i;
            shape[d] += pads[2 * i] + pads[2 * i + 1];
            if (shape[d] < 0)
                throw new ArgumentException($"pad: pads ({pads[2 * i]}, {pads[2 * i + 1]}) on dim {d} of size {x.ShapeRef[d]} give a negative size {shape[d]}");
        }
        var y = Tensor.Full(shape, value, x.DType, x.Device);
        var negated = pads.Select(p => -p).ToArray();
        using (Autograd.Pause()) Fill(x, y, pads);
        return Record(y, () => new Pad(negated), x);
    }

    /// <summary>Copies the part of x that survives the pads into its place in y (raw, not recorded).</summary>
    private static void Fill(Tensor x, Tensor y, int[] pads)
    {
        var src = x;
        var dst = y;
        var owned = new List<Tensor>();
        for (int i = 0; i < pads.Length / 2; i++)
        {
            int d = x.Rank - 1 - i, before = pads[2 * i], after = pads[2 * i + 1];
            int len = x.ShapeRef[d] - Math.Max(-before, 0) - Math.Max(-after, 0);
            if (len <= 0) { owned.ForEach(t => t.Dispose()); return; }
            src = src.Narrow(d, Math.Max(-before, 0), len);
            dst = dst.Narrow(d, Math.Max(before, 0), len);
            owned.Add(src);
            owned.Add(dst);
        }
        RawOps.CopyInto(dst, src, "pad");
        owned.ForEach(t => t.Dispose());
    }

    protected internal override Tensor?[] Backward(Tensor dOut) => [dOut.Pad(pads)];

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Pad>("movement")
        .Op("pad", x => x[0].Pad([1, 2], 0.5), d => d.Unary(-2, 2, minRank: 1))
        .Op("pad_crop", x => x[0].Pad([-1, 1, 1, 0]), d => d.Unary(-2, 2, minRank: 2, minLast: 2));
}

/// <summary>
/// Tiles the tensor (<c>Tensor.repeat</c>): dim i repeated reps[i] times; extra leading reps add dims.
/// d/dx = dY summed over the copies, which comes from the differentiable reshape / expand / copy it is made of.
/// </summary>
public sealed class Repeat
{
    public static Tensor Apply(Tensor x, int[] reps)
    {
        ArgumentNullException.ThrowIfNull(reps);
        if (reps.Length < x.Rank)
            throw new ArgumentException($"repeat: expected at least {x.Rank} repeat counts for shape {ShapeMath.Format(x.ShapeRef)}, got {ShapeMath.Format(reps)}");
        if (reps.Any(r => r < 0)) throw new ArgumentException($"repeat: counts must be non-negative, got {ShapeMath.Format(reps)}");
        int lead = reps.Length - x.Rank;
        var shape = Enumerable.Repeat(1, lead).Concat(x.ShapeRef).ToArray();
        // View x as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], and copy out as [r0*s0, r1*s1, ...].
        var interleaved = shape.SelectMany(s => new[] { 1, s }).ToArray();
        var expanded = shape.SelectMany((s, i) => new[] { reps[i], s }).ToArray();
        var v = x.Reshape(interleaved);
        var e = v.Expand(expanded);
        var c = e.Contiguous();
        var y = c.Reshape(shape.Select((s, i) => s * reps[i]).ToArray());
        if (!y.RequiresGrad) // intermediates go at once unless the graph keeps them
        {
            v.Dispose();
            e.Dispose();
            c.Dispose();
        }
        return y;
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Repeat>("movement")
        .Op("repeat", x => x[0].Repeat([2, .. Enumerable.Range(0, x[0].Rank).Select(i => i % 2 == 0 ? 2 : 1)]), d => d.Unary(-2, 2, maxRank: 3));
}

/// <summary>
/// Lower (tril) or upper (triu) triangle of the last two dims, the rest zeroed; diagonal k shifts the edge.
/// d/dx = dY inside the triangle, 0 outside (through the differentiable where).
/// </summary>
public sealed class Triangle
{
    public static Tensor Apply(Tensor x, int diagonal, bool lower)
    {
        string op = lower ? "tril" : "triu";
        if (x.Rank < 2) throw new ArgumentException($"{op}: expected a tensor of rank >= 2, got shape {ShapeMath.Format(x.ShapeRef)}");
        int rows = x.ShapeRef[^2], cols = x.ShapeRef[^1];
        using var r = Tensor.Arange(0, rows, 1, DType.Int32, x.Device);
        using var c = Tensor.Arange(0, cols, 1, DType.Int32, x.Device);
        using var rr = r.Unsqueeze(1);
        using var offset = RawOps.Binary<SubOp>(c, rr); // [rows, cols]: col - row
        using var k = Tensor.Scalar(diagonal, DType.Int32, x.Device);
        var keep = lower ? RawOps.Compare<LeOp>(offset, k) : RawOps.Compare<GeOp>(offset, k);
        var zero = Tensor.Scalar(0, x.DType, x.Device);
        var y = Tensor.Where(keep, x, zero);
        if (!y.RequiresGrad) // a recorded where keeps the mask (and may keep the zero) for its backward
        {
            keep.Dispose();
            zero.Dispose();
        }
        return y;
    }

    [GradChecks]
    internal static OpChecks Checks() => OpChecks.For<Triangle>("movement")
        .Op("tril", x => x[0].Tril(), d => d.Unary(-2, 2, minRank: 2))
        .Op("triu", x => x[0].Triu(1), d => d.Unary(-2, 2, minRank: 2));
}
