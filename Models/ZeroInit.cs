// In-place fills for the parameters the vision models start at a constant (zero heads, the gMLP gate bias).
namespace DotGrad.Models;

internal static class ZeroInit
{
    /// <summary>Sets every element of a parameter to <paramref name="value"/> in place, without recording it.</summary>
    public static void Fill(Tensor parameter, double value)
    {
        using var _ = Autograd.NoGrad();
        using var target = parameter.Detach();
        using var v = Tensor.Scalar(value, parameter.DType, parameter.Device);
        target[TensorIndex.Ellipsis] = v;
    }

    /// <summary>A zero-initialised classifier (big_vision's <c>kernel_init=zeros</c>): weight and bias 0, so the first logits are all 0.</summary>
    public static void Linear(Linear layer)
    {
        Fill(layer.Weight, 0);
        if (layer.Bias is { } b) Fill(b, 0);
    }
}
