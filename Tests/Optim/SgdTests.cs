// SGD's update by hand: plain, momentum, Nesterov, dampening, coupled decay and BFloat16 momentum.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;
using static DotGrad.Tests.Optim.OptimKit;

namespace DotGrad.Tests.Optim;

public class SgdTests
{
    [Test]
    public void Momentum_FirstStepStartsTheBufferAtTheGradient_SecondAddsMuTimesIt()
    {
        using var p = Param(1.0, -2.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 0.1, Momentum = 0.9 });
        // t=1: b = g = [0.5, 0.25]; p = [1 - 0.1*0.5, -2 - 0.1*0.25] = [0.95, -2.025]
        Grad(p, 0.5, 0.25);
        sgd.Step();
        AssertClose(p, [0.95, -2.025]);
        AssertClose(sgd.State(p)["momentum_buffer"], [0.5, 0.25]);
        // t=2, g = [0.5, 0.25] again: b = 0.9*[0.5, 0.25] + g = [0.95, 0.475]; p = [0.95 - 0.095, -2.025 - 0.0475] = [0.855, -2.0725]
        sgd.Step();
        AssertClose(p, [0.855, -2.0725]);
        AssertClose(sgd.State(p)["momentum_buffer"], [0.95, 0.475]);
    }

    [Test]
    public void Nesterov_StepsAlongGradientPlusMuTimesBuffer()
    {
        using var p = Param(1.0, -2.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 0.1, Momentum = 0.9, Nesterov = true });
        // t=1: b = g = [0.5, 0.25]; d = g + 0.9 b = [0.95, 0.475]; p = [1 - 0.095, -2 - 0.0475] = [0.905, -2.0475]
        Grad(p, 0.5, 0.25);
        sgd.Step();
        AssertClose(p, [0.905, -2.0475]);
        // t=2: b = 0.9*[0.5, 0.25] + g = [0.95, 0.475]; d = g + 0.9 b = [1.355, 0.6775]; p = [0.905 - 0.1355, -2.0475 - 0.06775] = [0.7695, -2.11525]
        sgd.Step();
        AssertClose(p, [0.7695, -2.11525]);
    }

    [Test]
    public void Dampening_ScalesTheNewGradientAfterTheFirstStep()
    {
        using var p = Param(1.0, -2.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = 0.5 });
        Grad(p, 0.5, 0.25);
        sgd.Step();                 // t=1: b = g (undamped, as PyTorch) = [0.5, 0.25]; p = [0.95, -2.025]
        AssertClose(sgd.State(p)["momentum_buffer"], [0.5, 0.25]);
        sgd.Step();                 // t=2: b = 0.9*[0.5, 0.25] + 0.5*[0.5, 0.25] = [0.7, 0.35]; p = [0.95 - 0.07, -2.025 - 0.035]
        AssertClose(sgd.State(p)["momentum_buffer"], [0.7, 0.35]);
        AssertClose(p, [0.88, -2.06]);
    }

    [Test]
    public void CoupledDecay_AddsWdTimesPToTheGradient()
    {
        using var p = Param(1.0, -2.0);
        using var sgd = new Sgd([p], new SgdOptions { Lr = 0.1, WeightDecay = 0.1 });
        // g' = g + 0.1 p = [0.5 + 0.1, 0.25 - 0.2] = [0.6, 0.05]; p = [1 - 0.06, -2 - 0.005] = [0.94, -2.005]
        Grad(p, 0.5, 0.25);
        sgd.Step();
        AssertClose(p, [0.94, -2.005]);
        // g' = [0.5 + 0.094, 0.25 - 0.2005] = [0.594, 0.0495]; p = [0.94 - 0.0594, -2.005 - 0.00495] = [0.8806, -2.00995]
        sgd.Step();
        AssertClose(p, [0.8806, -2.00995]);
        Assert.That(sgd.StateBytes(), Is.Zero, "no momentum, no state");
    }

    [Test]
    public void BFloat16Momentum_StoresTheBufferRounded_ButStepsWithTheUnroundedValue()
    {
        var p = Tensor.FromArray(new float[] { 1f, -2f }).DetachFromDisposeScope().RequireGrad();
        using var sgd = new Sgd([p], new SgdOptions { Lr = 0.5, Momentum = 0.9, MomentumDType = DType.BFloat16 });
        Assert.That(sgd.State(p)["momentum_buffer"].DType, Is.EqualTo(DType.BFloat16));
        Assert.That(sgd.StateBytes(), Is.EqualTo(2 * 2), "two BFloat16 values");
        // 0.3 is not a BFloat16: it rounds to 0.30078125 (0x3E9A). The step uses 0.3f itself: p = 1 - 0.5*0.3 = 0.85.
        Grad(p, 0.3, 0.25);
        sgd.Step();
        Assert.That(Values(sgd.State(p)["momentum_buffer"]), Is.EqualTo(new[] { 0.30078125, 0.25 }));
        Assert.That(Values(p)[0], Is.EqualTo(1f - 0.5f * 0.3f));
        // t=2: b = 0.9 * 0.30078125 + 0.3 (the stored, rounded buffer feeds the next step) = 0.570703125 in float.
        sgd.Step();
        float b2 = 0.30078125f * 0.9f + 0.3f;
        Assert.That(Values(p)[0], Is.EqualTo((double)((1f - 0.5f * 0.3f) - b2 * 0.5f)).Within(1e-7));
        p.Dispose();
    }

    [Test]
    public void Nesterov_WithoutMomentum_IsRejected()
    {
        using var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Sgd([p], new SgdOptions { Nesterov = true }));
        Assert.That(e!.Message, Does.Contain("Sgd").And.Contain("Nesterov"));
    }
}
