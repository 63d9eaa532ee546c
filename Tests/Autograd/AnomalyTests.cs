// Autograd.DetectAnomaly: the first op to turn finite values into a NaN or an infinity, in the forward or in the
// backward, raises with its name, its input shapes and the line that created it; outside the scope nothing is checked.
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class AnomalyTests
{
    [Test]
    public void AForwardThatProducesAnInfinity_IsNamed_WithItsInputShapesAndCallSite()
    {
        using var x = Tensor.FromArray(new double[] { 1, 0, 2 }, [3]).RequireGrad();
        using var anomaly = AG.DetectAnomaly();
        var e = Assert.Throws<AnomalyException>(() => x.Log());
        Assert.That(e!.Op, Is.EqualTo("Log"));
        Assert.That(e.Phase, Is.EqualTo("forward"));
        Assert.That(e.InputShapes.Single(), Is.EqualTo(new[] { 3 }));
        Assert.That(e.CreatedAt, Does.Contain(nameof(AForwardThatProducesAnInfinity_IsNamed_WithItsInputShapesAndCallSite)));
        Assert.That(e.Message, Does.Contain("Log produced a NaN or an infinity in the forward from finite inputs of shapes [3]"));
    }

    [Test]
    public void ABackwardThatProducesAnInfinity_IsNamed_WithWhereItsForwardRan()
    {
        using var x = Tensor.FromArray(new double[] { 4, 0 }, [2]).RequireGrad();
        using var anomaly = AG.DetectAnomaly();
        var y = x.Sqrt();                          // finite: [2, 0]
        var e = Assert.Throws<AnomalyException>(() => y.Sum().Backward());   // 1 / (2 sqrt 0) = inf
        Assert.That(e!.Op, Is.EqualTo("Sqrt"));
        Assert.That(e.Phase, Is.EqualTo("backward"));
        Assert.That(e.Message, Does.Contain("gave input 0 a gradient with a NaN or an infinity, from a finite incoming gradient"));
        Assert.That(e.CreatedAt, Does.Contain(nameof(ABackwardThatProducesAnInfinity_IsNamed_WithWhereItsForwardRan)), "the forward's line");
    }

    [Test]
    public void ANaNFromOutside_IsReportedAsReceived_NotProduced()
    {
        using var x = Tensor.FromArray(new[] { 1f, float.NaN }, [2]);
        using var anomaly = AG.DetectAnomaly();
        var e = Assert.Throws<AnomalyException>(() => x.Exp());
        Assert.That(e!.Message, Does.Contain("received a NaN or an infinity in its input 0"));
    }

    [Test]
    public void OutsideTheScope_NothingIsChecked()
    {
        using var x = Tensor.FromArray(new double[] { 0 }, [1]).RequireGrad();
        using (AG.DetectAnomaly())
            Assert.That(AG.IsAnomalyDetectionEnabled, Is.True);
        Assert.That(AG.IsAnomalyDetectionEnabled, Is.False);
        var y = x.Log();
        Assert.That(double.IsNegativeInfinity(y.ToArray<double>()[0]), Is.True, "computed, unchecked");
    }

    [Test]
    public void FiniteWork_RunsUnchanged_InsideTheScope()
    {
        using var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3]).RequireGrad();
        using var anomaly = AG.DetectAnomaly();
        (x.Exp() * x).Sum().Backward();
        var expected = new[] { 1.0, 2, 3 }.Select(v => Math.Exp(v) * (1 + v)).ToArray();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(expected).Within(1e-12));
    }
}
