// In-place writes and autograd, as PyTorch has them: a write into a tensor in a graph is recorded (the gradient sees
// it), a backward that needs a value written over since the forward refuses to run (naming the op and both versions),
// and a leaf that requires grad cannot be written outside no-grad.
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class InPlaceWriteTests
{
    [Test]
    public void AWriteIntoAComputedTensor_IsRecorded_SoTheOverwrittenRowGetsNoGradient()
    {
        // The first repro: this gave x.Grad all 2s.
        using var x = Tensor.Ones([2, 3], DType.Float64).RequireGrad();
        var h = x * 2.0;
        h[0] = Tensor.Zeros([3], DType.Float64);
        h.Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 0, 2, 2, 2 }));
        Assert.That(h.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 0, 2, 2, 2 }));
    }

    [Test]
    public void TheWrittenValue_GetsTheGradientOfTheRegion_SummedOverItsBroadcast()
    {
        using var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]).RequireGrad();
        using var v = Tensor.FromArray(new double[] { 10, 20, 30 }, [3]).RequireGrad();
        var h = x * 3.0;
        h[..] = v * 2.0;                        // both rows
        (h * h).Sum().Backward();               // d/dh = 2h = 4v in both rows
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[6]), "everything x wrote was overwritten");
        Assert.That(v.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2 * 2 * 40, 2 * 2 * 80, 2 * 2 * 120 }), "2 rows x 2 x 2h");
    }

    [Test]
    public void AWriteIntoAConstant_WithAValueThatRequiresGrad_ConnectsTheValue()
    {
        using var v = Tensor.FromArray(new double[] { 1, 2 }, [2]).RequireGrad();
        using var buffer = Tensor.Zeros([3, 2], DType.Float64);
        buffer[1] = v * v;
        Assert.That(buffer.RequiresGrad, Is.True, "the buffer is now computed from v");
        buffer.Sum().Backward();
        Assert.That(v.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 2, 4 }));
    }

    [Test]
    public void ABackwardThatNeedsAValueWrittenOver_Refuses_NamingTheOpAndTheVersions()
    {
        // The second repro: this gave [20, 20, 20] instead of failing (the right gradient was [2, 4, 6]).
        using var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3]).RequireGrad();
        var h = x * 1.0;
        var y = h * h;
        h[..] = Tensor.Full([3], 10.0, DType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.That(e!.Message, Does.Contain("Mul.Backward needs its input 0").And.Contain("now at version 1, saved at version 0"));
    }

    [Test]
    public void ABackwardThatNeedsItsOutput_Refuses_WhenTheOutputWasWrittenOver()
    {
        using var x = Tensor.FromArray(new double[] { 0, 1 }, [2]).RequireGrad();
        var y = x.Exp();
        var z = y + 1.0;         // reads nothing of y; then y is overwritten and its history continues through Exp
        y[0] = Tensor.Zeros([], DType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => (z.Sum() + y.Sum()).Backward());
        Assert.That(e!.Message, Does.Contain("Exp.Backward needs its output"));
    }

    [Test]
    public void OpsWhoseBackwardNeedsOnlyShapes_AcceptLaterWrites()
    {
        using var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2]).RequireGrad();
        var h = x + 1.0;
        h[0] = Tensor.Zeros([2], DType.Float64);   // Add's backward reads nothing of x or h
        h.Sum().Backward();
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 1, 1 }));
    }

    [Test]
    public void ALeafThatRequiresGrad_CannotBeWritten_ExceptUnderNoGrad()
    {
        using var w = Tensor.Ones([2], DType.Float64).RequireGrad();
        var e = Assert.Throws<InvalidOperationException>(() => w[0] = Tensor.Zeros([], DType.Float64));
        Assert.That(e!.Message, Does.Contain("leaf that requires grad"));
        Assert.That(w.ToArray<double>(), Is.EqualTo(new double[] { 1, 1 }), "nothing was written");
        using (AG.NoGrad()) w[0] = Tensor.Zeros([], DType.Float64);
        Assert.That(w.ToArray<double>(), Is.EqualTo(new double[] { 0, 1 }));
        Assert.That(w.IsLeaf, Is.True);
    }

    [Test]
    public void AWriteIntoAViewOfATensorInTheGraph_IsRefused()
    {
        using var x = Tensor.Ones([2, 3], DType.Float64).RequireGrad();
        var h = x * 2.0;
        var row = h[0];                             // a view of h, made by slicing
        var e = Assert.Throws<InvalidOperationException>(() => row[1] = Tensor.Zeros([], DType.Float64));
        Assert.That(e!.Message, Does.Contain("is a view"));
    }

    [Test]
    public void EveryWrite_CountsInTheVersionOfTheMemory_SharedByItsViews()
    {
        using var x = Tensor.Zeros([4], DType.Float64);
        using var view = x[1..3];
        int before = x.Storage.Version;
        view[0] = Tensor.Ones([], DType.Float64);
        x[3] = Tensor.Ones([], DType.Float64);
        Assert.That(x.Storage.Version, Is.EqualTo(before + 2));
        Assert.That(view.Storage.Version, Is.EqualTo(before + 2));
    }
}
