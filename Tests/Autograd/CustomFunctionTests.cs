// A differentiable op written outside the library, as a user writes one (PyTorch's torch.autograd.Function): a
// Function subclass whose forward runs unrecorded and whose Backward is tensor ops. Gradient checks pass for the
// right derivative, to second order, and catch a wrong one. (The tests see the library's internals, so they override
// Backward as protected internal; a program outside the library writes protected override.)
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Tests.Autograd;

public class CustomFunctionTests
{
    /// <summary>softplus(x) = log(1 + e^x); d/dx = sigmoid(x), or, when <c>wrong</c>, sigmoid(|x|) (right only for x &gt;= 0).</summary>
    private sealed class Softplus(bool wrong) : Function
    {
        public static Tensor Apply(Tensor x, bool wrong = false)
        {
            Tensor y;
            using (DotGrad.Autodiff.Autograd.NoGrad()) y = x.Relu() + (1 + (-x.Abs()).Exp()).Log(); // stable for large |x|
            return Record(y, () => new Softplus(wrong), x);
        }

        protected internal override Tensor?[] Backward(Tensor dOut) => [dOut * (wrong ? Inputs[0].Abs() : Inputs[0]).Sigmoid()];
    }

    private static Tensor X() => Tensor.Randn([3, 4], new Generator(5), DType.Float64).RequireGrad();

    [Test]
    public void ACustomFunction_IsOneNodeOfTheGraph_WithItsInputs()
    {
        var x = X();
        var y = Softplus.Apply(x);
        Assert.That(y.GradFn, Is.InstanceOf<Softplus>());
        Assert.That(y.GradFn!.Inputs, Is.EqualTo(new[] { x }));
        Assert.That(y.GradFn.Name, Is.EqualTo("Softplus"));
    }

    [Test]
    public void ItsGradient_PassesTheFirstAndSecondOrderChecks()
    {
        var x = X();
        Assert.That(GradCheck.Check(xs => Softplus.Apply(xs[0]), [x]).Passed, Is.True);
        var second = GradCheck.CheckSecondOrder(xs => Softplus.Apply(xs[0]), [x]);
        Assert.That(second.Passed, Is.True, second.Message);
    }

    [Test]
    public void AWrongDerivative_IsCaught_AtANegativeElement()
    {
        var x = X();
        var result = GradCheck.Check(xs => Softplus.Apply(xs[0], wrong: true), [x]);
        Assert.That(result.Passed, Is.False);
        double worst = x[result.WorstIndex.Select(i => (TensorIndex)i).ToArray()].Item();
        Assert.That(worst, Is.LessThan(0), "the wrong derivative differs only where x < 0");
    }

    [Test]
    public void WithoutGradients_NothingIsRecorded_AndTheNodeIsNeverMade()
    {
        var x = Tensor.Randn([2], new Generator(1), DType.Float64);            // does not require grad
        Assert.That(Softplus.Apply(x).GradFn, Is.Null);
        using (DotGrad.Autodiff.Autograd.NoGrad())
            Assert.That(Softplus.Apply(X()).GradFn, Is.Null);
    }

    private sealed class Recorded : Function
    {
        // The forward forgets NoGrad: its output already belongs to the graph.
        public static Tensor Apply(Tensor x) => Record(x.Exp(), () => new Recorded(), x);

        protected internal override Tensor?[] Backward(Tensor dOut) => [dOut];
    }

    [Test]
    public void AForwardThatWasRecorded_IsRefused_WithTheFix()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Recorded.Apply(X()));
        Assert.That(e!.Message, Does.Contain("Exp").And.Contain("Autograd.NoGrad()"));
    }
}
