// Dropout: identity in eval mode and at p = 0, seeded masks, inverted scaling, the kept fraction, p = 1, and a
// gradient check through a fixed mask.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class DropoutTests
{
    [Test]
    public void EvalMode_IsTheIdentity_AndReturnsTheInput()
    {
        using var x = Tensor.Randn([4, 5], new Generator(1));
        var drop = new Dropout(0.5, new Generator(2));
        drop.Eval();
        Assert.That(drop.Call(x), Is.SameAs(x));
        Assert.That(Dropout.Apply(x, 0.9, training: false), Is.SameAs(x));
    }

    [Test]
    public void PZero_IsTheIdentityInTrainingMode()
    {
        using var x = Tensor.Randn([4, 5], new Generator(1));
        var drop = new Dropout(0, new Generator(2));
        Assert.That(drop.Training, Is.True);
        Assert.That(drop.Call(x), Is.SameAs(x));
    }

    [Test]
    public void SameSeed_SameMask_DifferentSeedOrNextCall_AnotherMask()
    {
        using var x = Tensor.Ones([1000], DType.Float32);
        var a = new Dropout(0.3, new Generator(5)).Call(x).ToArray<float>();
        var b = new Dropout(0.3, new Generator(5)).Call(x).ToArray<float>();
        var c = new Dropout(0.3, new Generator(6)).Call(x).ToArray<float>();
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
        var drop = new Dropout(0.3, new Generator(5));
        drop.Call(x);
        Assert.That(drop.Call(x).ToArray<float>(), Is.Not.EqualTo(a), "each call draws a new mask");
    }

    [Test]
    public void KeptElements_AreScaledBy1OverOneMinusP_OthersAreZero()
    {
        using var x = Tensor.Randn([50, 40], new Generator(3), DType.Float64);
        var y = Check.Values(new Dropout(0.25, new Generator(4)).Call(x));
        var xs = Check.Values(x);
        int kept = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            if (y[i] == 0) continue;
            kept++;
            Assert.That(y[i], Is.EqualTo(xs[i] / 0.75).Within(1e-15 * Math.Abs(xs[i])), $"element {i}");
        }
        Assert.That(kept, Is.GreaterThan(0).And.LessThan(xs.Length));
    }

    [TestCase(0.1)]
    [TestCase(0.5)]
    [TestCase(0.9)]
    public void FractionKept_IsAbout1MinusP_AndTheMeanIsPreserved(double p)
    {
        const int n = 200_000;
        using var x = Tensor.Ones([n], DType.Float32);
        var y = Check.Values(new Dropout(p, new Generator(7)).Call(x));
        double kept = y.Count(v => v != 0) / (double)n;
        double sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.That(kept, Is.EqualTo(1 - p).Within(5 * sigma));
        Assert.That(y.Average(), Is.EqualTo(1).Within(5 * sigma / (1 - p)));
    }

    [Test]
    public void POne_GivesZeros_AsInPyTorch()
    {
        using var x = Tensor.Randn([100], new Generator(1));
        Assert.That(Check.Values(new Dropout(1, new Generator(2)).Call(x)), Is.All.EqualTo(0));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void POutsideZeroToOne_Throws_NamingP(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(p));
        Assert.That(e!.ParamName, Is.EqualTo("p"));
        Assert.That(e.Message, Does.Contain("[0, 1]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Apply(Tensor.Zeros(2), p));
    }

    [Test]
    public void Float32AndFloat64_GetTheSameMask_AndEveryDeviceToo()
    {
        using var x = Tensor.Randn([300], new Generator(1), DType.Float64);
        var m64 = Check.Values(new Dropout(0.5, new Generator(9)).Call(x)).Select(v => v != 0).ToArray();
        var m32 = Check.Values(new Dropout(0.5, new Generator(9)).Call(x.Float())).Select(v => v != 0).ToArray();
        using var xr = x.Float().To(Device.Reference);
        var mr = Check.Values(new Dropout(0.5, new Generator(9)).Call(xr)).Select(v => v != 0).ToArray();
        Assert.That(m32, Is.EqualTo(m64));
        Assert.That(mr, Is.EqualTo(m64));
    }

    [Test]
    public void GradCheck_ThroughAFixedMask()
    {
        var g = new Generator(11);
        var drop = new Dropout(0.4, g);
        var state = g.GetState();
        var x = Tensor.Randn([3, 7], new Generator(12), DType.Float64).RequireGrad();
        // Resetting the generator before each call makes every evaluation use the same mask.
        var result = GradCheck.Check(xs => { g.SetState(state); return drop.Call(xs[0]).Tanh(); }, [x]);
        Assert.That(result.Passed, Is.True, result.Message);

        g.SetState(state);
        drop.Call(x).Sum().Backward();
        g.SetState(state);
        using var ones = Tensor.OnesLike(x);
        var expected = Check.Values(Dropout.Apply(ones, 0.4, g));
        Assert.That(Check.Values(x.Grad!), Is.EqualTo(expected), "the gradient is the mask times 1 / (1 - p)");
    }

    [Test]
    public void IntegerInput_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dropout(0.5).Call(Tensor.Arange(0, 4)));
        Assert.That(e!.Message, Does.Contain("Int64"));
        var e32 = Assert.Throws<ArgumentException>(() => new Dropout(0.5).Call(Tensor.Arange(0, 4, 1, DType.Int32)));
        Assert.That(e32!.Message, Does.Contain("Int32"));
    }
}
