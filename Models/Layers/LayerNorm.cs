// Normalisation over the last dim: PyTorch's nn.LayerNorm and an RMS norm.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// PyTorch's <c>nn.LayerNorm(dim)</c> over the last dim: biased variance, eps 1e-5 by default (flax uses 1e-6:
/// pass it), weight ones and bias zeros; a bias of false drops the bias (PyTorch's <c>bias=False</c>).
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    public LayerNorm(int dim, double eps = 1e-5, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "LayerNorm: dim must be positive");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "LayerNorm: eps must be positive");
        Dim = dim;
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Ones([dim], dtype, device));
        if (bias) Bias = AddParameter("bias", Tensor.Zeros([dim], dtype, device));
    }

    public int Dim { get; }
    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Size(-1) != Dim)
            throw new ArgumentException($"LayerNorm: expected input with last dim Dim = {Dim}, got shape {Format(x.Shape)}", nameof(x));
        return Functional.LayerNorm(x, Weight, Bias, Eps);
    }
}

/// <summary>
/// RMS norm over the last dim: <c>x * rsqrt(mean(x^2) + eps) * weight</c>, no mean subtraction and no bias.
/// eps defaults to 1e-6 (PyTorch's <c>nn.RMSNorm</c> defaults to the dtype's machine epsilon instead).
/// </summary>
public sealed class RmsNorm : Module<Tensor, Tensor>
{
    public RmsNorm(int dim, double eps = 1e-6, DType dtype = DType.Float32, Device? device = null)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "RmsNorm: dim must be positive");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "RmsNorm: eps must be positive");
        Dim = dim;
        Eps = eps;
        Weight = AddParameter("weight", Tensor.Ones([dim], dtype, device));
    }

    public int Dim { get; }
    public double Eps { get; }
    public Tensor Weight { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Size(-1) != Dim)
            throw new ArgumentException($"RmsNorm: expected input with last dim Dim = {Dim}, got shape {Format(x.Shape)}", nameof(x));
        return Functional.RmsNorm(x, Weight, Eps);
    }
}
