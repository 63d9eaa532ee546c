// Softmax and log-softmax: the Jacobian-vector products y (dY - sum(dY y)) and dY - softmax sum(dY).
using DotGrad;

namespace DotGrad.Tests.Autograd;

public partial class GoldenGradientTests
{
    [Test]
    public void Softmax_GoldenGradient()
    {
        // softmax([0, ln 3]) = [1/4, 3/4]. With dY = [1, 0]: sum(dY y) = 1/4, so
        // dX = y (dY - 1/4) = [1/4 * 3/4, 3/4 * -1/4] = [3/16, -3/16].
        var x = Leaf(0, Math.Log(3));
        x.Softmax(0).Backward(T([1, 0], 2));
        AssertClose(x.Grad, [3.0 / 16, -3.0 / 16]);
    }

    [Test]
    public void LogSoftmax_GoldenGradient()
    {
        // log_softmax([0, ln 3]); with dY = [1, 0]: dX = dY - softmax(x) sum(dY) = [1 - 1/4, -3/4].
        var x = Leaf(0, Math.Log(3));
        x.LogSoftmax(0).Backward(T([1, 0], 2));
        AssertClose(x.Grad, [0.75, -0.75]);
    }

    [Test]
    public void SoftmaxAndLogSoftmax_MatchFirstAndSecondOrderCentralDifferences()
    {
        var x = Randn(5, 3, 4);
        foreach (var dim in new[] { 0, 1, -1 })
        {
            CheckGrad(a => a[0].Softmax(dim), x);
            CheckGrad(a => a[0].LogSoftmax(dim), x);
            CheckGradGrad(a => a[0].Softmax(dim), x);
            CheckGradGrad(a => a[0].LogSoftmax(dim), x);
        }
        CheckGrad(a => a[0].MT.Softmax(1), x);
        CheckGrad(a => a[0].Softmax(0), Randn(6));
    }
}
