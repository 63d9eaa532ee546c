// A lookup table of vectors, PyTorch's nn.Embedding.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Rows of <c>weight</c> [count, dim] picked by Int32 indices of any shape: output shape is the index shape plus
/// [dim]. Initialised N(0, 1) like PyTorch's <c>nn.Embedding</c> (GPT-style models re-initialise to N(0, 0.02)).
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    public Embedding(int count, int dim, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Embedding: count must be positive");
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "Embedding: dim must be positive");
        Count = count;
        Dim = dim;
        Weight = AddParameter("weight", Tensor.Randn([count, dim], generator, dtype, device));
    }

    public int Count { get; }
    public int Dim { get; }
    public Tensor Weight { get; }   // [count, dim]

    public override Tensor Forward(Tensor indices)
    {
        if (!indices.DType.IsIndex())
            throw new ArgumentException($"Embedding: expected Int32 or Int64 indices, got {indices.DType}", nameof(indices));
        var shape = indices.Shape;
        var rows = Weight.IndexSelect(0, indices.Reshape(-1));           // [n, dim]
        return rows.Reshape([.. shape, Dim]);                             // [..., dim]
    }
}
