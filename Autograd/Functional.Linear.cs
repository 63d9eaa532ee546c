// F.linear: the product of a linear layer, as one fused graph node.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Functional
{
    /// <summary>
    /// <c>y = x W^T + b</c> over the last dim, as PyTorch's <c>F.linear(input, weight, bias)</c>: x [..., in],
    /// weight [out, in], bias [out] or null; y [..., out]. One graph node (<see cref="Functions.LinearFused"/>) whose
    /// forward is one matrix product that adds the bias in the same pass; <see cref="LinearComposite"/> is the same
    /// function from matmul and add, its oracle.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        const string op = "linear";
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        CheckFloat(op, "input", x);
        CheckSameDType(op, x, "input", weight, "weight");
        if (bias is not null) CheckSameDType(op, x, "input", bias, "bias");
        return Functions.LinearFused.Apply(x, weight, bias);
    }

    /// <summary><c>x.MatMul(weight.MT) + bias</c>: <see cref="Linear"/> written with two ops, the oracle it is tested against.</summary>
    public static Tensor LinearComposite(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        var y = x.MatMul(weight.MT);   // [..., in] @ [in, out] -> [..., out]
        return bias is null ? y : y + bias;
    }
}
