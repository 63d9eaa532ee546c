// CONTAINER (Gao et al. 2021): static (Mixer-like) and dynamic (attention) affinities mixed by two learned scalars.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Causal CONTAINER, [B, T, C] -> [B, T, C] with h heads of hs = C / h channels and context n:
/// <code>
/// q, k, v   = x Wq^T, x Wk^T, x Wv^T                       [B, h, T, hs] each (with biases)
/// A_dynamic = softmax(mask(q k^T / sqrt(hs)))              [B, h, T, T]
/// A_static  = tril(S[:T, :T])                              S [n, n] learned, shared by heads and batch; no softmax
/// y         = (alpha A_dynamic + beta A_static) v          [B, h, T, hs] -> [B, T, C]
/// </code>
/// As ALGORITHMS.md: alpha multiplies the dynamic affinity, beta the static one; both scalars start at 1. S starts
/// uniform on ±1/sqrt(n), PyTorch's default for an n-input linear map (as the Mixer's token-mixing weights).
/// </summary>
public sealed class ContainerMixer : Module<Tensor, Tensor>
{
    public ContainerMixer(int width, int contextLength, int heads = 1, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        ContextLength = contextLength;
        Heads = heads;
        Query = AddModule("query", new Linear(width, width, generator: generator, dtype: dtype, device: device));
        Key = AddModule("key", new Linear(width, width, generator: generator, dtype: dtype, device: device));
        Value = AddModule("value", new Linear(width, width, generator: generator, dtype: dtype, device: device));
        double bound = 1 / Math.Sqrt(contextLength);
        Static = AddParameter("static", Tensor.Uniform([contextLength, contextLength], -bound, bound, generator, dtype, device)); // [n, n]
        Alpha = AddParameter("alpha", Tensor.Ones([1], dtype, device));
        Beta = AddParameter("beta", Tensor.Ones([1], dtype, device));
    }

    public int Width { get; }
    public int ContextLength { get; }
    public int Heads { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    /// <summary>S [n, n]: the static affinity, masked to its lower triangle.</summary>
    public Tensor Static { get; }
    /// <summary>The weight of the dynamic (attention) affinity, [1].</summary>
    public Tensor Alpha { get; }
    /// <summary>The weight of the static affinity, [1].</summary>
    public Tensor Beta { get; }

    public override Tensor Forward(Tensor x)
    {
        int T = TokenMixers.CheckInput(nameof(ContainerMixer), x, Width, ContextLength);
        int B = x.Size(0), h = Heads, hs = Width / Heads;
        var q = Query.Call(x).View(B, T, h, hs).Transpose(1, 2);               // [B, h, T, hs]
        var k = Key.Call(x).View(B, T, h, hs).Transpose(1, 2);                 // [B, h, T, hs]
        var v = Value.Call(x).View(B, T, h, hs).Transpose(1, 2);               // [B, h, T, hs]
        var att = q.MatMul(k.Transpose(-2, -1)) * (1 / Math.Sqrt(hs));         // [B, h, T, T]
        var dynamic = att.MaskedFill(TokenMixers.Future(T, x.Device), double.NegativeInfinity).Softmax(-1); // [B, h, T, T]
        var s = (T == ContextLength ? Static : Static[..T, ..T]).Tril();        // [T, T], row i reads j <= i
        var a = Alpha * dynamic + Beta * s;                                     // [B, h, T, T]
        var y = a.MatMul(v);                                                    // [B, h, T, hs]
        return y.Transpose(1, 2).Reshape(B, T, Width);                          // [B, T, C]
    }
}
