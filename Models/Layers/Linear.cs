// y = x W^T + b, PyTorch's nn.Linear.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// <c>y = x @ weight.T + bias</c> over the last dim, as PyTorch's <c>nn.Linear</c>: weight is [out, in] and,
/// like PyTorch, both weight and bias start uniform on ±1/sqrt(in) (kaiming_uniform with a = sqrt(5)). Models
/// re-initialise with the initialisers in Init where their papers say so.
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "Linear: inFeatures must be positive");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "Linear: outFeatures must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = AddParameter("weight", Tensor.Uniform([outFeatures, inFeatures], -bound, bound, generator, dtype, device));
        if (bias) Bias = AddParameter("bias", Tensor.Uniform([outFeatures], -bound, bound, generator, dtype, device));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }   // [out, in]
    public Tensor? Bias { get; }    // [out]

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Size(-1) != InFeatures)
            throw new ArgumentException($"Linear: expected input with last dim InFeatures = {InFeatures}, got shape {Format(x.Shape)}", nameof(x));
        return Functional.Linear(x, Weight, Bias);   // [..., in] @ [in, out] + [out] -> [..., out], one fused node
    }
}
