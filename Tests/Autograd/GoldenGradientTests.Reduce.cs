// Reductions: sum, amax/amin (ties split), max/min along a dim (selected index), mean, var/std, logsumexp, norm.
using DotGrad;

namespace DotGrad.Tests.Autograd;

public partial class GoldenGradientTests
{
    [Test]
    public void Sum_OverADim_BroadcastsTheGradientBack()
    {
        // y_i = sum_j x_ij, so dx_ij = dy_i: with dy = [1, 2] each row gets its own value.
        var x = Leaf([1, 2, 3, 4, 5, 6], 2, 3);
        x.Sum(1).Backward(T([1, 2], 2));
        AssertClose(x.Grad, [1, 1, 1, 2, 2, 2]);
    }

    [Test]
    public void Amax_WithTies_SplitsTheGradientEvenly()
    {
        // amax([1, 3, 3, 2]) = 3 is reached twice, so each maximum gets half: [0, 1/2, 1/2, 0]; amin likewise.
        var x = Leaf(1, 3, 3, 2);
        x.Amax().Backward();
        AssertClose(x.Grad, [0, 0.5, 0.5, 0]);
        var z = Leaf(1, 3, 1, 2);
        z.Min().Backward();
        AssertClose(z.Grad, [0.5, 0, 0.5, 0]);
    }

    [Test]
    public void MaxAlongADim_WithTies_SendsTheGradientToTheSelectedIndexOnly()
    {
        // max(dim 0) of [1, 3, 3, 2] selects the first maximum, index 1, which alone gets the gradient.
        var x = Leaf(1, 3, 3, 2);
        var (values, indices) = x.Max(0);
        Assert.That(indices.Item<long>(), Is.EqualTo(1));
        values.Backward();
        AssertClose(x.Grad, [0, 1, 0, 0]);
    }

    [Test]
    public void MeanAndVar_FollowTheirClosedForms()
    {
        // mean: 1/n each. var (unbiased) of [1, 2, 3, 4]: mean 2.5, d/dx = 2 (x - 2.5) / 3 = [-1, -1/3, 1/3, 1].
        var x = Leaf(1, 2, 3, 4);
        x.Mean().Backward();
        AssertClose(x.Grad, [0.25, 0.25, 0.25, 0.25]);
        var v = Leaf(1, 2, 3, 4);
        v.Var().Backward();
        AssertClose(v.Grad, [-1, -1.0 / 3, 1.0 / 3, 1]);
    }

    [Test]
    public void LogSumExp_HasTheSoftmaxAsGradient()
    {
        // logsumexp([0, ln 3]) = ln 4; d/dx = exp(x) / 4 = [1/4, 3/4].
        var x = Leaf(0, Math.Log(3));
        x.LogSumExp(0).Backward();
        AssertClose(x.Grad, [0.25, 0.75]);
    }

    [Test]
    public void Norm2_IsXOverTheNorm_AndZeroAtTheZeroVector()
    {
        // ||[3, 4]|| = 5, d/dx = x / 5. At the zero vector PyTorch gives 0 (a subgradient), not NaN.
        var x = Leaf(3, 4);
        x.Norm().Backward();
        AssertClose(x.Grad, [0.6, 0.8]);
        var z = Leaf(0, 0, 0);
        z.Norm().Backward();
        AssertClose(z.Grad, [0, 0, 0]);
        var r = Leaf([0, 0, 3, 4], 2, 2);
        r.Norm(2, [1]).Sum().Backward();
        AssertClose(r.Grad, [0, 0, 0.6, 0.8]);
    }

    [Test]
    public void Reductions_MatchCentralDifferences()
    {
        var x = Randn(1, 3, 4);
        CheckGrad(a => a[0].Sum(), x);
        CheckGrad(a => a[0].Sum([0], keepDim: true), x);
        CheckGrad(a => a[0].Sum(-1), x);
        CheckGrad(a => a[0].Amax([1]), x);
        CheckGrad(a => a[0].Amin([0], keepDim: true), x);
        CheckGrad(a => a[0].Max(), x);
        CheckGrad(a => a[0].Max(1).Values, x);
        CheckGrad(a => a[0].Min(0, keepDim: true).Values, x);
        CheckGrad(a => a[0].Mean(), x);
        CheckGrad(a => a[0].Mean(1, keepDim: true), x);
        CheckGrad(a => a[0].Var(), x);
        CheckGrad(a => a[0].Var(1, correction: 0), x);
        CheckGrad(a => a[0].Std(0), x);
        CheckGrad(a => a[0].Std([0, 1], keepDim: true), x);
        CheckGrad(a => a[0].LogSumExp(), x);
        CheckGrad(a => a[0].LogSumExp(0, keepDim: true), x);
        foreach (var p in new[] { 2, 1, 3, 0.5, double.PositiveInfinity, double.NegativeInfinity })
        {
            CheckGrad(a => a[0].Norm(p), x);
            CheckGrad(a => a[0].Norm(p, [1], keepDim: true), x);
        }
    }

    [Test]
    public void Reductions_OnAScalarAndOnANonContiguousInput_MatchCentralDifferences()
    {
        var s = Randn(2);
        CheckGrad(a => a[0].Sum(), s);
        CheckGrad(a => a[0].Max(0).Values, s);
        CheckGrad(a => a[0].LogSumExp(), s);
        var x = Randn(3, 2, 4, 3);
        CheckGrad(a => a[0].MT.Var(1), x);
        CheckGrad(a => a[0].MT.Amax([0, 2]), x);
        CheckGrad(a => a[0].MT.Norm(2, [2]), x);
    }

    [Test]
    public void VarStdNormAndLogSumExp_MatchSecondOrderCentralDifferences()
    {
        var x = Randn(4, 3, 4);
        CheckGradGrad(a => a[0].Var(1), x);
        CheckGradGrad(a => a[0].Var([0, 1], keepDim: true), x);
        CheckGradGrad(a => a[0].Std(0), x);
        CheckGradGrad(a => a[0].Norm(2, [1]), x);
        CheckGradGrad(a => a[0].Norm(3, [0]), x);
        CheckGradGrad(a => a[0].LogSumExp(1), x);
        CheckGradGrad(a => a[0].LogSumExp([0, 1]), x);
    }
}
