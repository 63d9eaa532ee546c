// The single-threaded GotoBLAS/BLIS loop nest of the packed GEMM: five loops around the microkernel that pack
// B and A into cache-sized blocks, plus the reusable, 64-byte-aligned pack buffers it runs in.
using System.Numerics;
using System.Runtime.InteropServices;

namespace DotGrad.Backends.Cpu;

internal static unsafe class GemmDriver
{
    /// <summary>
    /// Products with at most this many columns read A in place (row- or column-major) instead of packing it. Measured on
    /// Zen 4: in place is 1.3-2.3x faster at n = 32..64 and k = 64..256 (the ViT and attention shapes), 10-25% at
    /// n = 128..512; at n = 1024 the two are within noise, and packing keeps far-apart rows of a wide A out of one cache set.
    /// </summary>
    internal const int DirectAMaxColumns = 512;

    /// <summary>
    /// Products with at most this many rows (one MC block: each B micro-panel meets at most MC / MR row tiles) read a
    /// row-major B in place instead of packing it: the weight gradients dY^T X of a linear layer, with few rows and a
    /// depth of every token, otherwise spend a third of their time packing B.
    /// </summary>
    internal const int DirectBMaxRows = 144;

    /// <summary>
    /// C (+)= A * B on one thread with microkernel <typeparamref name="TK"/>. Loop order, outer to inner: jc over NC
    /// columns and pc over KC depth (pack a KC x NC panel of B, which lives in L3), ic over MC rows (pack an MC x KC
    /// block of A into L2), jr over NR columns (one B micro-panel, kept hot in L1/L2), ir over MR rows (A micro-panels
    /// stream past it), each ir step one microkernel call.
    /// <para>Where packing would cost a large share of the product, an operand is read in place instead (see
    /// <see cref="DirectAMaxColumns"/> and <see cref="DirectBMaxRows"/>); only its ragged last micro-panel, which the
    /// kernel could not read without running past the operand, is packed.</para>
    /// <para><paramref name="bias"/> (n values, or null) is added to every row of C: the first depth block's kernel
    /// starts its sums from the bias, so the bias costs two loads per tile instead of another pass over C (which, for C
    /// larger than the caches, is a trip to memory).</para>
    /// <para><paramref name="pack"/> forces both operands through the packed path (tests use it to cover both).
    /// <paramref name="paddedC"/> says C has room for whole tiles past its last row and column (see
    /// <see cref="Gemm.Multiply{T}"/>): edge tiles are then written in place, not through a scratch tile.</para>
    /// </summary>
    public static void Run<T, TK>(int m, int n, int k, T* a, nint ars, nint acs, T* b, nint brs, nint bcs, T* c, nint ldc, bool accumulate,
                                  T* bias = null, bool pack = false, bool paddedC = false)
        where T : unmanaged, INumberBase<T>
        where TK : IGemmMicroKernel<T>
    {
        int MR = TK.MR, NR = TK.NR;
        // Balance the blocks (k = 300 becomes 150 + 150, not 256 + 44) so no pass runs a short, overhead-heavy tail.
        int kc0 = CeilDiv(k, CeilDiv(k, TK.KC));
        int mc0 = RoundUp(CeilDiv(m, CeilDiv(m, TK.MC)), MR);
        int nc0 = RoundUp(CeilDiv(n, CeilDiv(n, TK.NC)), NR);

        // Each A element takes part in n / NR microkernel calls and each B element in m / MR: when that is few, packing
        // (a copy, and for row-major A a transpose, at about a cycle per element) costs a large share of the product.
        bool directA = !pack && TK.ReadsInPlace && (acs == 1 || ars == 1) && n <= DirectAMaxColumns;
        bool directB = !pack && TK.ReadsInPlace && bcs == 1 && m <= DirectBMaxRows;
        var buffers = GemmPackBuffers.ForCurrentThread();
        T* ap = (T*)buffers.A((nuint)mc0 * (nuint)kc0 * (nuint)sizeof(T));
        T* bp = (T*)buffers.B((nuint)nc0 * (nuint)kc0 * (nuint)sizeof(T));
        // Edge tiles are computed in full into this scratch tile, then only the valid part is copied out.
        T* tile = stackalloc T[MR * NR];

        for (int jc = 0; jc < n; jc += nc0)
        {
            int nc = Math.Min(nc0, n - jc);
            // Read in place, only a ragged last micro-panel (fewer than NR columns) is packed, zero-padded, into bp.
            int fullCols = directB ? nc / NR * NR : 0;
            for (int pc = 0; pc < k; pc += kc0)
            {
                int kc = Math.Min(kc0, k - pc);
                // Only the first depth block may overwrite C; later ones add their partial sums.
                bool acc = accumulate || pc > 0;
                if (fullCols < nc)
                    GemmPacking.PackB(kc, nc - fullCols, b + pc * brs + (jc + fullCols) * bcs, brs, bcs, bp, NR);
                for (int ic = 0; ic < m; ic += mc0)
                {
                    int mc = Math.Min(mc0, m - ic);
                    // The same for A: in place, only a ragged last micro-panel (fewer than MR rows) goes into ap.
                    int fullRows = directA ? mc / MR * MR : 0;
                    if (fullRows < mc)
                        GemmPacking.PackA(mc - fullRows, kc, a + (ic + fullRows) * ars + pc * acs, ars, acs, ap, MR);
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        bool bInPlace = jr < fullCols;
                        T* bPanel = bInPlace ? b + pc * brs + jc + jr : bp + (jr - fullCols) * kc;
                        nint ldb = bInPlace ? brs : NR;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            bool aInPlace = ir < fullRows;
                            T* aPanel = aInPlace ? a + (ic + ir) * ars + pc * acs : ap + (ir - fullRows) * kc;
                            T* cTile = c + (ic + ir) * ldc + jc + jr;
                            // The first depth block of an overwrite starts from the bias, when there is one.
                            T* rowBias = !acc && bias != null ? bias + jc + jr : null;
                            bool full = paddedC || (mr == MR && nr == NR);
                            T* dst = full ? cTile : tile;
                            nint ldd = full ? ldc : NR;
                            // A full tile's bias goes into the strided kernel's registers (or, for kernels without
                            // one, is written into C first); an edge tile's is added as it is copied out.
                            T* kernelBias = full && TK.ReadsInPlace ? rowBias : null;
                            if (full && rowBias != null && !TK.ReadsInPlace) FillRows(cTile, ldc, MR, rowBias, NR);
                            bool add = full && (acc || (rowBias != null && kernelBias == null));
                            if (aInPlace || bInPlace || kernelBias != null)
                                TK.RunStrided(kc, aPanel, aInPlace ? ars : 1, aInPlace ? acs : MR, bPanel, ldb, dst, ldd, add, kernelBias);
                            else
                                TK.Run(kc, aPanel, bPanel, dst, ldd, add);
                            if (!full) StoreEdge(tile, NR, cTile, ldc, mr, nr, acc, rowBias);
                        }
                    }
                }
            }
        }
    }

    private static void StoreEdge<T>(T* tile, int tileStride, T* c, nint ldc, int mr, int nr, bool accumulate, T* bias)
        where T : unmanaged, INumberBase<T>
    {
        for (int i = 0; i < mr; i++, c += ldc, tile += tileStride)
            for (int j = 0; j < nr; j++)
                c[j] = accumulate ? c[j] + tile[j] : bias != null ? tile[j] + bias[j] : tile[j];
    }

    /// <summary>Copies the <paramref name="cols"/> bias values into each of <paramref name="rows"/> rows of a C tile.</summary>
    private static void FillRows<T>(T* c, nint ldc, int rows, T* bias, int cols) where T : unmanaged
    {
        var source = new ReadOnlySpan<T>(bias, cols);
        for (int i = 0; i < rows; i++, c += ldc) source.CopyTo(new Span<T>(c, cols));
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;
    private static int RoundUp(int x, int multiple) => CeilDiv(x, multiple) * multiple;
}

/// <summary>
/// Per-thread pack buffers, grown on demand and reused across calls so a GEMM never allocates in steady state.
/// Thread-static because each worker packs its own blocks; the finalizer frees them when the thread goes away.
/// </summary>
internal sealed unsafe class GemmPackBuffers
{
    [ThreadStatic] private static GemmPackBuffers? current;

    private void* a, b;
    private nuint aBytes, bBytes;

    public static GemmPackBuffers ForCurrentThread() => current ??= new GemmPackBuffers();

    public void* A(nuint bytes) => Ensure(ref a, ref aBytes, bytes);

    public void* B(nuint bytes) => Ensure(ref b, ref bBytes, bytes);

    private static void* Ensure(ref void* buffer, ref nuint capacity, nuint bytes)
    {
        if (bytes > capacity)
        {
            NativeMemory.AlignedFree(buffer);
            buffer = null;
            capacity = 0;
            // 64-byte alignment puts every B micro-panel row on a cache line (and a zmm load) boundary.
            buffer = NativeMemory.AlignedAlloc(bytes, 64);
            capacity = bytes;
        }
        return buffer;
    }

    ~GemmPackBuffers()
    {
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
    }
}
