// Movement: cat / stack / split hand each input its slice of dY; pad crops it back; repeat sums the copies.
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Autograd;

public partial class GoldenGradientTests
{
    [Test]
    public void Cat_HandsEachInputItsSliceOfTheGradient()
    {
        // cat([a(2), b(3)]) with dY = [1, 2, 3, 4, 5]: da = [1, 2], db = [3, 4, 5].
        var a = Leaf(0, 0);
        var b = Leaf(0, 0, 0);
        Tensor.Cat([a, b]).Backward(T([1, 2, 3, 4, 5], 5));
        AssertClose(a.Grad, [1, 2]);
        AssertClose(b.Grad, [3, 4, 5]);
        // Cat promotes Float32 with Float64; the Float32 input's gradient is cast back to Float32.
        var f = Tensor.FromArray(new float[] { 0, 0 }, [2], _device).RequireGrad();
        var d = Leaf(0);
        Tensor.Cat([f, d]).Backward(T([1, 2, 3], 3));
        Assert.That(f.Grad!.DType, Is.EqualTo(DType.Float32));
        Assert.That(f.Grad.ToArray<float>(), Is.EqualTo(new float[] { 1, 2 }));
        AssertClose(d.Grad, [3]);
    }

    [Test]
    public void Pad_CropsTheGradient_AndNegativePadsGiveZeros()
    {
        // pad(x[3], (1, 2)) = [0, x0, x1, x2, 0, 0]: dX = dY[1..4] = [2, 3, 4].
        var x = Leaf(1, 2, 3);
        x.Pad([1, 2]).Backward(T([1, 2, 3, 4, 5, 6], 6));
        AssertClose(x.Grad, [2, 3, 4]);
        // pad(z[3], (-1, 1)) = [z1, z2, 0]: z0 is cropped away, so dZ = [0, dY0, dY1] = [0, 7, 8].
        var z = Leaf(1, 2, 3);
        z.Pad([-1, 1]).Backward(T([7, 8, 9], 3));
        AssertClose(z.Grad, [0, 7, 8]);
    }

    [Test]
    public void Repeat_SumsTheGradientOverTheCopies()
    {
        // repeat(x[2], 3) = [x0, x1, x0, x1, x0, x1]: each x_i receives dY at its three copies, [1+3+5, 2+4+6].
        var x = Leaf(1, 2);
        x.Repeat(3).Backward(T([1, 2, 3, 4, 5, 6], 6));
        AssertClose(x.Grad, [9, 12]);
    }

    [Test]
    public void Tril_PassesTheGradientInsideTheTriangleOnly()
    {
        var x = Leaf([1, 2, 3, 4], 2, 2);
        x.Tril().Sum().Backward();
        AssertClose(x.Grad, [1, 0, 1, 1]);
    }

    [Test]
    public void MovementOps_MatchCentralDifferences()
    {
        var x = Randn(60, 2, 3);
        var y = Randn(61, 2, 2);
        CheckGrad(a => Tensor.Cat([a[0], a[1]], 1), x, y);
        CheckGrad(a => Tensor.Cat([a[0].MT, a[1]], 0), x, Randn(62, 1, 2));
        CheckGrad(a => Tensor.Cat([a[0], a[0]], -1), x);
        CheckGrad(a => Tensor.Stack([a[0], a[1]], 1), x, Randn(63, 2, 3));
        CheckGrad(a => Tensor.Stack([a[0], a[1].MT], 0), y, Randn(64, 2, 2));
        CheckGrad(a => a[0].Pad([1, 2]), x);
        CheckGrad(a => a[0].Pad([1, 0, 0, 2], 5), x);
        CheckGrad(a => a[0].Pad([-1, 1, 1, -1]), x);
        CheckGrad(a => a[0].Pad([-3, 1]), x);
        CheckGrad(a => a[0].Repeat(2, 1), x);
        CheckGrad(a => a[0].Repeat(2, 1, 3), x);
        CheckGrad(a => a[0].MT.Repeat(1, 2), x);
        CheckGrad(a => a[0].Tril(), x);
        CheckGrad(a => a[0].Triu(1), Randn(65, 2, 3, 3));
        CheckGrad(a => Tensor.Cat(a[0].Split(2, 1).Select((p, i) => p * (i + 1.0)).ToArray(), 1), Randn(66, 2, 5));
        CheckGrad(a => Tensor.Cat(a[0].Chunk(3, 0).Reverse().ToArray(), 0), Randn(67, 5, 2));
        CheckGradGrad(a => Tensor.Cat([a[0].Square(), a[1]], 1).Pad([1, -1]).Repeat(2, 1).Square(), x, y);
    }
}
