// The iteration engine of the CPU kernels: walks several strided views in lockstep as runs along the innermost
// merged dim (so kernels can hand whole runs to SIMD span code), and splits big loops across cores.
namespace DotGrad.Backends.Cpu;

/// <summary>
/// A kernel body for <see cref="StridedLoop"/>: processes one run of <c>n</c> elements. Operand <c>k</c> starts at
/// element offset <c>offsets[k]</c> of its storage and steps by the loop's <c>InnerStrides[k]</c>;
/// <c>linear</c> is the row-major position of the run's first element (counter-based kernels need it).
/// Kernels are structs so that the JIT specialises and inlines <see cref="Run"/> into the loop.
/// </summary>
internal interface IStridedKernel
{
    void Run(ReadOnlySpan<int> offsets, int n, long linear);
}

/// <summary>
/// Operands of one shape, coalesced (<see cref="ShapeMath.Coalesce"/>) into as few and as long dims as possible,
/// then iterated as an odometer over the outer dims with the innermost dim handed to the kernel as one run.
/// Positions are advanced incrementally: no division per element, one unravel per chunk.
/// </summary>
internal sealed class StridedLoop
{
    private readonly int[] _outerShape;
    private readonly int[][] _outerStrides; // [operand][dim]
    private readonly int[] _offsets;

    /// <param name="shape">The common shape of all operands.</param>
    /// <param name="strides">Each operand's strides for that shape.</param>
    /// <param name="offsets">Each operand's element offset into its storage.</param>
    public StridedLoop(int[] shape, int[][] strides, int[] offsets)
    {
        Count = ShapeMath.Count(shape);
        _offsets = offsets;
        var (merged, mergedStrides) = ShapeMath.Coalesce(shape, strides);
        int ops = strides.Length;
        InnerStrides = new int[ops];
        if (merged.Length == 0)
        {
            // Every dim had size 1 (or rank 0): one element, which any stride reaches; call it unit stride so
            // the span paths take it.
            Inner = 1;
            Array.Fill(InnerStrides, 1);
            _outerShape = [];
            _outerStrides = new int[ops][];
            for (int k = 0; k < ops; k++) _outerStrides[k] = [];
            return;
        }
        int rank = merged.Length;
        Inner = merged[rank - 1];
        _outerShape = merged[..(rank - 1)];
        _outerStrides = new int[ops][];
        for (int k = 0; k < ops; k++)
        {
            InnerStrides[k] = mergedStrides[k][rank - 1];
            _outerStrides[k] = mergedStrides[k][..(rank - 1)];
        }
    }

    /// <summary>A loop over views that share a shape (the first one's).</summary>
    public static StridedLoop Over(params Strided[] views)
    {
        var strides = new int[views.Length][];
        var offsets = new int[views.Length];
        for (int k = 0; k < views.Length; k++)
        {
            strides[k] = views[k].Strides;
            offsets[k] = views[k].Offset;
        }
        return new StridedLoop(views[0].Shape, strides, offsets);
    }

    /// <summary>Total number of elements.</summary>
    public int Count { get; }

    /// <summary>Length of the innermost merged dim: the longest run a kernel sees.</summary>
    public int Inner { get; }

    /// <summary>Each operand's stride along the innermost merged dim (1: runs are contiguous spans; 0: broadcast).</summary>
    public int[] InnerStrides { get; }

    /// <summary>Runs the kernel over every element, on several cores when the work is large enough.</summary>
    /// <param name="kernel">The kernel; each chunk gets its own copy.</param>
    /// <param name="costPerElement">Rough work per element in units of a simple elementwise op (a line kernel passes its line length).</param>
    public void Run<TKernel>(TKernel kernel, long costPerElement = 1) where TKernel : struct, IStridedKernel
    {
        if (Count == 0) return;
        int chunks = CpuBackend.ChunkCount(Count * Math.Max(1, costPerElement), Count);
        if (chunks <= 1)
        {
            Execute(ref kernel, 0, Count);
            return;
        }
        long count = Count;
        CpuBackend.ParallelFor(chunks, c =>
        {
            var k = kernel;
            Execute(ref k, count * c / chunks, count * (c + 1) / chunks);
        });
    }

    /// <summary>Runs the kernel over the elements with row-major positions [start, end), on the calling thread.</summary>
    public void Execute<TKernel>(ref TKernel kernel, long start, long end) where TKernel : struct, IStridedKernel
    {
        if (start >= end) return;
        int ops = _offsets.Length, rank = _outerShape.Length;
        Span<int> off = stackalloc int[ops];
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];

        // Unravel the chunk's first element once; from here on positions only move by increments.
        long run = start / Inner;
        int col = (int)(start % Inner);
        for (int k = 0; k < ops; k++) off[k] = _offsets[k] + col * InnerStrides[k];
        for (int d = rank - 1; d >= 0; d--)
        {
            pos[d] = (int)(run % _outerShape[d]);
            run /= _outerShape[d];
            for (int k = 0; k < ops; k++) off[k] += pos[d] * _outerStrides[k][d];
        }

        long linear = start;
        while (true)
        {
            int n = (int)Math.Min(Inner - col, end - linear);
            kernel.Run(off, n, linear);
            linear += n;
            if (linear >= end) return;

            // Next run: back to column 0, then the odometer carries through the outer dims.
            for (int k = 0; k < ops; k++) off[k] -= col * InnerStrides[k];
            col = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                pos[d]++;
                for (int k = 0; k < ops; k++) off[k] += _outerStrides[k][d];
                if (pos[d] < _outerShape[d]) break;
                for (int k = 0; k < ops; k++) off[k] -= _outerShape[d] * _outerStrides[k][d];
                pos[d] = 0;
            }
        }
    }
}
