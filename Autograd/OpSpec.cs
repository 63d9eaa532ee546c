// One differentiable op as the gradient checks see it (OpSpec), and the sample inputs its sampler draws (OpSample),
// each with a memory layout, so that checks can run on any device with the same values and strides.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// One differentiable op: a name, its family, the op applied to sample inputs, a sampler of valid inputs, whether its
/// second derivative is defined and smooth where the sampler draws (so gradgradcheck applies), and the
/// <see cref="Function"/> classes it exercises (for the coverage check).
/// </summary>
public sealed record OpSpec(string Name, string Family, Func<Tensor[], Tensor> Apply, Func<Generator, OpSample> Sample,
                            bool TwiceDifferentiable, Type[] Functions)
{
    public override string ToString() => Name;
}

/// <summary>How a sample input is laid out in memory.</summary>
public enum SampleLayout
{
    /// <summary>Row-major, no gaps.</summary>
    Contiguous,

    /// <summary>All dims reversed in memory (a permuted view with reversed strides).</summary>
    Transposed,

    /// <summary>Every other element of a larger buffer, from element 1 on (doubled strides, non-zero offset).</summary>
    Strided,
}

/// <summary>
/// Inputs an op accepts: values (Float64 for the differentiable ones; Int32 indices and Bool masks as constants), each
/// with a memory layout. <see cref="Inputs"/> are on <see cref="Device.Cpu"/>; <see cref="On"/> builds fresh copies with
/// the same values and layouts on any device, the floating-point ones requiring grad.
/// </summary>
public sealed class OpSample
{
    private readonly (Tensor Values, SampleLayout Layout)[] _parts;

    /// <summary>A sample from contiguous values and the layout each input should have.</summary>
    public OpSample(IEnumerable<(Tensor Values, SampleLayout Layout)> parts, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(parts);
        _parts = parts.ToArray();
        Eps = eps;
        Inputs = _parts.Select(p => Materialize(p.Values, p.Layout, Device.Cpu)).ToArray();
    }

    /// <summary>The inputs on the CPU, laid out as sampled; they do not require grad.</summary>
    public Tensor[] Inputs { get; }

    /// <summary>The finite-difference step a gradient check should use (larger for ops that round through Float32).</summary>
    public double Eps { get; }

    /// <summary>The layout of each input.</summary>
    public IReadOnlyList<SampleLayout> Layouts => _parts.Select(p => p.Layout).ToArray();

    /// <summary>New leaf tensors on <paramref name="device"/> with the same values and layouts; floating ones require grad.</summary>
    public Tensor[] On(Device device, bool requireGrad = true) =>
        _parts.Select(p =>
        {
            var t = Materialize(p.Values, p.Layout, device);
            return requireGrad && t.DType.IsFloatingPoint() ? t.RequireGrad() : t;
        }).ToArray();

    private static Tensor Materialize(Tensor values, SampleLayout layout, Device device)
    {
        using var noGrad = Autograd.Pause();
        using var moved = values.To(device);
        if (layout == SampleLayout.Transposed && values.Rank >= 2)
        {
            // Storage holds the reversed shape; permuting back gives the logical shape with reversed strides.
            var reverse = Enumerable.Range(0, values.Rank).Reverse().ToArray();
            using var p = moved.Permute(reverse);
            using var c = p.Clone();
            return c.Permute(reverse);
        }
        if (layout == SampleLayout.Strided && values.Rank >= 1)
        {
            using var big = Tensor.Zeros(values.ShapeRef.Select(s => 2 * s + 1).ToArray(), values.DType, device);
            var v = big.Slice(0, 1, null, 2);
            for (int d = 1; d < values.Rank; d++)
            {
                var next = v.Slice(d, 1, null, 2);
                v.Dispose();
                v = next;
            }
            RawOps.CopyInto(v, moved, "OpSample");
            return v;
        }
        return moved.Clone();
    }

    public override string ToString() =>
        string.Join("; ", _parts.Select((p, i) => $"input {i}: {ShapeMath.Format(p.Values.ShapeRef)} {p.Values.DType} {p.Layout}"));
}
