// An analytic count of the floating-point operations in a training step's matrix multiplies, from the shapes alone.
namespace DotGrad.Benchmarks;

/// <summary>
/// Sums the FLOPs of the matrix products of one training step. A product [m, k] x [k, n] costs 2 m n k forward; its
/// backward computes one product of the same size per operand that needs a gradient: the weight's always, the
/// input's unless the input is data (the first layer of a network reading its batch). So a layer costs 6 m n k per
/// step, except the first layer of the MLP and the ViT's patch projection, which cost 4 m n k. With that reading the
/// counts are 22.753 GFLOP (GPT), 0.4108 (MLP) and 8.559 (ViT); counting the data's gradient too would give 0.5135 and
/// 8.572 for the MLP and the ViT. Embedding lookups, norms, activations and the softmax are not counted.
/// </summary>
public sealed class MatMulFlops
{
    /// <summary>FLOPs of the forward products.</summary>
    public double Forward { get; private set; }

    /// <summary>FLOPs of the backward products.</summary>
    public double Backward { get; private set; }

    /// <summary>Forward plus backward: the step's matrix-multiply FLOPs.</summary>
    public double PerStep => Forward + Backward;

    /// <summary>
    /// Adds <paramref name="batch"/> products [m, k] x [k, n]; <paramref name="gradients"/> is how many of the two
    /// operands need a gradient (2 for attention's products and layers inside the network, 1 for a layer on data).
    /// </summary>
    public MatMulFlops Add(long batch, long m, long n, long k, int gradients = 2)
    {
        if (batch < 1 || m < 1 || n < 1 || k < 1)
            throw new ArgumentException($"MatMulFlops.Add: expected positive batch and sizes, got batch {batch}, m {m}, n {n}, k {k}");
        if (gradients is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(gradients), gradients, "MatMulFlops.Add: gradients counts operands, 0, 1 or 2");
        double f = 2.0 * batch * m * n * k;
        Forward += f;
        Backward += gradients * f;
        return this;
    }

    /// <summary>A Linear(i, o) layer on <paramref name="rows"/> rows: [rows, i] x [i, o].</summary>
    public MatMulFlops Linear(long rows, long inFeatures, long outFeatures, bool onData = false) =>
        Add(1, rows, outFeatures, inFeatures, onData ? 1 : 2);

    /// <summary>
    /// One transformer block of width <paramref name="d"/>, <paramref name="heads"/> heads and MLP width
    /// <paramref name="mlp"/> on [batch, tokens, d]: qkv, q k^T, att v, the projection, FC1 and FC2. A causal mask
    /// does not change the count (the products are computed in full).
    /// </summary>
    public MatMulFlops Block(long batch, long tokens, long d, long heads, long mlp)
    {
        long rows = batch * tokens, hd = d / heads;
        Linear(rows, d, 3 * d);                          // qkv
        Add(batch * heads, tokens, tokens, hd);          // q k^T: [T, hd] x [hd, T] per head
        Add(batch * heads, tokens, hd, tokens);          // att v: [T, T] x [T, hd] per head
        Linear(rows, d, d);                              // Proj
        Linear(rows, d, mlp);                            // FC1
        return Linear(rows, mlp, d);                     // FC2
    }
}
