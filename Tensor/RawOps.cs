// The checked path from a tensor operation to a backend kernel: validation, dtype promotion, broadcasting,
// output allocation. Nothing here is recorded in a graph: the autograd functions call these for their forwards.
using DotGrad.Backends;

namespace DotGrad;

/// <summary>Validated entry points to the backend primitives, one per primitive family.</summary>
internal static partial class RawOps
{
    public static void CheckSameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: expected all tensors on one device, got {a.Device} and {b.Device}; move one with .To(device)");
    }

    /// <summary>Throws for the storage-only dtypes, naming the op and the fix.</summary>
    public static void CheckComputable(string op, DType dtype)
    {
        if (dtype is DType.BFloat16 or DType.Float16)
            throw new ArgumentException($"{op}: dtype {dtype} is a storage format here; convert with .To(DType.Float32) before computing");
    }

    public static void CheckFloating(string op, Tensor x)
    {
        CheckComputable(op, x.DType);
        if (x.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{op}: expected a floating-point tensor (Float32 or Float64), got {x.DType}; convert with .To(DType.Float32)");
    }

    /// <summary>
    /// The dtype two operands compute in: Bool &lt; Int32 &lt; Int64 &lt; Float32 &lt; Float64, like PyTorch's promotion
    /// (Int64 with Int32 is Int64, any integer with a float is the float, Bool with an integer is the integer).
    /// </summary>
    public static DType Promote(string op, DType a, DType b)
    {
        CheckComputable(op, a);
        CheckComputable(op, b);
        static int Rank(DType d) => d switch { DType.Bool => 0, DType.Int32 => 1, DType.Int64 => 2, DType.Float32 => 3, _ => 4 };
        return Rank(a) >= Rank(b) ? a : b;
    }

    /// <summary>
    /// Throws unless <paramref name="index"/> has an index dtype (<see cref="DTypeExtensions.IsIndex"/>: Int32 or Int64).
    /// The one check every op that takes indices, labels or token ids makes, so they all accept the same dtypes.
    /// </summary>
    public static void CheckIndexDType(string op, Tensor index, string name = "index")
    {
        if (!index.DType.IsIndex())
            throw new ArgumentException($"{op}: expected an Int32 or Int64 {name}, got {index.DType}; convert with .To(DType.Int64)", name);
    }

    /// <summary>
    /// Indices an op produced, as Int64 (PyTorch's index dtype, what argmax, topk and sort return): an Int32 tensor is
    /// converted (exactly) and released, an Int64 one handed back as is. Takes ownership of <paramref name="indices"/>.
    /// </summary>
    public static Tensor AsInt64Indices(Tensor indices)
    {
        if (indices.DType == DType.Int64) return indices;
        CheckIndexDType("indices", indices, "indices");
        using (indices) return indices.CastRaw(DType.Int64);
    }

    /// <summary>
    /// A rank-0 tensor for a C# number used beside <paramref name="like"/>, as PyTorch's wrapped numbers: it takes the
    /// tensor's dtype, except that a fractional number beside an integer or Bool tensor is Float32, and a whole number
    /// beside a Bool tensor is Int64 (<c>torch.tensor([True]) + 1</c> is int64). Unlike PyTorch, a whole number that
    /// Int32 cannot hold beside an Int32 tensor is Float32 rather than wrapping.
    /// </summary>
    public static Tensor ScalarLike(Tensor like, double value)
    {
        var dtype = like.DType;
        bool whole = value == Math.Floor(value);
        if (dtype == DType.Int32)
            dtype = whole && Math.Abs(value) <= int.MaxValue ? DType.Int32 : DType.Float32;
        else if (dtype is DType.Int64 or DType.Bool)
            dtype = whole && Math.Abs(value) <= long.MaxValue ? DType.Int64 : DType.Float32;
        return Tensor.Scalar(value, dtype, like.Device);
    }

    /// <summary>The dtype arithmetic on an input of <paramref name="dtype"/> starts from: Bool as Int32, others as themselves.</summary>
    private static DType IntegerWidth(DType dtype) => dtype == DType.Bool ? DType.Int32 : dtype;

    /// <summary>
    /// What an integer dtype computes in for an operator: itself when the operator is defined on it; Float32 when the
    /// operator is defined on no integers (exp(int) is float, as in PyTorch); an error when it is defined on Int32 only.
    /// </summary>
    private static DType IntegerDType(string op, DType dtype, bool supportsInt32, bool supportsInt64)
    {
        if (dtype == DType.Int32) return supportsInt32 ? dtype : DType.Float32;
        if (dtype == DType.Int64)
        {
            if (supportsInt64) return dtype;
            if (supportsInt32) throw new NotSupportedException($"{op} is defined on Int32 but not on Int64; convert with .To(DType.Int32)");
            return DType.Float32;
        }
        return dtype;
    }

    public static Tensor Unary<TOp>(Tensor x) where TOp : struct, IUnaryOperator<TOp>
    {
        using var prof = Profiler.Op(TOp.Name, x.Count, x);
        CheckComputable(TOp.Name, x.DType);
        var dtype = IntegerDType(TOp.Name, IntegerWidth(x.DType), TOp.SupportsInt32, TOp.SupportsInt64); // exp(int) is float
        using var input = x.CastRaw(dtype);
        var y = Tensor.Empty(input.ShapeRef, input.DType, input.Device);
        input.Backend.Unary<TOp>(input.Data, y.Data);
        return y;
    }

    /// <summary>
    /// The dtype a op b computes in: the promoted type, Bool as Int32, and Float32 where the op needs floats (true
    /// division of Int32 or Int64 operands is Float32, as <c>torch.div</c> gives the default float type).
    /// </summary>
    public static DType BinaryDType<TOp>(Tensor a, Tensor b, bool floatOnly) where TOp : struct, IBinaryOperator<TOp>
    {
        var dtype = IntegerWidth(Promote(TOp.Name, a.DType, b.DType));
        if (dtype.IsInteger() && floatOnly) return DType.Float32;
        return IntegerDType(TOp.Name, dtype, TOp.SupportsInt32, TOp.SupportsInt64);
    }

    /// <summary>a op b with broadcasting; <paramref name="floatOnly"/> promotes integer operands to Float32 (true division).</summary>
    public static Tensor Binary<TOp>(Tensor a, Tensor b, bool floatOnly = false) where TOp : struct, IBinaryOperator<TOp>
    {
        CheckSameDevice(TOp.Name, a, b);
        var dtype = BinaryDType<TOp>(a, b, floatOnly);
        var shape = ShapeMath.Broadcast(a.ShapeRef, b.ShapeRef, TOp.Name);
        using var prof = Profiler.Op(TOp.Name, ShapeMath.Count(shape), a);
        using var ac = a.CastRaw(dtype);
        using var bc = b.CastRaw(dtype);
        using var ae = ac.ExpandRaw(shape);
        using var be = bc.ExpandRaw(shape);
        var y = Tensor.Empty(shape, dtype, a.Device);
        a.Backend.Binary<TOp>(ae.Data, be.Data, y.Data);
        return y;
    }

    public static Tensor Compare<TOp>(Tensor a, Tensor b) where TOp : struct, ICompareOperator<TOp>
    {
        CheckSameDevice(TOp.Name, a, b);
        var dtype = Promote(TOp.Name, a.DType, b.DType);
        var shape = ShapeMath.Broadcast(a.ShapeRef, b.ShapeRef, TOp.Name);
        using var prof = Profiler.Op(TOp.Name, ShapeMath.Count(shape), a);
        using var ac = a.CastRaw(dtype);
        using var bc = b.CastRaw(dtype);
        using var ae = ac.ExpandRaw(shape);
        using var be = bc.ExpandRaw(shape);
        var y = Tensor.Empty(shape, DType.Bool, a.Device);
        a.Backend.Compare<TOp>(ae.Data, be.Data, y.Data);
        return y;
    }

    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType != DType.Bool)
            throw new ArgumentException($"where: expected a Bool condition, got {condition.DType}; build one with a comparison such as x > 0");
        CheckSameDevice("where", condition, a);
        CheckSameDevice("where", a, b);
        var dtype = Promote("where", a.DType, b.DType);
        var shape = ShapeMath.Broadcast(ShapeMath.Broadcast(condition.ShapeRef, a.ShapeRef, "where"), b.ShapeRef, "where");
        using var prof = Profiler.Op("where", ShapeMath.Count(shape), a);
        using var ac = a.CastRaw(dtype);
        using var bc = b.CastRaw(dtype);
        using var ce = condition.ExpandRaw(shape);
        using var ae = ac.ExpandRaw(shape);
        using var be = bc.ExpandRaw(shape);
        var y = Tensor.Empty(shape, dtype, a.Device);
        a.Backend.Where(ce.Data, ae.Data, be.Data, y.Data);
        return y;
    }

    /// <summary>Normalised, de-duplicated, sorted reduction axes; null or empty means every axis.</summary>
    public static int[] ReductionAxes(string op, int rank, int[]? dims)
    {
        // Like PyTorch, an empty list of dims (as well as none) reduces every dim.
        if (dims is null || dims.Length == 0) return Enumerable.Range(0, rank).ToArray();
        var axes = new SortedSet<int>();
        foreach (var d in dims)
            if (!axes.Add(ShapeMath.NormalizeDim(d, rank, op)))
                throw new ArgumentException($"{op}: dim {d} appears more than once in {ShapeMath.Format(dims)}");
        return rank == 0 ? [] : axes.ToArray();
    }

    /// <summary>x's shape with size 1 on the axes.</summary>
    public static int[] KeepDimShape(int[] shape, int[] axes)
    {
        var result = (int[])shape.Clone();
        foreach (var a in axes) result[a] = 1;
        return result;
    }

    /// <summary>Drops the reduced axes from a keepdim-shaped result (a view).</summary>
    public static Tensor DropAxes(Tensor y, int[] axes)
    {
        var shape = y.ShapeRef.Where((_, i) => Array.IndexOf(axes, i) < 0).ToArray();
        var strides = y.StridesRef.Where((_, i) => Array.IndexOf(axes, i) < 0).ToArray();
        using (y) return y.AsStrided(shape, strides, y.Offset);
    }

    /// <summary>
    /// Sum, max or min over <paramref name="dims"/>. Like <c>torch.sum</c>, the sum of Bool, Int32 or Int64 is Int64
    /// (so counting a mask or summing token ids does not overflow Int32); max and min keep the dtype (Bool as Int32).
    /// </summary>
    public static Tensor Reduce<TOp>(Tensor x, int[]? dims, bool keepDim) where TOp : struct, IReduceOperator<TOp>
    {
        using var prof = Profiler.Op(TOp.Name, x.Count, x);
        CheckComputable(TOp.Name, x.DType);
        var axes = ReductionAxes(TOp.Name, x.Rank, dims);
        var dtype = typeof(TOp) == typeof(SumOp) && (x.DType.IsInteger() || x.DType == DType.Bool) ? DType.Int64 : IntegerWidth(x.DType);
        using var input = x.CastRaw(dtype);
        if (typeof(TOp) != typeof(SumOp))
            foreach (var a in axes)
                if (x.ShapeRef[a] == 0)
                    throw new ArgumentException($"{TOp.Name}: cannot reduce over dim {a} of size 0 in shape {ShapeMath.Format(x.ShapeRef)} (there is no identity); the sum of nothing is 0, but the {TOp.Name} of nothing is undefined");
        var y = Tensor.Empty(KeepDimShape(x.ShapeRef, axes), input.DType, x.Device);
        x.Backend.Reduce<TOp>(input.Data, y.Data, axes);
        return keepDim ? y : DropAxes(y, axes);
    }

    /// <summary>Max or min along one dim with its position; the indices are Int64, as PyTorch's are.</summary>
    public static (Tensor Values, Tensor Indices) ArgReduce(string op, Tensor x, int dim, bool keepDim, bool max)
    {
        using var prof = Profiler.Op(op, x.Count, x);
        CheckComputable(op, x.DType);
        using var input = x.CastRaw(x.DType == DType.Bool ? DType.Int32 : x.DType);
        using var source = AsRank1(input);
        int axis = ShapeMath.NormalizeDim(dim, source.Rank, op);
        if (source.ShapeRef[axis] == 0)
            throw new ArgumentException($"{op}: cannot reduce over dim {axis} of size 0 in shape {ShapeMath.Format(x.ShapeRef)}");
        var shape = KeepDimShape(source.ShapeRef, [axis]);
        var values = Tensor.Empty(shape, source.DType, x.Device);
        var indices = Tensor.Empty(shape, DType.Int64, x.Device); // PyTorch's index dtype
        x.Backend.ArgReduce(source.Data, values.Data, indices.Data, axis, max);
        if (x.Rank == 0) return (ReshapeOwned(values), ReshapeOwned(indices));
        return keepDim ? (values, indices) : (DropAxes(values, [axis]), DropAxes(indices, [axis]));
    }

    public static Tensor Softmax(Tensor x, int dim, bool log)
    {
        using var prof = Profiler.Op(log ? "log_softmax" : "softmax", 5L * x.Count, x);
        string op = log ? "log_softmax" : "softmax";
        CheckFloating(op, x);
        using var source = AsRank1(x);
        int axis = ShapeMath.NormalizeDim(dim, source.Rank, op);
        var y = Tensor.Empty(source.ShapeRef, x.DType, x.Device);
        CompositeKernels.For(x.Backend).Softmax(source.Data, y.Data, axis, log); // fused, or composed from primitives
        return x.Rank == 0 ? ReshapeOwned(y) : y;
    }

    /// <summary>
    /// Layer norm over the last dim of x [..., C] with optional weight and bias [C]: y like x, and the per-row mean
    /// and rstd (x's shape without the last dim) that the backward needs.
    /// </summary>
    public static (Tensor Y, Tensor Mean, Tensor Rstd) LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps)
    {
        using var prof = Profiler.Op("layer_norm", 5L * x.Count, x);
        const string op = "layer_norm";
        CheckLayerNormOperands(op, x, weight, bias);
        if (!(eps >= 0)) throw new ArgumentException($"{op}: eps must be non-negative, got {eps}", nameof(eps));
        var y = Tensor.Empty(x.ShapeRef, x.DType, x.Device);
        var mean = Tensor.Empty(x.ShapeRef[..^1], x.DType, x.Device);
        var rstd = Tensor.Empty(x.ShapeRef[..^1], x.DType, x.Device);
        CompositeKernels.For(x.Backend).LayerNorm(x.Data, weight?.Data, bias?.Data, y.Data, mean.Data, rstd.Data, eps);
        return (y, mean, rstd);
    }

    /// <summary>
    /// The gradients of <see cref="LayerNorm"/> from dy (shaped like x) and its saved mean and rstd: dx like x, dweight
    /// and dbias [C]; each is computed only when asked for (null otherwise).
    /// </summary>
    public static (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LayerNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor mean, Tensor rstd,
                                                                                bool wantDx, bool wantDWeight, bool wantDBias)
    {
        using var prof = Profiler.Op("layer_norm_backward", 5L * x.Count, x);
        const string op = "layer_norm_backward";
        CheckLayerNormOperands(op, x, weight, null);
        CheckSameDevice(op, x, dy);
        if (!dy.ShapeRef.SequenceEqual(x.ShapeRef))
            throw new ArgumentException($"{op}: expected dy of x's shape {ShapeMath.Format(x.ShapeRef)}, got {ShapeMath.Format(dy.ShapeRef)}");
        var rows = x.ShapeRef[..^1];
        if (!mean.ShapeRef.SequenceEqual(rows) || !rstd.ShapeRef.SequenceEqual(rows) || mean.DType != x.DType || rstd.DType != x.DType)
            throw new ArgumentException($"{op}: expected mean and rstd of shape {ShapeMath.Format(rows)} and dtype {x.DType}, got {ShapeMath.Format(mean.ShapeRef)} {mean.DType} and {ShapeMath.Format(rstd.ShapeRef)} {rstd.DType}");
        int C = x.ShapeRef[^1];
        using var g = dy.CastRaw(x.DType);
        var dx = wantDx ? Tensor.Empty(x.ShapeRef, x.DType, x.Device) : null;
        var dw = wantDWeight ? Tensor.Empty([C], x.DType, x.Device) : null;
        var db = wantDBias ? Tensor.Empty([C], x.DType, x.Device) : null;
        if (dx is not null || dw is not null || db is not null)
            CompositeKernels.For(x.Backend).LayerNormBackward(g.Data, x.Data, weight?.Data, mean.Data, rstd.Data, dx?.Data, dw?.Data, db?.Data);
        return (dx, dw, db);
    }

    private static void CheckLayerNormOperands(string op, Tensor x, Tensor? weight, Tensor? bias)
    {
        CheckFloating(op, x);
        if (x.Rank == 0) throw new ArgumentException($"{op}: expected x with at least 1 dim (normalised over the last), got a scalar");
        int C = x.ShapeRef[^1];
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            CheckSameDevice(op, x, t);
            if (t.DType != x.DType || t.Rank != 1 || t.ShapeRef[0] != C)
                throw new ArgumentException($"{op}: expected {name} of shape [{C}] and dtype {x.DType} (the last dim of x, shape {ShapeMath.Format(x.ShapeRef)}), got {ShapeMath.Format(t.ShapeRef)} {t.DType}");
        }
    }

    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = "matmul";
        CheckSameDevice(op, a, b);
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"{op}: both arguments need at least 1 dim, got shapes {ShapeMath.Format(a.ShapeRef)} and {ShapeMath.Format(b.ShapeRef)}");
        if (a.DType is not (DType.Float32 or DType.Float64) || b.DType != a.DType)
            throw new ArgumentException($"{op}: expected Float32 or Float64 operands of one dtype (like PyTorch, no mixing), got {a.DType} and {b.DType}");
        var dtype = a.DType;
        // A vector operand becomes a one-row (or one-column) matrix, and that dim is dropped from the result.
        using var ac = a.CastRaw(dtype);
        using var bc = b.CastRaw(dtype);
        using var A = a.Rank == 1 ? ac.UnsqueezeRaw(0) : ac.AsStrided(ac.ShapeRef, ac.StridesRef, ac.Offset); // [..., M, K]
        using var B = b.Rank == 1 ? bc.UnsqueezeRaw(-1) : bc.AsStrided(bc.ShapeRef, bc.StridesRef, bc.Offset); // [..., K, N]
        int M = A.ShapeRef[^2], K = A.ShapeRef[^1], N = B.ShapeRef[^1];
        if (B.ShapeRef[^2] != K)
            throw new ArgumentException($"{op}: shapes {ShapeMath.Format(a.ShapeRef)} and {ShapeMath.Format(b.ShapeRef)} cannot be multiplied ({K} columns vs {B.ShapeRef[^2]} rows)");
        var batch = ShapeMath.Broadcast(A.ShapeRef[..^2], B.ShapeRef[..^2], op);
        using var Ae = A.ExpandRaw([.. batch, M, K]);
        using var Be = B.ExpandRaw([.. batch, K, N]);
        var C = Tensor.Empty([.. batch, M, N], dtype, a.Device);
        int batchCount = ShapeMath.Count(batch);
        using var prof = Profiler.Op(op, 2L * batchCount * M * N * K, a);
        using var C3 = C.AsStrided([batchCount, M, N], [M * N, N, 1], 0);
        // A weight shared by the whole batch ([B, T, C] @ [C, D]): one tall GEMM [B*T, C] @ [C, D] beats B small ones.
        if (batchCount > 1 && Be.StridesRef[..^2].All(s => s == 0) && FoldRows(Ae) is { } tall)
        {
            using (tall)
            using (var B3 = Be.AsStrided([1, K, N], [0, Be.StridesRef[^2], Be.StridesRef[^1]], Be.Offset))
            using (var Ctall = C.AsStrided([1, batchCount * M, N], [0, N, 1], 0))
                a.Backend.MatMul(tall.Data, B3.Data, Ctall.Data);
        }
        else
        {
            using var A3 = FoldBatch(Ae);
            using var B3 = FoldBatch(Be);
            a.Backend.MatMul(A3.Data, B3.Data, C3.Data);
        }
        if (a.Rank == 1 && b.Rank == 1) return DropAxes(C, [C.Rank - 2, C.Rank - 1]);
        if (a.Rank == 1) return DropAxes(C, [C.Rank - 2]);
        if (b.Rank == 1) return DropAxes(C, [C.Rank - 1]);
        return C;
    }

    /// <summary>[b1, ..., bn, R, C] as [b1*...*bn, R, C]: a view when the batch dims merge into one stride, else a copy.</summary>
    private static Tensor FoldBatch(Tensor t)
    {
        int r = t.Rank;
        var batch = t.ShapeRef[..(r - 2)];
        var (merged, strides) = ShapeMath.Coalesce(batch, t.StridesRef[..(r - 2)]);
        int count = ShapeMath.Count(batch);
        if (merged.Length <= 1)
            return t.AsStrided([count, t.ShapeRef[^2], t.ShapeRef[^1]], [merged.Length == 0 ? 0 : strides[0][0], t.StridesRef[^2], t.StridesRef[^1]], t.Offset);
        using var c = t.ContiguousRaw();
        return c.AsStrided([count, t.ShapeRef[^2], t.ShapeRef[^1]], [t.ShapeRef[^2] * t.ShapeRef[^1], t.ShapeRef[^1], 1], c.Offset);
    }

    /// <summary>[b1, ..., bn, M, K] as [1, b1*...*bn*M, K] when the batch and row dims merge into one stride; else null.</summary>
    private static Tensor? FoldRows(Tensor t)
    {
        int r = t.Rank;
        var (merged, strides) = ShapeMath.Coalesce(t.ShapeRef[..(r - 1)], t.StridesRef[..(r - 1)]);
        if (merged.Length > 1) return null;
        int rows = ShapeMath.Count(t.ShapeRef[..(r - 1)]);
        return t.AsStrided([1, rows, t.ShapeRef[^1]], [0, merged.Length == 0 ? 0 : strides[0][0], t.StridesRef[^1]], t.Offset);
    }

    /// <summary>Copies <paramref name="src"/> into the view <paramref name="dst"/>, broadcasting and converting the dtype.</summary>
    public static void CopyInto(Tensor dst, Tensor src, string op)
    {
        using var prof = Profiler.Op(op, null, dst);
        CheckSameDevice(op, dst, src);
        if (!ShapeMath.CanBroadcastTo(src.ShapeRef, dst.ShapeRef))
            throw new ArgumentException($"{op}: a value of shape {ShapeMath.Format(src.ShapeRef)} cannot be broadcast to the target shape {ShapeMath.Format(dst.ShapeRef)}");
        using var e = src.ExpandRaw(dst.ShapeRef);
        dst.Backend.Copy(e.Data, dst.Data);
    }

    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        using var prof = Profiler.Op("index_select", null, x);
        const string op = "index_select";
        CheckSameDevice(op, x, index);
        CheckIndexDType(op, index);
        if (index.Rank > 1) throw new ArgumentException($"{op}: expected a 0-d or 1-d index, got shape {ShapeMath.Format(index.ShapeRef)}");
        using var source = AsRank1(x);
        int axis = ShapeMath.NormalizeDim(dim, source.Rank, op);
        var shape = (int[])source.ShapeRef.Clone();
        shape[axis] = index.Count;
        using var flat = index.ReshapeRaw([index.Count]);
        var y = Tensor.Empty(shape, x.DType, x.Device);
        x.Backend.IndexSelect(source.Data, axis, flat.Data, y.Data);
        return x.Rank == 0 ? ReshapeOwned(y) : y;
    }

    // Scalars are handled as one-element vectors. Both helpers hand back a tensor the caller owns and release the
    // temporary view, so that disposing the result frees the storage at once (a leaked view would hold it until a GC).
    private static Tensor AsRank1(Tensor x) => x.Rank == 0 ? x.ReshapeRaw([1]) : x.AsStrided(x.ShapeRef, x.StridesRef, x.Offset);

    private static Tensor ReshapeOwned(Tensor t)
    {
        using (t) return t.ReshapeRaw([]);
    }

    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        using var prof = Profiler.Op("gather", null, x);
        const string op = "gather";
        CheckSameDevice(op, x, index);
        CheckIndexDType(op, index);
        int axis = ShapeMath.NormalizeDim(dim, x.Rank, op);
        CheckIndexShape(op, x, index, axis, "input");
        var y = Tensor.Empty(index.ShapeRef, x.DType, x.Device);
        x.Backend.Gather(x.Data, axis, index.Data, y.Data);
        return y;
    }

    /// <summary>Out of place: a copy of x with src added at the indexed positions (<c>torch.scatter_add</c>).</summary>
    public static Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        using var prof = Profiler.Op("scatter_add", null, x);
        const string op = "scatter_add";
        CheckSameDevice(op, x, index);
        CheckSameDevice(op, x, src);
        CheckIndexDType(op, index);
        CheckComputable(op, x.DType);
        if (src.DType != x.DType) throw new ArgumentException($"{op}: expected src to have the input's dtype {x.DType}, got {src.DType}");
        int axis = ShapeMath.NormalizeDim(dim, x.Rank, op);
        CheckIndexShape(op, x, index, axis, "input");
        if (src.Rank != index.Rank || index.ShapeRef.Where((s, d) => s > src.ShapeRef[d]).Any())
            throw new ArgumentException($"{op}: index shape {ShapeMath.Format(index.ShapeRef)} must not exceed src shape {ShapeMath.Format(src.ShapeRef)} in any dim");
        var y = x.CopyRaw();
        using var srcView = src.AsStrided(index.ShapeRef, src.StridesRef, src.Offset);
        x.Backend.ScatterAdd(y.Data, axis, index.Data, srcView.Data);
        return y;
    }

    private static void CheckIndexShape(string op, Tensor x, Tensor index, int axis, string name)
    {
        if (index.Rank != x.Rank)
            throw new ArgumentException($"{op}: index must have the {name}'s rank {x.Rank}, got index shape {ShapeMath.Format(index.ShapeRef)} for {name} shape {ShapeMath.Format(x.ShapeRef)}");
        for (int d = 0; d < x.Rank; d++)
            if (d != axis && index.ShapeRef[d] > x.ShapeRef[d])
                throw new ArgumentException($"{op}: index shape {ShapeMath.Format(index.ShapeRef)} exceeds {name} shape {ShapeMath.Format(x.ShapeRef)} at dim {d} (only dim {axis} may be larger)");
    }

    /// <summary>
    /// Fused scaled dot-product attention (<see cref="IFusedKernels.Attention"/>): q [..., Tq, D], k [..., Tk, D],
    /// v [..., Tk, Dv] with the same batch dims; returns o [..., Tq, Dv] and the row log-sum-exp lse [..., Tq].
    /// With batch dims, o's memory is laid out [..., Tq, H, Dv] (H the last batch dim, the heads) and returned as the
    /// permuted view [..., H, Tq, Dv]: merging the heads back ([B, H, T, hs] -> [B, T, H * hs]) is then a free reshape.
    /// </summary>
    public static (Tensor O, Tensor Lse) Attention(Tensor q, Tensor k, Tensor v, double scale, bool causal)
    {
        const string op = "attention";
        var (N, Tq, Tk, D, Dv) = CheckAttentionOperands(op, q, k, v);
        // The two products, nominal (a causal kernel skips some of them): GFLOP/s stays comparable with the composite.
        using var prof = Profiler.Op(op, 2L * N * Tq * Tk * (D + Dv), q);
        using var qc = UnitLastStride(q);
        using var kc = UnitLastStride(k);
        using var vc = UnitLastStride(v);
        var batch = q.ShapeRef[..^2];
        var o = HeadsInterleaved(batch, Tq, Dv, q.DType, q.Device);
        var lse = Tensor.Empty([.. batch, Tq], q.DType, q.Device);
        CompositeKernels.For(q.Backend).Attention(qc.Data, kc.Data, vc.Data, o.Data, lse.Data, scale, causal);
        return (o, lse);
    }

    /// <summary>
    /// The gradients of <see cref="Attention"/> (<see cref="IFusedKernels.AttentionBackward"/>) from dO (o's shape) and
    /// the saved o and lse: dq, dk, dv, contiguous, with q's, k's and v's shapes.
    /// </summary>
    public static (Tensor Dq, Tensor Dk, Tensor Dv) AttentionBackward(Tensor dO, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse,
                                                                      double scale, bool causal)
    {
        const string op = "attention_backward";
        var (N, Tq, Tk, D, Dv) = CheckAttentionOperands(op, q, k, v);
        // Two products recomputed or transposed in the forward's shapes, and three more: 2.5 times the forward's.
        using var prof = Profiler.Op(op, 5L * N * Tq * Tk * (D + Dv), q);
        var batch = q.ShapeRef[..^2];
        foreach (var (t, name, shape) in new[] { (dO, "dO", (int[])[.. batch, Tq, Dv]), (o, "o", [.. batch, Tq, Dv]), (lse, "lse", [.. batch, Tq]) })
        {
            CheckSameDevice(op, q, t);
            if (!t.ShapeRef.SequenceEqual(shape) || (t.DType != q.DType && name != "dO"))
                throw new ArgumentException($"{op}: expected {name} of shape {ShapeMath.Format(shape)} and dtype {q.DType}, got {ShapeMath.Format(t.ShapeRef)} {t.DType}");
        }
        using var g = dO.CastRaw(q.DType);
        using var gc = UnitLastStride(g);
        using var oc = UnitLastStride(o);
        using var qc = UnitLastStride(q);
        using var kc = UnitLastStride(k);
        using var vc = UnitLastStride(v);
        // Each gradient takes its input's layout when that is heads interleaved ([B, T, H, hs] memory seen as [B, H, T, hs],
        // as a projection split into heads is): the backward of that split is then a view, not a copy.
        var dq = GradientLike(q);
        var dk = GradientLike(k);
        var dv = GradientLike(v);
        CompositeKernels.For(q.Backend).AttentionBackward(gc.Data, qc.Data, kc.Data, vc.Data, oc.Data, lse.Data, scale, causal, dq.Data, dk.Data, dv.Data);
        return (dq, dk, dv);
    }

    /// <summary>Validates attention operands and returns the batch items N and the sizes Tq, Tk, D, Dv.</summary>
    private static (int N, int Tq, int Tk, int D, int Dv) CheckAttentionOperands(string op, Tensor q, Tensor k, Tensor v)
    {
        CheckFloating(op, q);
        CheckSameDevice(op, q, k);
        CheckSameDevice(op, q, v);
        if (k.DType != q.DType || v.DType != q.DType)
            throw new ArgumentException($"{op}: expected q, k and v of one dtype, got {q.DType}, {k.DType} and {v.DType}");
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank)
            throw new ArgumentException($"{op}: expected q [..., Tq, D], k [..., Tk, D] and v [..., Tk, Dv] of one rank (at least 2), got {ShapeMath.Format(q.ShapeRef)}, {ShapeMath.Format(k.ShapeRef)} and {ShapeMath.Format(v.ShapeRef)}");
        var batch = q.ShapeRef[..^2];
        int Tk = k.ShapeRef[^2];
        if (!k.ShapeRef[..^2].SequenceEqual(batch) || !v.ShapeRef[..^2].SequenceEqual(batch) || k.ShapeRef[^1] != q.ShapeRef[^1] || v.ShapeRef[^2] != Tk)
            throw new ArgumentException($"{op}: expected q [..., Tq, D], k [..., Tk, D] and v [..., Tk, Dv] with the same batch dims (expand them first), got {ShapeMath.Format(q.ShapeRef)}, {ShapeMath.Format(k.ShapeRef)} and {ShapeMath.Format(v.ShapeRef)}");
        return (ShapeMath.Count(batch), q.ShapeRef[^2], Tk, q.ShapeRef[^1], v.ShapeRef[^1]);
    }

    /// <summary>x itself (a new handle) when its last dim has unit stride, which the fused kernels read directly, else a copy.</summary>
    private static Tensor UnitLastStride(Tensor x) =>
        x.ShapeRef[^1] <= 1 || x.StridesRef[^1] == 1 ? x.AsStrided(x.ShapeRef, x.StridesRef, x.Offset) : x.CopyRaw();

    /// <summary>A fresh tensor shaped like x: laid out heads interleaved when x is (its head stride below its row stride), else contiguous.</summary>
    private static Tensor GradientLike(Tensor x) =>
        x.Rank >= 3 && x.ShapeRef[^3] > 1 && x.ShapeRef[^2] > 1 && x.StridesRef[^3] < x.StridesRef[^2]
            ? HeadsInterleaved(x.ShapeRef[..^2], x.ShapeRef[^2], x.ShapeRef[^1], x.DType, x.Device)
            : Tensor.Empty(x.ShapeRef, x.DType, x.Device);

    /// <summary>A fresh [..., H, T, C] tensor whose memory is [..., T, H, C] (no permutation without batch dims).</summary>
    private static Tensor HeadsInterleaved(int[] batch, int T, int C, DType dtype, Device device)
    {
        if (batch.Length == 0) return Tensor.Empty([T, C], dtype, device);
        int H = batch[^1];
        using var memory = Tensor.Empty([.. batch[..^1], T, H, C], dtype, device);
        int r = batch.Length + 1;
        int[] perm = [.. Enumerable.Range(0, r - 2), r - 1, r - 2, r];      // swap T and H
        return memory.PermuteRaw(perm);
    }

    /// <summary>
    /// <c>y = x W^T + b</c> over the last dim, as PyTorch's <c>F.linear</c>: x [..., K], weight [N, K], bias [N] or
    /// null; y [..., N]. The leading dims of x are folded into the rows of one GEMM (a copy only when they do not merge
    /// into one stride), and the bias is added by the backend's fused kernel as the product is stored.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        const string op = "linear";
        CheckSameDevice(op, x, weight);
        if (bias is not null) CheckSameDevice(op, x, bias);
        if (x.DType is not (DType.Float32 or DType.Float64) || weight.DType != x.DType || (bias is not null && bias.DType != x.DType))
            throw new ArgumentException($"{op}: expected Float32 or Float64 input, weight and bias of one dtype, got {x.DType}, {weight.DType}" +
                                        (bias is null ? "" : $" and {bias.DType}"));
        if (x.Rank == 0 || weight.Rank != 2 || x.ShapeRef[^1] != weight.ShapeRef[1])
            throw new ArgumentException($"{op}: expected input [..., in] and weight [out, in], got {ShapeMath.Format(x.ShapeRef)} and {ShapeMath.Format(weight.ShapeRef)}");
        int K = weight.ShapeRef[1], N = weight.ShapeRef[0];
        if (bias is not null && (bias.Rank != 1 || bias.ShapeRef[0] != N))
            throw new ArgumentException($"{op}: expected bias [out] = [{N}], got {ShapeMath.Format(bias.ShapeRef)}");
        var outShape = x.ShapeRef.ToArray();
        outShape[^1] = N;
        int M = ShapeMath.Count(x.ShapeRef[..^1]);
        using var prof = Profiler.Op(op, 2L * M * N * K + (bias is null ? 0 : (long)M * N), x);
        var y = Tensor.Empty(outShape, x.DType, x.Device);
        if (M == 0 || N == 0) return y;                                                                             // nothing to compute
        var folded = FoldRows(x);                                                                                   // [1, M, K], a view
        using var contiguous = folded is null ? x.ContiguousRaw() : null;                                           // when the rows do not merge
        using var rows = folded ?? FoldRows(contiguous!)!;
        using var x2 = rows.AsStrided([M, K], rows.StridesRef[1..], rows.Offset);                                 // [M, K]
        using var y2 = y.AsStrided([M, N], [N, 1], 0);
        CompositeKernels.For(x.Backend).Linear(x2.Data, weight.Data, bias?.Data, y2.Data);
        return y;
    }

    // ---- Training-step kernels: one pass each where the tensor-op forms make several ----

    /// <summary>dx = dy * f'(x) for an activation (from its output y for sigmoid and tanh), one pass; x and dy of one shape.</summary>
    public static Tensor ActivationBackward(ActivationKind kind, Tensor x, Tensor dy)
    {
        const string op = "activation_backward";
        long flops = kind switch { ActivationKind.Relu => 1, ActivationKind.Sigmoid or ActivationKind.Tanh => 3, ActivationKind.Silu => 8, ActivationKind.GeluTanh => 14, _ => 16 };
        using var prof = Profiler.Op(op, flops * x.Count, x);
        CheckFloating(op, x);
        CheckSameDevice(op, x, dy);
        if (!dy.ShapeRef.SequenceEqual(x.ShapeRef))
            throw new ArgumentException($"{op}: expected dy of the input's shape {ShapeMath.Format(x.ShapeRef)}, got {ShapeMath.Format(dy.ShapeRef)}");
        using var g = dy.CastRaw(x.DType);
        var dx = Tensor.Empty(x.ShapeRef, x.DType, x.Device);
        CompositeKernels.For(x.Backend).ActivationBackward(kind, x.Data, g.Data, dx.Data);
        return dx;
    }

    /// <summary>
    /// The backward of softmax (dx = y (dy - sum(dy y))) or log-softmax (dx = dy - exp(y) sum(dy)) along
    /// <paramref name="axis"/> (already normalised), from the output y and dy of one shape, one pass per line.
    /// </summary>
    public static Tensor SoftmaxBackward(Tensor y, Tensor dy, int axis, bool log)
    {
        string op = log ? "log_softmax_backward" : "softmax_backward";
        using var prof = Profiler.Op(op, 4L * y.Count, y);
        CheckFloating(op, y);
        CheckSameDevice(op, y, dy);
        if (y.Rank == 0 || axis < 0 || axis >= y.Rank || !dy.ShapeRef.SequenceEqual(y.ShapeRef))
            throw new ArgumentException($"{op}: expected y with the axis {axis} and dy of its shape {ShapeMath.Format(y.ShapeRef)}, got dy {ShapeMath.Format(dy.ShapeRef)}");
        using var g = dy.CastRaw(y.DType);
        var dx = Tensor.Empty(y.ShapeRef, y.DType, y.Device);
        CompositeKernels.For(y.Backend).SoftmaxBackward(y.Data, g.Data, dx.Data, axis, log);
        return dx;
    }

    /// <summary>
    /// Per-row cross entropy [M] of logits [M, C] and Int32 labels [M] (each in [0, C) or the ignore index):
    /// logsumexp(x) - (1 - eps) x[label] - eps mean(x), and 0 on ignored rows.
    /// </summary>
    public static Tensor CrossEntropyRows(Tensor logits, Tensor labels, int ignoreIndex, double eps)
    {
        const string op = "cross_entropy";
        using var prof = Profiler.Op(op, 4L * logits.Count, logits);
        CheckCrossEntropyOperands(op, logits, labels, null);
        var loss = Tensor.Empty([logits.ShapeRef[0]], logits.DType, logits.Device);
        CompositeKernels.For(logits.Backend).CrossEntropy(logits.Data, labels.Data, loss.Data, ignoreIndex, eps);
        return loss;
    }

    /// <summary>
    /// The gradient of <see cref="CrossEntropyRows"/> weighted per row: dx = (softmax(x) - q) rowWeight, q the smoothed
    /// one-hot (1 - eps) onehot(label) + eps / C; labels [M] all in [0, C), rowWeight [M] of the logits' dtype.
    /// </summary>
    public static Tensor CrossEntropyBackward(Tensor logits, Tensor labels, Tensor rowWeight, double eps)
    {
        const string op = "cross_entropy_backward";
        using var prof = Profiler.Op(op, 5L * logits.Count, logits);
        CheckCrossEntropyOperands(op, logits, labels, rowWeight);
        var dx = Tensor.Empty(logits.ShapeRef, logits.DType, logits.Device);
        CompositeKernels.For(logits.Backend).CrossEntropyBackward(logits.Data, labels.Data, rowWeight.Data, dx.Data, eps);
        return dx;
    }

    /// <remarks>
    /// The fused kernels read Int32 labels: callers with Int64 labels convert them once they have checked the range
    /// (<c>Functional.CrossEntropy</c> does), which makes the conversion exact.
    /// </remarks>
    private static void CheckCrossEntropyOperands(string op, Tensor logits, Tensor labels, Tensor? rowWeight)
    {
        CheckFloating(op, logits);
        CheckSameDevice(op, logits, labels);
        if (logits.Rank != 2 || labels.DType != DType.Int32 || labels.Rank != 1 || labels.ShapeRef[0] != logits.ShapeRef[0])
            throw new ArgumentException($"{op}: expected logits [M, C] and Int32 labels [M], got {ShapeMath.Format(logits.ShapeRef)} and {labels.DType} {ShapeMath.Format(labels.ShapeRef)}");
        if (rowWeight is null) return;
        CheckSameDevice(op, logits, rowWeight);
        if (rowWeight.DType != logits.DType || rowWeight.Rank != 1 || rowWeight.ShapeRef[0] != logits.ShapeRef[0])
            throw new ArgumentException($"{op}: expected row weights [{logits.ShapeRef[0]}] of dtype {logits.DType}, got {rowWeight.DType} {ShapeMath.Format(rowWeight.ShapeRef)}");
    }

    /// <summary>
    /// Whether an optimizer can update p and its state in place with one fused kernel from the gradient g: a backend
    /// that has the kernels, one device, one floating dtype, one shape, p and the state contiguous (null entries are
    /// skipped). g may have any layout (a weight's gradient is often a transposed product): it is made contiguous first.
    /// </summary>
    public static bool CanStepInPlace(Tensor p, Tensor g, params Tensor?[] state)
    {
        if (p.Backend is not IFusedKernels || p.DType is not (DType.Float32 or DType.Float64) || !p.IsContiguous) return false;
        if (g.Device != p.Device || g.DType != p.DType || !g.ShapeRef.SequenceEqual(p.ShapeRef)) return false;
        foreach (var t in state)
            if (t is not null && (t.Device != p.Device || t.DType != p.DType || !t.IsContiguous || !t.ShapeRef.SequenceEqual(p.ShapeRef)))
                return false;
        return true;
    }

    /// <summary>One in-place Adam / AdamW step of p, m, v (and maxV) from g (<see cref="IFusedKernels.AdamStep"/>); see <see cref="CanStepInPlace"/>.</summary>
    public static void AdamStep(Tensor p, Tensor g, Tensor m, Tensor v, Tensor? maxV, double lr, double wd, bool decoupled,
                                double beta1, double beta2, double eps, double bias1, double bias2)
    {
        const string op = "adam_step";
        using var prof = Profiler.Op(op, 12L * p.Count, p);
        if (!CanStepInPlace(p, g, m, v, maxV))
            throw new ArgumentException($"{op}: expected a contiguous Float32 or Float64 parameter and state, and a gradient, of one shape, dtype and device on a backend with fused kernels, got parameter {p.DType} {ShapeMath.Format(p.ShapeRef)} on {p.Device}");
        using var gc = g.ContiguousRaw();
        CompositeKernels.For(p.Backend).AdamStep(p.Data, gc.Data, m.Data, v.Data, maxV?.Data, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2);
    }

    /// <summary>One in-place SGD step of p (and its momentum buffer) from g (<see cref="IFusedKernels.SgdStep"/>); see <see cref="CanStepInPlace"/>.</summary>
    public static void SgdStep(Tensor p, Tensor g, Tensor? buf, double lr, double wd, double momentum, double dampening, bool nesterov, bool firstStep)
    {
        const string op = "sgd_step";
        using var prof = Profiler.Op(op, 5L * p.Count, p);
        if (!CanStepInPlace(p, g, buf))
            throw new ArgumentException($"{op}: expected a contiguous Float32 or Float64 parameter and state, and a gradient, of one shape, dtype and device on a backend with fused kernels, got parameter {p.DType} {ShapeMath.Format(p.ShapeRef)} on {p.Device}");
        using var gc = g.ContiguousRaw();
        CompositeKernels.For(p.Backend).SgdStep(p.Data, gc.Data, buf?.Data, lr, wd, momentum, dampening, nesterov, firstStep);
    }
}
