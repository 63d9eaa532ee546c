// The activation modules and Activations.Apply against the tensor ops and hand values.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class ActivationTests
{
    [Test]
    public void Apply_EachKind_MatchesItsTensorOp()
    {
        using var x = Tensor.Linspace(-4, 4, 33, DType.Float64);
        Check.Close(Activations.Apply(Activation.Gelu, x), [33], Check.Values(x.Gelu()), atol: 0);
        Check.Close(Activations.Apply(Activation.GeluTanh, x), [33], Check.Values(x.Gelu("tanh")), atol: 0);
        Check.Close(Activations.Apply(Activation.Relu, x), [33], Check.Values(x.Relu()), atol: 0);
        Check.Close(Activations.Apply(Activation.Silu, x), [33], Check.Values(x.Silu()), atol: 0);
        Check.Close(Activations.Apply(Activation.ScaledGelu, x), [33], Check.Values(x.Gelu()).Select(v => v / 1.1289).ToArray(), atol: 1e-15);
    }

    [Test]
    public void Modules_HandValues()
    {
        // gelu(1) = 0.8413447460685429 exact, 0.8411919906082768 tanh; silu(1) = 0.7310585786300049.
        using var x = Check.D(-1, 0, 1);
        Check.Close(new ReLU().Call(x), [3], [0, 0, 1], atol: 0);
        Check.Close(new Gelu().Call(x), [3], [-0.15865525393145707, 0, 0.8413447460685429], atol: 1e-15);
        Check.Close(new Gelu("tanh").Call(x)[2..], [1], [0.8411919906082768], atol: 1e-15);
        Check.Close(new ScaledGelu().Call(x)[2..], [1], [0.8413447460685429 / 1.1289], atol: 1e-15);
        Check.Close(new Silu().Call(x)[2..], [1], [0.7310585786300049], atol: 1e-15);
    }

    [Test]
    public void ScaledGelu_PeakSlopeIsOne()
    {
        using var x = Tensor.Linspace(-6, 6, 2001, DType.Float64).RequireGrad();
        Activations.Apply(Activation.ScaledGelu, x).Sum().Backward();
        // GELU's peak slope is 1.128998 (at x = 1.4142), so dividing by the rounded 1.1289 leaves a peak of 1.000003.
        Assert.That(Check.Values(x.Grad!).Max(), Is.EqualTo(1.0).Within(1e-5));
    }

    [Test]
    public void Create_GivesTheModuleForEachKind()
    {
        Assert.That(Activations.Create(Activation.Relu), Is.TypeOf<ReLU>());
        Assert.That(((Gelu)Activations.Create(Activation.GeluTanh)).Approximate, Is.EqualTo("tanh"));
        Assert.That(((Gelu)Activations.Create(Activation.Gelu)).Approximate, Is.EqualTo("none"));
        Assert.That(Activations.Create(Activation.ScaledGelu), Is.TypeOf<ScaledGelu>());
        Assert.That(Activations.Create(Activation.Silu), Is.TypeOf<Silu>());
    }

    [Test]
    public void Gelu_BadApproximate_NamesTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => new Gelu("fast"));
        Assert.That(e!.Message, Does.Contain("approximate").And.Contain("fast"));
    }
}
