// Multi-head causal MLP-Mixer token mixing: each channel group mixes the sequence with its own lower-triangular MLP.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Causal multi-head MLP-Mixer token mixing, [B, T, C] -> [B, T, C], context n, h heads of d = C / h channels. Each
/// head g runs its own token MLP over the sequence axis of each of its channels (hidden size n, exact GELU):
/// <code>
/// x_g = x[..., g d : (g+1) d]                     [B, T, d], seen per channel as a length-T sequence
/// y_g = W2_g gelu(W1_g x_g + b1_g) + b2_g         W1_g, W2_g [n, n] masked lower-triangular, b [n]
/// </code>
/// Hidden unit i reads inputs j &lt;= i and output t reads hidden units i &lt;= t, so output t reads only inputs &lt;= t;
/// a sequence T &lt; n uses the top-left T x T corners (the causal model on a prefix). h = 1 is the plain Mixer's
/// token MLP (with D_S = n). Weights and biases start uniform on ±1/sqrt(n), as a PyTorch Linear(n, n).
/// </summary>
public sealed class CausalMixerTokenMlp : Module<Tensor, Tensor>
{
    public CausalMixerTokenMlp(int width, int contextLength, int heads = 1, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        Width = width;
        ContextLength = contextLength;
        Heads = heads;
        int n = contextLength;
        double bound = 1 / Math.Sqrt(n);
        W1 = AddParameter("w1", Tensor.Uniform([heads, n, n], -bound, bound, generator, dtype, device)); // [h, n, n]
        B1 = AddParameter("b1", Tensor.Uniform([heads, n], -bound, bound, generator, dtype, device));    // [h, n]
        W2 = AddParameter("w2", Tensor.Uniform([heads, n, n], -bound, bound, generator, dtype, device)); // [h, n, n]
        B2 = AddParameter("b2", Tensor.Uniform([heads, n], -bound, bound, generator, dtype, device));    // [h, n]
    }

    public int Width { get; }
    public int ContextLength { get; }
    public int Heads { get; }
    public Tensor W1 { get; }   // [h, n, n]: row i (hidden unit) over input positions j
    public Tensor B1 { get; }   // [h, n]
    public Tensor W2 { get; }   // [h, n, n]: row t (output position) over hidden units i
    public Tensor B2 { get; }   // [h, n]

    public override Tensor Forward(Tensor x)
    {
        int T = TokenMixers.CheckInput(nameof(CausalMixerTokenMlp), x, Width, ContextLength);
        int B = x.Size(0), h = Heads, d = Width / Heads;
        bool full = T == ContextLength;
        var w1 = (full ? W1 : W1[.., ..T, ..T]).Tril();                        // [h, T, T]
        var w2 = (full ? W2 : W2[.., ..T, ..T]).Tril();                        // [h, T, T]
        var b1 = (full ? B1 : B1[.., ..T]).Unsqueeze(-1);                      // [h, T, 1]
        var b2 = (full ? B2 : B2[.., ..T]).Unsqueeze(-1);                      // [h, T, 1]
        var xs = x.View(B, T, h, d).Transpose(1, 2);                           // [B, T, h, d] -> [B, h, T, d]
        var hidden = (w1.MatMul(xs) + b1).Gelu();                              // [h, T, T] @ [B, h, T, d] -> [B, h, T, d]
        var y = w2.MatMul(hidden) + b2;                                        // [B, h, T, d]
        return y.Transpose(1, 2).Reshape(B, T, Width);                         // [B, T, h, d] -> [B, T, C]
    }
}
