// Rotary position embeddings (RoPE) in the half-split layout: each head's vector is rotated by an angle that grows
// with its position, so that q·k after rotation depends only on how far apart the two positions are.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Rotary position embeddings on [B, H, T, D] queries or keys, half-split layout (GPT-NeoX, Llama):
/// <code>
/// freq_j  = base^(-2j / D)                 j = 0 .. D/2 - 1
/// angle   = (offset + t) * freq_j          t = 0 .. T - 1
/// x1, x2  = x[..., :D/2], x[..., D/2:]
/// out     = [x1 cos - x2 sin,  x2 cos + x1 sin]
/// </code>
/// Each pair (x1[j], x2[j]) is rotated by its angle, so position 0 is exactly the identity (cos 0 = 1, sin 0 = 0), and
/// rotating q at position m and k at position n gives q·k that depends only on m - n. The interleaved-pairs layout
/// (pairs (x[2j], x[2j+1]), GPT-J and the original paper) is a different convention whose weights do not load here.
/// <para>The cos and sin tables are computed per call, in double precision on the host and then converted to the
/// input's dtype and device: they follow any sequence length, offset, dtype and device, and cost O(T D) next to
/// attention's O(T^2 D). No parameters, no state.</para>
/// </summary>
public sealed class Rope : Module<Tensor, Tensor>
{
    /// <param name="headDim">D, the size of each head's vector; must be even.</param>
    /// <param name="base">The frequency base, 10,000 in the paper and in most models.</param>
    public Rope(int headDim, double @base = 10_000)
    {
        if (headDim <= 0 || headDim % 2 != 0)
            throw new ArgumentException($"Rope: the head dim must be positive and even (RoPE rotates pairs), got {headDim}", nameof(headDim));
        if (!(@base > 1)) throw new ArgumentOutOfRangeException(nameof(@base), @base, "Rope: base must be greater than 1");
        HeadDim = headDim;
        Base = @base;
    }

    public int HeadDim { get; }
    public double Base { get; }

    /// <summary>Rotates positions 0 .. T-1 of <paramref name="x"/> [..., T, D].</summary>
    public override Tensor Forward(Tensor x) => Apply(x, offset: 0);

    /// <summary>
    /// Rotates <paramref name="x"/> [..., T, D] as positions <paramref name="offset"/> .. offset + T - 1 (a decoder
    /// with a key/value cache passes the number of cached tokens).
    /// </summary>
    public Tensor Apply(Tensor x, int offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 2 || x.Size(-1) != HeadDim)
            throw new ArgumentException($"Rope: expected input [..., T, D] with D = HeadDim = {HeadDim}, got shape {Format(x.Shape)}", nameof(x));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        int T = x.Size(-2), half = HeadDim / 2;
        var (cos, sin) = Tables(T, offset, x.DType, x.Device);        // [T, D/2] each
        var x1 = x.Narrow(-1, 0, half);                                  // [..., T, D/2]
        var x2 = x.Narrow(-1, half, half);                               // [..., T, D/2]
        return Tensor.Cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim: -1); // [..., T, D]
    }

    /// <summary>cos and sin of angle[t, j] = (offset + t) base^(-2j/D), each [T, D/2].</summary>
    public (Tensor Cos, Tensor Sin) Tables(int T, int offset, DType dtype, Device device)
    {
        int half = HeadDim / 2;
        var freq = new double[half];
        for (int j = 0; j < half; j++) freq[j] = Math.Pow(Base, -2.0 * j / HeadDim);
        var cos = new double[T * half];
        var sin = new double[T * half];
        for (int t = 0; t < T; t++)
            for (int j = 0; j < half; j++)
            {
                double angle = (offset + t) * freq[j];
                cos[t * half + j] = Math.Cos(angle);
                sin[t * half + j] = Math.Sin(angle);
            }
        return (Table(cos, [T, half], dtype, device), Table(sin, [T, half], dtype, device));
    }

    private static Tensor Table(double[] values, int[] shape, DType dtype, Device device)
    {
        using var host = Tensor.FromArray(values, shape);
        using var typed = host.To(dtype);
        return typed.To(device);
    }
}
