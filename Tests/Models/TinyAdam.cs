// Adam written with tensor ops, for the model tests' overfitting runs until the optimizer library exists.
using DotGrad;

namespace DotGrad.Tests.Models;

/// <summary>Adam (Kingma and Ba), bias-corrected, updating the parameters in place under NoGrad.</summary>
internal sealed class TinyAdam : IDisposable
{
    private readonly Tensor[] _params, _m, _v;
    private readonly double _lr, _beta1, _beta2, _eps;
    private int _t;

    public TinyAdam(IEnumerable<Tensor> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToArray();
        _m = _params.Select(p => Tensor.ZerosLike(p).DetachFromDisposeScope()).ToArray();
        _v = _params.Select(p => Tensor.ZerosLike(p).DetachFromDisposeScope()).ToArray();
        (_lr, _beta1, _beta2, _eps) = (lr, beta1, beta2, eps);
    }

    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>One update from the parameters' current gradients (parameters without one are left alone).</summary>
    public void Step()
    {
        _t++;
        double c1 = 1 - Math.Pow(_beta1, _t), c2 = 1 - Math.Pow(_beta2, _t);
        using var _ = global::DotGrad.Autodiff.Autograd.NoGrad();
        using var scope = Tensor.NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            if (_params[i].Grad is not { } g) continue;
            _m[i][TensorIndex.Ellipsis] = _m[i] * _beta1 + g * (1 - _beta1);           // m = b1 m + (1 - b1) g
            _v[i][TensorIndex.Ellipsis] = _v[i] * _beta2 + g.Square() * (1 - _beta2);  // v = b2 v + (1 - b2) g^2
            var update = _m[i] / c1 / ((_v[i] / c2).Sqrt() + _eps);                    // m^ / (sqrt(v^) + eps)
            _params[i].Detach()[TensorIndex.Ellipsis] = _params[i] - update * _lr;
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
