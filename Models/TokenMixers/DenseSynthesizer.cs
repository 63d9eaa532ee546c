// Dense Synthesizer (Tay et al. 2021): each token predicts its own row of attention weights with an MLP.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Causal Dense Synthesizer, [B, T, C] -> [B, T, C] with h heads of hs = C / h channels and context n:
/// <code>
/// L_i = W2 relu(W1 x_i + b1) + b2   per token: [C] -> [C] -> [h n], the h rows of mixing logits of position i
/// A   = softmax(mask(L[:, :, :, :T])) [B, h, T, T], mask -inf above the diagonal (row i reads j &lt;= i)
/// V   = x Wv^T + bv                 [B, h, T, hs]
/// y   = A V                         [B, h, T, hs] -> [B, T, C]
/// </code>
/// A shorter sequence T &lt; n uses the first T of each token's n logits, which is exactly the causal model on a prefix.
/// </summary>
public sealed class DenseSynthesizer : Module<Tensor, Tensor>
{
    public DenseSynthesizer(int width, int contextLength, int heads = 1, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        ContextLength = contextLength;
        Heads = heads;
        Fc1 = AddModule("fc1", new Linear(width, width, generator: generator, dtype: dtype, device: device));
        Fc2 = AddModule("fc2", new Linear(width, heads * contextLength, generator: generator, dtype: dtype, device: device));
        Value = AddModule("value", new Linear(width, width, generator: generator, dtype: dtype, device: device));
    }

    public int Width { get; }
    public int ContextLength { get; }
    public int Heads { get; }
    public Linear Fc1 { get; }     // W1: C -> C
    public Linear Fc2 { get; }     // W2: C -> h n
    public Linear Value { get; }   // Wv: C -> C

    public override Tensor Forward(Tensor x)
    {
        int T = TokenMixers.CheckInput(nameof(DenseSynthesizer), x, Width, ContextLength);
        int B = x.Size(0), h = Heads, hs = Width / Heads, n = ContextLength;
        var logits = Fc2.Call(Fc1.Call(x).Relu()).View(B, T, h, n);            // [B, T, C] -> [B, T, h n] -> [B, T, h, n]
        if (T < n) logits = logits[.., .., .., ..T];                            // [B, T, h, T]
        logits = logits.Transpose(1, 2);                                        // [B, h, T, T]: row i of head g
        var a = logits.MaskedFill(TokenMixers.Future(T, x.Device), double.NegativeInfinity).Softmax(-1); // [B, h, T, T]
        var v = Value.Call(x).View(B, T, h, hs).Transpose(1, 2);                // [B, h, T, hs]
        var y = a.MatMul(v);                                                    // [B, h, T, T] @ [B, h, T, hs] -> [B, h, T, hs]
        return y.Transpose(1, 2).Reshape(B, T, Width);                          // [B, T, C]
    }
}
