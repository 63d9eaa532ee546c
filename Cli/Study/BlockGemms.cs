// The matrix products one transformer block runs, counted from its configuration: every Linear and the two
// attention products, forward and backward. The shapes study's FLOPs, GEMM shares and tile fills all come from here.
using DotGrad.Models;

namespace DotGrad.Cli.Study;

/// <summary>Which pass a product belongs to.</summary>
internal enum GemmPass
{
    Forward,
    /// <summary>dA = dC B^T of a forward product C = A B: [M, N] x [N, K].</summary>
    GradA,
    /// <summary>dB = A^T dC of a forward product C = A B: [K, M] x [M, N].</summary>
    GradB,
}

/// <summary>
/// <see cref="Count"/> products of [M, K] x [K, N] (a batched product counts each matrix of the batch). Name says
/// which product: the forward one's, or "dX of name" for a gradient.
/// </summary>
internal sealed record GemmShape(string Name, GemmPass Pass, long Count, int M, int N, int K)
{
    /// <summary>2 M N K per product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * Count * M * N * K;

    public override string ToString() => $"{M} x {N} x {K}" + (Count > 1 ? $" (x{Count})" : "");
}

/// <summary>The GEMMs of one <see cref="TransformerBlock"/> on [batch, tokens, Width] inputs.</summary>
internal static class BlockGemms
{
    /// <summary>
    /// The forward products, in the order the block runs them: the query, key and value projections
    /// [B T, C] x [C, out], one q k^T [T, hd] x [hd, T] and one att v [T, T] x [T, hd] per batch entry and query head,
    /// the output projection, then the MLP's projections (two for the plain MLP, three for a gated one). Biases, norms,
    /// the softmax and the activation are elementwise: no GEMM.
    /// </summary>
    public static IReadOnlyList<GemmShape> Forward(BlockConfig c, int batch, int tokens)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (batch <= 0 || tokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"BlockGemms.Forward: batch and tokens must be positive, got batch {batch}, tokens {tokens}");
        if (c.Width % c.Heads != 0)
            throw new ArgumentException($"BlockGemms.Forward: Heads ({c.Heads}) must divide Width ({c.Width})", nameof(c));
        int rows = batch * tokens, C = c.Width, hd = C / c.Heads, kv = (c.KvHeads ?? c.Heads) * hd, H = c.MlpHidden;
        long heads = (long)batch * c.Heads;
        var list = new List<GemmShape>
        {
            new("query", GemmPass.Forward, 1, rows, C, C),
            new("key", GemmPass.Forward, 1, rows, kv, C),
            new("value", GemmPass.Forward, 1, rows, kv, C),
            new("q k^T", GemmPass.Forward, heads, tokens, tokens, hd),
            new("att v", GemmPass.Forward, heads, tokens, hd, tokens),
            new("out", GemmPass.Forward, 1, rows, C, C),
        };
        if (c.Mlp == MlpKind.Plain)
        {
            list.Add(new("mlp fc", GemmPass.Forward, 1, rows, H, C));
        }
        else
        {
            list.Add(new("mlp gate", GemmPass.Forward, 1, rows, H, C));
            list.Add(new("mlp up", GemmPass.Forward, 1, rows, H, C));
        }
        list.Add(new(c.Mlp == MlpKind.Plain ? "mlp proj" : "mlp down", GemmPass.Forward, 1, rows, C, H));
        return list;
    }

    /// <summary>
    /// Every forward product followed by its two gradients (the block's input and every weight need one): for C = A B
    /// with A [M, K] and B [K, N], dA = dC B^T is M x K x N and dB = A^T dC is K x N x M, so backward costs twice forward.
    /// A Linear layer (every product but the two attention ones) computes its weight's gradient in the weight's own
    /// [out, in] layout, dW = dC^T A: N x K x M, the same FLOPs with the tile roles of M and N swapped.
    /// </summary>
    public static IReadOnlyList<GemmShape> ForwardBackward(BlockConfig c, int batch, int tokens) =>
        Forward(c, batch, tokens).SelectMany(f => new[]
        {
            f,
            new GemmShape(f.Name, GemmPass.GradA, f.Count, f.M, f.K, f.N),
            f.Name is "q k^T" or "att v"
                ? new GemmShape(f.Name, GemmPass.GradB, f.Count, f.K, f.N, f.M)
                : new GemmShape(f.Name, GemmPass.GradB, f.Count, f.N, f.K, f.M),
        }).ToArray();

    /// <summary>Forward plus backward FLOPs of the block per token, at <paramref name="tokens"/> tokens per sequence.</summary>
    public static double FlopsPerToken(BlockConfig c, int tokens) => ForwardBackward(c, 1, tokens).Sum(g => g.Flops) / tokens;
}
