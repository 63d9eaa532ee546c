// gMLP's block body as a causal token mixer: project up, GELU, the causal spatial gating unit, project down.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// gMLP for language modelling, [B, T, C] -> [B, T, C], hidden F (even), context n (Liu et al. 2021, causal):
/// <code>
/// Z       = gelu(x U^T + bu)                 [B, T, F]
/// Z1, Z2  = split(Z)                         [B, T, F/2] each
/// g       = tril(W) LN(Z2) + b               W [n, n], b [n]: mixes across positions, row i reads j &lt;= i
/// g       = tanh(g)                          only the tanh-constrained variant
/// y       = (Z1 * g) V^T + bv                [B, T, F/2] -> [B, T, C]
/// </code>
/// The gate is <see cref="SpatialGatingUnit"/> with Causal: true; W starts uniform on ±0.02 / n (the small
/// initialisation the gMLP-for-LM runs settled on) and b at 1, so the gate starts as (almost) the identity, or
/// tanh(1) ≈ 0.76 for the tanh variant. <see cref="MixerLm"/> puts the pre-norm and the residual around it.
/// </summary>
public sealed class SpatialGatingMixer : Module<Tensor, Tensor>
{
    public SpatialGatingMixer(int width, int hidden, int contextLength, bool tanh = false, Generator? generator = null,
                              DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        Hidden = hidden;
        ContextLength = contextLength;
        ProjIn = AddModule("proj_in", new Linear(width, hidden, generator: generator, dtype: dtype, device: device));
        Sgu = AddModule("sgu", new SpatialGatingUnit(hidden, contextLength, causal: true, TokenMixers.GateInitRange, tanh: tanh,
                                                     generator: generator, dtype: dtype, device: device));
        ProjOut = AddModule("proj_out", new Linear(hidden / 2, width, generator: generator, dtype: dtype, device: device));
    }

    public int Width { get; }
    public int Hidden { get; }
    public int ContextLength { get; }
    public Linear ProjIn { get; }          // U: C -> F
    public SpatialGatingUnit Sgu { get; }
    public Linear ProjOut { get; }         // V: F/2 -> C

    public override Tensor Forward(Tensor x)
    {
        TokenMixers.CheckInput(nameof(SpatialGatingMixer), x, Width, ContextLength);
        var z = ProjIn.Call(x).Gelu();       // [B, T, F]
        return ProjOut.Call(Sgu.Call(z));    // [B, T, F/2] -> [B, T, C]
    }
}
