// A one-block causal transformer written with the functional ops, shared by the tests that need a real model
// (memory flatness over training steps, Cpu/OpenCL parity) before the Models layer exists.
using DotGrad;
using DotGrad.Backends;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests;

/// <summary>A one-block causal transformer on a next-token task; every parameter is a leaf created outside any step's scope.</summary>
internal sealed class TinyTransformer : IDisposable
{
    public const int V = 12, T = 8, B = 4, C = 16;
    public readonly Tensor[] Parameters;
    private readonly Tensor _wte, _wpe, _ln1w, _ln1b, _wq, _wk, _wv, _wo, _ln2w, _ln2b, _w1, _b1, _w2, _lnfw, _lnfb, _head;

    public TinyTransformer(Device device, Generator g)
    {
        // Built in a scope of its own: the scaled random draws are temporaries, the parameters are detached from it.
        using var scope = Tensor.NewDisposeScope();
        Tensor P(int[] shape, double std) =>
            (Tensor.Randn(shape, g, DType.Float32, device) * std).DetachFromDisposeScope().RequireGrad();
        Tensor Const(int n, double value) => Tensor.Full([n], value, DType.Float32, device).DetachFromDisposeScope().RequireGrad();
        _wte = P([V, C], 0.5);
        _wpe = P([T, C], 0.1);
        _ln1w = Const(C, 1);
        _ln1b = Const(C, 0);
        _wq = P([C, C], 0.25);
        _wk = P([C, C], 0.25);
        _wv = P([C, C], 0.25);
        _wo = P([C, C], 0.25);
        _ln2w = Const(C, 1);
        _ln2b = Const(C, 0);
        _w1 = P([C, 4 * C], 0.25);
        _b1 = Const(4 * C, 0);
        _w2 = P([4 * C, C], 0.125);
        _lnfw = Const(C, 1);
        _lnfb = Const(C, 0);
        _head = P([C, V], 0.25);
        Parameters = [_wte, _wpe, _ln1w, _ln1b, _wq, _wk, _wv, _wo, _ln2w, _ln2b, _w1, _b1, _w2, _lnfw, _lnfb, _head];
    }

    public Tensor Loss(Tensor tokens, Tensor targets)
    {
        var x = _wte.IndexSelect(0, tokens.Reshape(-1)).Reshape(B, T, C) + _wpe;  // [B, T, C]
        var h = F.LayerNorm(x, _ln1w, _ln1b);
        var a = F.ScaledDotProductAttention(h.MatMul(_wq), h.MatMul(_wk), h.MatMul(_wv), causal: true); // [B, T, C]
        x = x + a.MatMul(_wo);
        var m = (F.LayerNorm(x, _ln2w, _ln2b).MatMul(_w1) + _b1).Gelu().MatMul(_w2); // [B, T, 4C] -> [B, T, C]
        x = x + m;
        var logits = F.LayerNorm(x, _lnfw, _lnfb).MatMul(_head);                  // [B, T, V]
        return F.CrossEntropy(logits.Reshape(B * T, V), targets.Reshape(-1));
    }

    public void Dispose()
    {
        foreach (var p in Parameters)
        {
            p.ZeroGrad();
            p.Dispose();
        }
    }
}
