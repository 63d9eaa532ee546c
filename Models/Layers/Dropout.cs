// Dropout with a seeded mask, PyTorch's nn.Dropout.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// In training mode, zeroes each element with probability <see cref="P"/> and scales the kept ones by 1 / (1 - p)
/// ("inverted" dropout, as PyTorch), so evaluation needs no rescaling; in evaluation mode, or with p = 0, it is the
/// identity and returns its input. p = 1 gives zeros, as in PyTorch. The mask is drawn from
/// <paramref name="generator"/> (<see cref="Generator.Default"/> when null): the same seed gives the same masks on
/// every device and for Float32 and Float64 inputs alike.
/// </summary>
public sealed class Dropout(double p = 0.5, Generator? generator = null) : Module<Tensor, Tensor>
{
    public double P { get; } = p is >= 0 and <= 1
        ? p
        : throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: the drop probability p must be in [0, 1]");

    /// <summary>The generator masks are drawn from (null: <see cref="Generator.Default"/>).</summary>
    public Generator? Generator { get; } = generator;

    public override Tensor Forward(Tensor x) => Apply(x, P, Generator, Training);

    /// <summary>
    /// Functional dropout (<c>torch.nn.functional.dropout</c>): <c>x * mask / (1 - p)</c> with mask ~ Bernoulli(1 - p)
    /// when <paramref name="training"/>, else <paramref name="x"/> itself.
    /// </summary>
    public static Tensor Apply(Tensor x, double p, Generator? generator = null, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (p is not (>= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: the drop probability p must be in [0, 1]");
        if (!training || p == 0) return x;
        if (!x.DType.IsComputable() || x.DType.IsInteger())
            throw new ArgumentException($"Dropout: expected a Float32 or Float64 input, got {x.DType}", nameof(x));
        // Uniforms are drawn in Float32 whatever x's dtype, so a seed gives one mask for both float types.
        using var u = Tensor.Rand(x.Shape, generator, DType.Float32, x.Device);
        using var keep = u.Ge(p);                                        // Bool, true with probability 1 - p
        using var mask = keep.To(x.DType);
        var scaled = mask * (p == 1 ? 0.0 : 1.0 / (1.0 - p));            // 0 or 1 / (1 - p); avoids 0 * inf at p = 1
        var y = x * scaled;
        if (y.GradFn is null) scaled.Dispose();                          // when recorded, the backward reads it
        return y;
    }
}
