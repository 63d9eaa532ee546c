// Fused attention on the CPU, in the FlashAttention manner: each (batch, head) item runs on one thread, a block of
// query rows at a time, with its [rows, Tk] scores in a small per-thread scratch buffer instead of a [B, H, Tq, Tk]
// tensor. The products go through the packed GEMM, which reads the strided q/k/v views (heads interleaved in a row)
// without copying them. The backward recomputes the probabilities from the saved row log-sum-exp.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Query rows per block: the scores of one block ([64, Tk]) stay in cache for the softmax and both products, and
    /// the scratch stays bounded for long sequences. With causal attention, keys after a block's last query are skipped.
    /// </summary>
    internal const int AttentionBlock = 64;

    public void Attention(Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal)
    {
        // The products need rows that are contiguous in the outputs (the GEMM's C); other layouts take the composite.
        if (!UnitLast(o))
        {
            new CompositeKernels(this).Attention(q, k, v, o, lse, scale, causal);
            return;
        }
        switch (q.DType)
        {
            case DType.Float32: AttentionForward<float>(q, k, v, o, lse, scale, causal); break;
            case DType.Float64: AttentionForward<double>(q, k, v, o, lse, scale, causal); break;
            default: throw Unsupported("attention", q.DType);
        }
    }

    public void AttentionBackward(Strided dO, Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal,
                                  Strided dq, Strided dk, Strided dv)
    {
        if (!UnitLast(dO) || !UnitLast(o) || !UnitLast(dq) || !UnitLast(dk) || !UnitLast(dv))
        {
            new CompositeKernels(this).AttentionBackward(dO, q, k, v, o, lse, scale, causal, dq, dk, dv);
            return;
        }
        switch (q.DType)
        {
            case DType.Float32: AttentionBackward<float>(dO, q, k, v, o, lse, scale, causal, dq, dk, dv); break;
            case DType.Float64: AttentionBackward<double>(dO, q, k, v, o, lse, scale, causal, dq, dk, dv); break;
            default: throw Unsupported("attention_backward", q.DType);
        }
    }

    private static bool UnitLast(Strided x) => x.Shape[^1] <= 1 || x.Strides[^1] == 1;

    /// <summary>
    /// The element offset of batch item <paramref name="item"/> (row-major over the <paramref name="batchRank"/> leading
    /// dims) in x, from the start of its storage.
    /// </summary>
    private static nint ItemOffset(int item, Strided x, int batchRank)
    {
        nint offset = x.Offset;
        for (int d = batchRank - 1; d >= 0; d--)
        {
            int n = x.Shape[d];
            offset += (nint)(item % n) * x.Strides[d];
            item /= n;
        }
        return offset;
    }

    /// <summary>The start of x's storage (views add <see cref="ItemOffset"/>), as an address a lambda may capture.</summary>
    private static nint Base(Strided x) => (nint)((HostStorage)x.Storage).Pointer;

    /// <summary>Runs body(first, end) over ranges of the N batch items, split across threads when the work pays.</summary>
    private static void ForItems(int N, long workPerItem, Action<int, int> body)
    {
        int chunks = ChunkCount(workPerItem * N, N);
        if (chunks == 1)
        {
            body(0, N);
            return;
        }
        ParallelFor(chunks, c => body((int)((long)c * N / chunks), (int)((long)(c + 1) * N / chunks)));
    }

    private static void AttentionForward<T>(Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Rank - 2, N = ShapeMath.Count(q.Shape[..^2]), Tq = q.Shape[^2], Tk = k.Shape[^2], D = q.Shape[^1], Dv = v.Shape[^1];
        if (N == 0 || Tq == 0) return;
        nint qRow = q.Strides[^2], qCol = q.Strides[^1], kRow = k.Strides[^2], kCol = k.Strides[^1];
        nint vRow = v.Strides[^2], vCol = v.Strides[^1], oRow = o.Strides[^2], lStep = lse.Strides[^1];
        T s = T.CreateTruncating(scale);
        nint Qp = Base(q), Kp = Base(k), Vp = Base(v), Op = Base(o), Lp = Base(lse);
        // The score block is padded to whole GEMM tiles, so its edge tiles are written in place (no scratch copies).
        int ldS = Gemm.RoundUp(Math.Max(1, Tk), Gemm.PadColumns), rowsS = Gemm.RoundUp(Math.Min(AttentionBlock, Tq), Gemm.PadRows);
        bool rowLoops = typeof(T) == typeof(float) && AttentionRows.IsSupported;
        ForItems(N, 2L * Tq * Tk * (D + Dv), (first, end) =>
        {
            var rented = ArrayPool<T>.Shared.Rent(rowsS * ldS);
            fixed (T* S = rented)
            {
                for (int item = first; item < end; item++)
                {
                    T* qi = (T*)Qp + ItemOffset(item, q, nb), ki = (T*)Kp + ItemOffset(item, k, nb), vi = (T*)Vp + ItemOffset(item, v, nb);
                    T* oi = (T*)Op + ItemOffset(item, o, nb), li = (T*)Lp + ItemOffset(item, lse, nb);
                    for (int i0 = 0; i0 < Tq; i0 += AttentionBlock)
                    {
                        int m = Math.Min(AttentionBlock, Tq - i0), n = causal ? Math.Min(Tk, i0 + m) : Tk;
                        T* qb = qi + i0 * qRow;
                        // S [m, n] = q_block k^T: B(d, j) = k[j, d].
                        Gemm.Multiply(m, n, D, qb, (int)qRow, (int)qCol, ki, (int)kCol, (int)kRow, S, ldS, false, 1, GemmPath.Auto, paddedC: true);
                        for (int r = 0; r < m; r++)
                        {
                            int seen = causal ? Math.Min(i0 + r + 1, Tk) : Tk;
                            if (rowLoops)
                            {
                                li[(i0 + r) * lStep] = T.CreateTruncating(AttentionRows.Softmax((float*)(S + (nint)r * ldS), seen, n, float.CreateTruncating(s)));
                                continue;
                            }
                            var row = new Span<T>(S + (nint)r * ldS, n);
                            var live = row[..seen];
                            T lseRow = T.NegativeInfinity;                    // no keys: -inf, and the row of o is 0
                            if (seen > 0)
                            {
                                TensorPrimitives.Multiply(live, s, live);
                                T max = TensorPrimitives.Max<T>(live);
                                TensorPrimitives.Subtract(live, max, live);
                                TensorPrimitives.Exp<T>(live, live);
                                T sum = TensorPrimitives.Sum<T>(live);
                                TensorPrimitives.Divide(live, sum, live);
                                lseRow = max + T.Log(sum);
                            }
                            row[seen..].Clear();                              // masked keys get probability 0
                            li[(i0 + r) * lStep] = lseRow;
                        }
                        // o_block [m, Dv] = P [m, n] v[:n]
                        Gemm.Multiply(m, Dv, n, S, ldS, 1, vi, (int)vRow, (int)vCol, oi + i0 * oRow, (int)oRow, false, 1, GemmPath.Auto);
                    }
                }
            }
            ArrayPool<T>.Shared.Return(rented);
        });
    }

    private static void AttentionBackward<T>(Strided dO, Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal,
                                             Strided dq, Strided dk, Strided dv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nb = q.Rank - 2, N = ShapeMath.Count(q.Shape[..^2]), Tq = q.Shape[^2], Tk = k.Shape[^2], D = q.Shape[^1], Dv = v.Shape[^1];
        if (N == 0) return;
        nint qRow = q.Strides[^2], qCol = q.Strides[^1], kRow = k.Strides[^2], kCol = k.Strides[^1];
        nint vRow = v.Strides[^2], vCol = v.Strides[^1], oRow = o.Strides[^2], dORow = dO.Strides[^2], lStep = lse.Strides[^1];
        nint dqRow = dq.Strides[^2], dkRow = dk.Strides[^2], dvRow = dv.Strides[^2];
        T s = T.CreateTruncating(scale);
        nint Qp = Base(q), Kp = Base(k), Vp = Base(v), Op = Base(o), Lp = Base(lse), dOp = Base(dO), dQp = Base(dq), dKp = Base(dk), dVp = Base(dv);
        // P and dS are padded to whole GEMM tiles, as the forward's scores are.
        int ldS = Gemm.RoundUp(Math.Max(1, Tk), Gemm.PadColumns), tile = Gemm.RoundUp(Math.Min(AttentionBlock, Tq), Gemm.PadRows) * ldS;
        bool rowLoops = typeof(T) == typeof(float) && AttentionRows.IsSupported;
        ForItems(N, 5L * Tq * Tk * (D + Dv), (first, end) =>
        {
            var rented = ArrayPool<T>.Shared.Rent(2 * tile);
            fixed (T* P = rented)
            {
                T* dS = P + tile;
                for (int item = first; item < end; item++)
                {
                    T* qi = (T*)Qp + ItemOffset(item, q, nb), ki = (T*)Kp + ItemOffset(item, k, nb), vi = (T*)Vp + ItemOffset(item, v, nb);
                    T* oi = (T*)Op + ItemOffset(item, o, nb), li = (T*)Lp + ItemOffset(item, lse, nb), dOi = (T*)dOp + ItemOffset(item, dO, nb);
                    T* dqi = (T*)dQp + ItemOffset(item, dq, nb), dki = (T*)dKp + ItemOffset(item, dk, nb), dvi = (T*)dVp + ItemOffset(item, dv, nb);
                    // dk and dv collect a term from every query block. The first block writes the rows of the keys it sees
                    // (all of them unless causal); only the rest start at 0.
                    int firstKeys = causal ? Math.Min(Tk, Math.Min(AttentionBlock, Tq)) : Tq > 0 ? Tk : 0;
                    for (int j = firstKeys; j < Tk; j++)
                    {
                        new Span<T>(dki + j * dkRow, D).Clear();
                        new Span<T>(dvi + j * dvRow, Dv).Clear();
                    }
                    for (int i0 = 0; i0 < Tq; i0 += AttentionBlock)
                    {
                        int m = Math.Min(AttentionBlock, Tq - i0), n = causal ? Math.Min(Tk, i0 + m) : Tk;
                        T* qb = qi + i0 * qRow, dOb = dOi + i0 * dORow;
                        if (n == 0)
                        {
                            for (int r = 0; r < m; r++) new Span<T>(dqi + (i0 + r) * dqRow, D).Clear();
                            continue;
                        }
                        // P [m, n] = exp(q_block k^T * scale - lse), 0 where masked.
                        Gemm.Multiply(m, n, D, qb, (int)qRow, (int)qCol, ki, (int)kCol, (int)kRow, P, ldS, false, 1, GemmPath.Auto, paddedC: true);
                        for (int r = 0; r < m; r++)
                        {
                            int seen = causal ? Math.Min(i0 + r + 1, Tk) : Tk;
                            if (rowLoops)
                            {
                                AttentionRows.Probabilities((float*)(P + (nint)r * ldS), seen, n, float.CreateTruncating(s), float.CreateTruncating(li[(i0 + r) * lStep]));
                                continue;
                            }
                            var row = new Span<T>(P + (nint)r * ldS, n);
                            var live = row[..seen];
                            TensorPrimitives.Multiply(live, s, live);
                            TensorPrimitives.Subtract(live, li[(i0 + r) * lStep], live);
                            TensorPrimitives.Exp<T>(live, live);
                            row[seen..].Clear();
                        }
                        // dv[:n] += P^T dO_block: A(j, r) = P[r, j].
                        Gemm.Multiply(n, Dv, m, P, 1, ldS, dOb, (int)dORow, 1, dvi, (int)dvRow, i0 > 0, 1, GemmPath.Auto);
                        // dP [m, n] = dO_block v^T: B(c, j) = v[j, c].
                        Gemm.Multiply(m, n, Dv, dOb, (int)dORow, 1, vi, (int)vCol, (int)vRow, dS, ldS, false, 1, GemmPath.Auto, paddedC: true);
                        for (int r = 0; r < m; r++)
                        {
                            if (rowLoops)
                            {
                                float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)(dOb + r * dORow), Dv), new ReadOnlySpan<float>((float*)(oi + (i0 + r) * oRow), Dv));
                                AttentionRows.ScoreGradient((float*)(dS + (nint)r * ldS), (float*)(P + (nint)r * ldS), n, dot, float.CreateTruncating(s));
                                continue;
                            }
                            var ds = new Span<T>(dS + (nint)r * ldS, n);
                            var p = new ReadOnlySpan<T>(P + (nint)r * ldS, n);
                            // Drow = rowsum(dO * o): the softmax backward's sum of P dP, from the saved output.
                            T rowDot = TensorPrimitives.Dot<T>(new ReadOnlySpan<T>(dOb + r * dORow, Dv), new ReadOnlySpan<T>(oi + (i0 + r) * oRow, Dv));
                            TensorPrimitives.Subtract(ds, rowDot, ds);
                            TensorPrimitives.Multiply(ds, p, ds);                 // masked: P = 0 makes dS = 0
                            TensorPrimitives.Multiply(ds, s, ds);
                        }
                        // dq_block = dS k[:n]; dk[:n] += dS^T q_block (both with the scale folded into dS).
                        Gemm.Multiply(m, D, n, dS, ldS, 1, ki, (int)kRow, (int)kCol, dqi + i0 * dqRow, (int)dqRow, false, 1, GemmPath.Auto);
                        Gemm.Multiply(n, D, m, dS, 1, ldS, qb, (int)qRow, (int)qCol, dki, (int)dkRow, i0 > 0, 1, GemmPath.Auto);
                    }
                }
            }
            ArrayPool<T>.Shared.Return(rented);
        });
    }
}
