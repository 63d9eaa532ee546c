// The contract every backend implements: a few generic primitives that the tensor layer composes into all ops.
// Fused kernels (softmax, layer norm, ...) are optional: see IFusedKernels.
namespace DotGrad.Backends;

/// <summary>Distributions for <see cref="IBackend.FillRandom"/>.</summary>
public enum RandomKind
{
    /// <summary>Uniform on [a, b).</summary>
    Uniform,
    /// <summary>Normal with mean a and standard deviation b.</summary>
    Normal,
    /// <summary>Integers uniform on [a, b).</summary>
    Integer,
}

/// <summary>
/// A backend: storage allocation and the primitive kernels. Every operand is a <see cref="Strided"/> view.
/// Conventions: outputs are written, never accumulated into, unless the name says so (<see cref="ScatterAdd"/>);
/// elementwise inputs already have the output's shape (broadcasting is done by the caller with stride-0 views);
/// the caller has validated shapes, dtypes and devices, so backends check only what they alone can see
/// (index values). Kernels may be asynchronous on devices with queues; <see cref="Read"/> synchronises.
/// A backend may also implement <see cref="IFusedKernels"/>; one that does not gets <see cref="CompositeKernels"/>,
/// the same math from these primitives.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    /// <summary>What this device's allocator holds now, and the peak of its live bytes (see <see cref="MemoryStats"/>).</summary>
    MemoryStats Memory { get; }

    /// <summary>
    /// Starts <see cref="MemoryStats.PeakLiveBytes"/> again from the bytes live now, as PyTorch's
    /// <c>torch.cuda.reset_peak_memory_stats</c> does. To measure what a forward (and backward) pass holds at its
    /// worst: reset, read <see cref="MemoryStats.LiveBytes"/> as the baseline, run, then take the peak minus the baseline.
    /// </summary>
    void ResetPeakMemoryStats();

    /// <summary>Waits until every queued kernel has finished, and raises any error a kernel reported (an index out of range).</summary>
    void Synchronize();

    /// <summary>A new storage of <paramref name="length"/> elements, zero-filled when asked.</summary>
    Storage Allocate(DType dtype, int length, bool zero = false);

    /// <summary>Copies raw little-endian element bytes from the host into the start of a storage.</summary>
    void Write(Storage destination, ReadOnlySpan<byte> source);

    /// <summary>Copies the first <c>destination.Length</c> bytes of a storage to the host (waits for pending work).</summary>
    void Read(Storage source, Span<byte> destination);

    /// <summary>y = value, converted to y's dtype.</summary>
    void Fill(Strided y, double value);

    /// <summary>
    /// y = x elementwise, converting between dtypes when they differ: float to int truncates toward zero and saturates
    /// (NaN gives 0), Int64 to Int32 keeps the low 32 bits (as PyTorch), Int64 to a float rounds once
    /// (<see cref="HostAccess.CopyElement"/> is the definition).
    /// </summary>
    void Copy(Strided x, Strided y);

    void Unary<TOp>(Strided x, Strided y) where TOp : struct, IUnaryOperator<TOp>;

    void Binary<TOp>(Strided a, Strided b, Strided y) where TOp : struct, IBinaryOperator<TOp>;

    /// <summary>Bool y = a ? b.</summary>
    void Compare<TOp>(Strided a, Strided b, Strided y) where TOp : struct, ICompareOperator<TOp>;

    /// <summary>y = cond ? a : b, with a Bool cond.</summary>
    void Where(Strided cond, Strided a, Strided b, Strided y);

    /// <summary>Reduces x over <paramref name="axes"/> into y, which has x's rank with size 1 on those axes.</summary>
    void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>;

    /// <summary>
    /// Max (or min) along one axis with its position: values and Int64 indices (PyTorch's index dtype) have x's rank
    /// with size 1 on the axis.
    /// Ties go to the first position; a NaN counts as the largest (and smallest) value, as in PyTorch.
    /// </summary>
    void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max);

    // ---- scans and sorting along one axis (cumsum, sort; topk is a sort's first k) ----
    /// <summary>
    /// Inclusive prefix sum along one axis: y[.., i, ..] = sum of x[.., j, ..] over j &lt;= i, or over j &gt;= i when
    /// <paramref name="reverse"/> (the backward of cumsum). x and y share a shape. Float32 accumulates in double
    /// (as PyTorch's CPU kernel does); Int32 wraps.
    /// </summary>
    void CumSum(Strided x, Strided y, int axis, bool reverse);

    /// <summary>
    /// Stable sort of each line along one axis: values and Int32 indices share x's shape, and values[.., r, ..] =
    /// x[.., indices[.., r, ..], ..]. Ascending, or descending when asked; equal values keep their order of position
    /// either way; a NaN sorts as larger than every number (last ascending, first descending), as in PyTorch.
    /// </summary>
    void Sort(Strided x, Strided values, Strided indices, int axis, bool descending);

    /// <summary>
    /// Batched matrix product c[b] = a[b] @ b[b] for rank-3 views a [B, M, K], b [B, K, N], c [B, M, N].
    /// Any strides are allowed on a and b (a transposed operand needs no copy; stride 0 broadcasts a batch).
    /// </summary>
    void MatMul(Strided a, Strided b, Strided c);

    /// <summary>y = x.index_select(axis, index): y has x's shape with index.Count on the axis. Indices (here and in
    /// <see cref="Gather"/> and <see cref="ScatterAdd"/>) are Int32 or Int64.</summary>
    void IndexSelect(Strided x, int axis, Strided index, Strided y);

    /// <summary>y[..., i, ...] = x[..., index[..., i, ...], ...] along axis; index and y share a shape.</summary>
    void Gather(Strided x, int axis, Strided index, Strided y);

    /// <summary>y[..., index[..., i, ...], ...] += src[..., i, ...] along axis; index and src share a shape.</summary>
    void ScatterAdd(Strided y, int axis, Strided index, Strided src);

    /// <summary>
    /// Fills a contiguous y with counter-based random numbers: element i uses Philox counter (offset + i) under
    /// the key <paramref name="seed"/>, so every backend produces the same numbers for the same seed.
    /// </summary>
    void FillRandom(Strided y, RandomKind kind, double a, double b, ulong seed, ulong offset);
}
