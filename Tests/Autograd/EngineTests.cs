// The backward engine on small graphs whose gradients are derived by hand in the comments.
using DotGrad;
using DotGrad.Backends;

namespace DotGrad.Tests.Autograd;

public class EngineTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).RequireGrad();

    [Test]
    public void ProductRule_WithAReusedInput_AccumulatesBothPaths()
    {
        // y = x * x + exp(x); dy/dx = 2x + e^x. At x = [0, 1, 2]: [1, 2 + e, 4 + e^2].
        var x = Leaf(0, 1, 2);
        var y = x * x + x.Exp();
        y.Backward(Tensor.OnesLike(y));
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new[] { 1, 2 + Math.E, 4 + Math.E * Math.E }).Within(1e-12));
    }

    [Test]
    public void Broadcasting_SumsTheGradientBackToEachInputShape()
    {
        // y = a[3,1] * b[4] -> [3,4]; with dY = 1: da_i = sum_j b_j = 10, db_j = sum_i a_i = 6.
        var a = Tensor.FromArray(new double[,] { { 1 }, { 2 }, { 3 } }).RequireGrad();
        var b = Leaf(1, 2, 3, 4);
        var y = a * b;
        y.Backward(Tensor.OnesLike(y));
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 10, 10, 10 }));
        Assert.That(b.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 6, 6, 6, 6 }));
    }

    [Test]
    public void SecondBackward_ThroughAFreedGraph_NamesRetainGraph()
    {
        var x = Leaf(1, 2);
        var y = x.Exp();
        y.Backward(Tensor.OnesLike(y));
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.OnesLike(y)));
        Assert.That(ex!.Message, Does.Contain("retainGraph"));
    }

    [Test]
    public void CreateGraph_GivesDifferentiableGradients()
    {
        // y = x^3 (as x*x*x): dy/dx = 3x^2, d2y/dx2 = 6x. At x = 2: 12 and 12.
        var x = Leaf(2);
        var y = x * x * x;
        var g = global::DotGrad.Autodiff.Autograd.Grad(y, x, Tensor.OnesLike(y), createGraph: true);
        Assert.That(g.ToArray<double>()[0], Is.EqualTo(12).Within(1e-12));
        var h = global::DotGrad.Autodiff.Autograd.Grad(g, x, Tensor.OnesLike(g));
        Assert.That(h.ToArray<double>()[0], Is.EqualTo(12).Within(1e-12));
    }

    [Test]
    public void ALongChain_DoesNotOverflowTheStack()
    {
        // 100,000 additions of 1e-6: dy/dx = 1.
        var x = Leaf(1);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y + 1e-6;
        y.Backward(Tensor.OnesLike(y));
        Assert.That(x.Grad!.ToArray<double>()[0], Is.EqualTo(1.0));
    }

    [Test]
    public void IntegerTensors_CannotRequireGrad()
    {
        var t = Tensor.Zeros([2], DType.Int32);
        var ex = Assert.Throws<ArgumentException>(() => t.RequiresGrad = true);
        Assert.That(ex!.Message, Does.Contain("Int32"));
    }
}
