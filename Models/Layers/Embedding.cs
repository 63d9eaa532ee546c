// A lookup table of vectors, PyTorch's nn.Embedding.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Rows of <c>weight</c> [count, dim] picked by integer indices of any shape (<see cref="Functional.Embedding"/>):
/// output shape is the index shape plus [dim]. Initialised N(0, 1) like PyTorch's <c>nn.Embedding</c> (GPT-style
/// models re-initialise to N(0, 0.02)). With <c>paddingIdx</c>, as in PyTorch, that row starts at zero and gets no
/// gradient from the lookups, so it stays zero unless written.
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    public Embedding(int count, int dim, Generator? generator = null, DType dtype = DType.Float32, Device? device = null, int? paddingIdx = null)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Embedding: count must be positive");
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "Embedding: dim must be positive");
        Count = count;
        Dim = dim;
        PaddingIdx = paddingIdx is int p ? Functional.NormalizePaddingIdx("Embedding", p, count) : null;
        Weight = AddParameter("weight", Tensor.Randn([count, dim], generator, dtype, device));
        if (PaddingIdx is int pad)
            using (Autograd.NoGrad())
            using (var zeros = Tensor.Zeros([dim], dtype, Weight.Device))
                Weight[pad] = zeros;
    }

    public int Count { get; }
    public int Dim { get; }
    /// <summary>The padding row in [0, count) (a negative paddingIdx counts from the end), or null.</summary>
    public int? PaddingIdx { get; }
    public Tensor Weight { get; }   // [count, dim]

    public override Tensor Forward(Tensor indices) => Functional.Embedding(indices, Weight, PaddingIdx);
}
