// Random Synthesizer (Tay et al. 2021): attention weights that are learned parameters, not computed from the tokens.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Causal Random Synthesizer, [B, T, C] -> [B, T, C] with h heads of hs = C / h channels and context n:
/// <code>
/// V = x Wv^T + bv                   [B, T, C] -> [B, h, T, hs]
/// A = softmax(mask(R[:, :T, :T]))   R [h, n, n] learned, shared by the batch; mask -inf above the diagonal
/// y = A V                           [h, T, T] @ [B, h, T, hs] -> [B, h, T, hs] -> [B, T, C]
/// </code>
/// R starts N(0, 0.02^2), so each row starts near a uniform average over the positions it may read.
/// </summary>
public sealed class RandomSynthesizer : Module<Tensor, Tensor>
{
    public RandomSynthesizer(int width, int contextLength, int heads = 1, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        ContextLength = contextLength;
        Heads = heads;
        Logits = AddParameter("logits", Tensor.Normal([heads, contextLength, contextLength], 0, 0.02, generator, dtype, device)); // [h, n, n]
        Value = AddModule("value", new Linear(width, width, generator: generator, dtype: dtype, device: device));
    }

    public int Width { get; }
    public int ContextLength { get; }
    public int Heads { get; }
    /// <summary>R [h, n, n]: row i holds head's mixing logits of position i over positions j.</summary>
    public Tensor Logits { get; }
    public Linear Value { get; }

    public override Tensor Forward(Tensor x)
    {
        int T = TokenMixers.CheckInput(nameof(RandomSynthesizer), x, Width, ContextLength);
        int B = x.Size(0), h = Heads, hs = Width / Heads;
        var v = Value.Call(x).View(B, T, h, hs).Transpose(1, 2);               // [B, T, C] -> [B, T, h, hs] -> [B, h, T, hs]
        var r = T == ContextLength ? Logits : Logits[.., ..T, ..T];            // [h, T, T]
        var a = r.MaskedFill(TokenMixers.Future(T, x.Device), double.NegativeInfinity).Softmax(-1); // [h, T, T], row i over j <= i
        var y = a.MatMul(v);                                                    // [h, T, T] @ [B, h, T, hs] -> [B, h, T, hs]
        return y.Transpose(1, 2).Reshape(B, T, Width);                          // [B, T, h, hs] -> [B, T, C]
    }
}
