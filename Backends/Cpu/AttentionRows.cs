// The per-row steps of fused attention in float, each one pass over a row of scores in 16-lane vectors: the scaled
// softmax of the forward, the probabilities rebuilt from the log-sum-exp in the backward, and the softmax backward.
// Rows live in a score block padded to whole vectors, so a row's last vector is a full one with its dead lanes masked.
// With rows as short as a ViT's 50 tokens, the five or six span calls per row they replace cost more than the
// arithmetic. The composite attention and the TensorPrimitives loops of CpuBackend.Attention (kept for double and for
// CPUs without AVX-512) are their oracles.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends.Cpu;

internal static unsafe class AttentionRows
{
    /// <summary>Whether these loops run here: 16-lane vectors in hardware.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// row[0, seen) = softmax(row * scale) and row[seen, RoundUp(n, 16)) = 0 (masked keys, and the block's padding up to a
    /// whole vector, which must exist); returns the log-sum-exp of the scaled row, -inf when seen = 0 (the row stays 0).
    /// </summary>
    public static float Softmax(float* row, int seen, int n, float scale)
    {
        int width = RoundUp16(n);
        if (seen == 0)
        {
            new Span<float>(row, width).Clear();
            return float.NegativeInfinity;
        }
        var vs = Vector512.Create(scale);
        var ninf = Vector512.Create(float.NegativeInfinity);
        // Max of the scaled row (the scale may be negative, so scale first); lanes at or past seen count as -inf.
        var vmax = ninf;
        for (int j = 0; j < seen; j += 16) vmax = Vector512.Max(vmax, Live(Vector512.Load(row + j) * vs, j, seen, ninf));
        float max = HorizontalMax(vmax);
        // e = exp(x * scale - max), summed; exp(-inf) = 0 clears the masked lanes.
        var vneg = Vector512.Create(-max);
        var vsum = Vector512<float>.Zero;
        int k = 0;
        for (; k < seen; k += 16)
        {
            var e = SpecialFunctions.Exp(Live(Vector512.FusedMultiplyAdd(Vector512.Load(row + k), vs, vneg), k, seen, ninf));
            e.Store(row + k);
            vsum += e;
        }
        for (; k < width; k += 16) Vector512<float>.Zero.Store(row + k);
        float sum = Vector512.Sum(vsum);
        var vf = Vector512.Create(1 / sum);
        for (int j = 0; j < seen; j += 16) (Vector512.Load(row + j) * vf).Store(row + j);
        return max + MathF.Log(sum);
    }

    /// <summary>
    /// row[0, seen) = exp(row * scale - lse), the probabilities the forward's softmax gave; row[seen, RoundUp(n, 16)) = 0.
    /// </summary>
    public static void Probabilities(float* row, int seen, int n, float scale, float lse)
    {
        var vs = Vector512.Create(scale);
        var vneg = Vector512.Create(-lse);
        var ninf = Vector512.Create(float.NegativeInfinity);
        int j = 0, width = RoundUp16(n);
        for (; j < seen; j += 16)
            SpecialFunctions.Exp(Live(Vector512.FusedMultiplyAdd(Vector512.Load(row + j), vs, vneg), j, seen, ninf)).Store(row + j);
        for (; j < width; j += 16) Vector512<float>.Zero.Store(row + j);
    }

    /// <summary>
    /// The softmax backward on one row, with the attention scale folded in: ds = (dp - rowDot) * p * scale, where dp
    /// arrives in <paramref name="ds"/> and rowDot = sum(p * dp) = sum(dO * o) over the row. Masked keys have p = 0.
    /// Runs over RoundUp(n, 16) lanes: both rows must be finite there (p is 0 past n, as <see cref="Probabilities"/> leaves it).
    /// </summary>
    public static void ScoreGradient(float* ds, float* p, int n, float rowDot, float scale)
    {
        var vdot = Vector512.Create(rowDot);
        var vs = Vector512.Create(scale);
        for (int j = 0; j < n; j += 16)
            ((Vector512.Load(ds + j) - vdot) * Vector512.Load(p + j) * vs).Store(ds + j);
    }

    /// <summary>x with the lanes at index <paramref name="start"/> + i &gt;= <paramref name="seen"/> replaced by <paramref name="masked"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Live(Vector512<float> x, int start, int seen, Vector512<float> masked)
    {
        if (start + 16 <= seen) return x;
        var live = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(seen - start)).AsSingle();
        return Vector512.ConditionalSelect(live, x, masked);
    }

    private static int RoundUp16(int n) => (n + 15) & ~15;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        float max = float.NegativeInfinity;
        for (int i = 0; i < 4; i++) max = MathF.Max(max, q.GetElement(i));
        return max;
    }
}
