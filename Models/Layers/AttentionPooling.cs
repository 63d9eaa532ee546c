// Multi-head attention pooling (the "map" head of big_vision's ViT): a learned query summarises a set of tokens.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// MAP head, as big_vision's <c>MAPHead</c>: [B, N, C] tokens -> [B, C].
/// <code>
/// p = probe                          a learned [1, 1, C] query, repeated over the batch
/// x = MHA(query: p, keys/values: tokens)     [B, 1, C]
/// x = x + MLP(LN(x))
/// out = x[:, 0]                      [B, C]
/// </code>
/// The attention is non-causal and has no RoPE (a set, not a sequence). Defaults follow big_vision: probe uniform on
/// ±sqrt(6 / (1 + C)) (xavier_uniform of a [1, C] matrix), LayerNorm eps 1e-6, MLP hidden 4 C with tanh-GELU.
/// </summary>
public sealed class MultiHeadAttentionPooling : Module<Tensor, Tensor>
{
    public MultiHeadAttentionPooling(int width, int heads, int? mlpHidden = null, double normEps = 1e-6,
                                     Activation activation = Activation.GeluTanh, bool bias = true,
                                     Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        double bound = Math.Sqrt(6.0 / (1 + width));
        Probe = AddParameter("probe", Tensor.Uniform([1, 1, width], -bound, bound, generator, dtype, device));
        Attention = AddModule("attn", new MultiHeadAttention(new AttentionConfig(width, heads, Bias: bias), generator, dtype, device));
        Norm = AddModule("ln", new LayerNorm(width, normEps, bias, dtype, device));
        Mlp = AddModule("mlp", new Mlp(width, mlpHidden ?? 4 * width, MlpKind.Plain, activation, bias, generator, dtype, device));
    }

    public int Width { get; }
    public Tensor Probe { get; }   // [1, 1, C]
    public MultiHeadAttention Attention { get; }
    public LayerNorm Norm { get; }
    public Mlp Mlp { get; }

    public override Tensor Forward(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank != 3 || tokens.Size(-1) != Width)
            throw new ArgumentException($"MultiHeadAttentionPooling: expected tokens [B, N, C] with C = width = {Width}, got shape {Format(tokens.Shape)}", nameof(tokens));
        int B = tokens.Size(0);
        var probe = Probe.Expand(B, 1, Width);              // [1, 1, C] -> [B, 1, C]
        var x = Attention.Attend(probe, tokens);            // [B, 1, C]
        x = x + Mlp.Call(Norm.Call(x));                     // [B, 1, C]
        return x[.., 0];                                    // [B, 1, C] -> [B, C]
    }
}
