// The engine frees gradient temporaries during backward when a dispose scope is active: the backward's peak above the
// forward's stays about one layer's worth however deep the network, the gradients are bit-for-bit those of a run that
// frees nothing, and nothing the user can reach (hooks' arguments, Autograd.Grad results, seeds, .Grad) is disposed.
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

// Reads the host allocator's process-wide peak: no other test may allocate meanwhile.
[NonParallelizable]
public class EngineReleaseTests
{
    private const int Layers = 20, Batch = 512, Width = 64;

    /// <summary>A 20-layer ReLU MLP (no biases), [Batch, Width] -> [Batch, Width], and its mean-square loss.</summary>
    private static Tensor[] Weights()
    {
        var g = new Generator(11);
        return [.. Enumerable.Range(0, Layers).Select(_ => (Tensor.Randn([Width, Width], g) * (1.4 / Math.Sqrt(Width))).RequireGrad())];
    }

    private static Tensor Loss(Tensor x, Tensor[] w)
    {
        var h = x;
        foreach (var wi in w) h = h.MatMul(wi).Relu();  // [Batch, Width]
        return (h * h).Mean();
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Test]
    public void ADeepBackward_UnderAScope_PeaksAboutOneLayerAboveTheForward_WithTheSameGradients()
    {
        var x = Tensor.Randn([Batch, Width], new Generator(3));
        var reference = Weights();
        Loss(x, reference).Backward();                // no scope: the engine frees nothing
        var w = Weights();
        long forwardPeak, backwardPeak;
        using (Tensor.NewDisposeScope())
        {
            Settle();
            HostAllocator.ResetPeak();
            long before = HostAllocator.LiveBytes;
            var loss = Loss(x, w);
            forwardPeak = HostAllocator.PeakLiveBytes - before;
            loss.Backward();
            backwardPeak = HostAllocator.PeakLiveBytes - before;
        }
        long activation = (long)Batch * Width * sizeof(float);   // one [Batch, Width] tensor: 128 KiB
        long weightGrads = Layers * (long)Width * Width * sizeof(float);
        TestContext.Out.WriteLine($"forward peak {forwardPeak >> 10} KiB, backward peak {backwardPeak >> 10} KiB, one activation {activation >> 10} KiB");
        // Kept by design: every layer's .Grad (5% of an activation each) and a few activation-sized temporaries at once.
        // Without the release the backward kept about three activations per layer: 60 here.
        Assert.That(backwardPeak - forwardPeak, Is.LessThanOrEqualTo(weightGrads + 4 * activation));
        for (int i = 0; i < Layers; i++)
            Assert.That(w[i].Grad!.ToArray<float>(), Is.EqualTo(reference[i].Grad!.ToArray<float>()), $"layer {i}");
    }

    [Test]
    public void WithoutAScope_NoGradientTemporaryIsDisposed_TheyAreTheGCs()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 }).RequireGrad();
        Tensor? seen = null;
        var y = a.Exp();
        var z = (y * y).Sum();
        y.RegisterHook(g =>
        {
            seen = g;
            return null;
        });
        z.Backward();
        Assert.That(seen!.IsDisposed, Is.False);
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new[] { 1, 2, 3 }.Select(v => 2 * Math.Exp(2 * v)).ToArray()).Within(1e-9));
    }

    [Test]
    public void UnderAScope_WhatTheUserCanReach_IsNeverDisposed()
    {
        using var scope = Tensor.NewDisposeScope();
        var a = Tensor.FromArray(new double[] { 1, 2, 3 }).RequireGrad();
        var y = a.Exp();                       // a saved forward tensor (Exp keeps its output)
        var s = y * y;
        Tensor? hooked = null, leafHooked = null;
        s.RegisterHook(g =>
        {
            hooked = g;
            return null;
        });
        a.RegisterHook(g =>
        {
            leafHooked = g;
            return null;
        });
        var seed = Tensor.OnesLike(s);
        s.Backward(seed, retainGraph: true);
        Assert.That(seed.IsDisposed, Is.False, "the seed the user passed");
        Assert.That(hooked!.IsDisposed, Is.False, "a node hook's argument");
        Assert.That(leafHooked!.IsDisposed, Is.False, "a leaf hook's argument");
        Assert.That(y.IsDisposed, Is.False, "a saved tensor");
        var expected = new[] { 1, 2, 3 }.Select(v => 2 * Math.Exp(2 * v)).ToArray();
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(expected).Within(1e-9));
        Assert.That(hooked.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1 }));

        // The retained graph runs again and accumulates; Autograd.Grad's results are the caller's.
        s.Backward(seed, retainGraph: true);
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(expected.Select(v => 2 * v).ToArray()).Within(1e-9));
        var dA = AG.Grad([s], [a], [seed], retainGraph: true)[0];
        var dY = AG.Grad([s], [y], [seed])[0];
        Assert.That(dA.IsDisposed || dY.IsDisposed, Is.False);
        Assert.That(dA.ToArray<double>(), Is.EqualTo(expected).Within(1e-9));
        Assert.That(dY.ToArray<double>(), Is.EqualTo(y.ToArray<double>().Select(v => 2 * v).ToArray()).Within(1e-9));
    }

    [Test]
    public void UnderAScope_AGradientHandedToSeveralInputs_SurvivesUntilTheLastUsesIt()
    {
        // z = sum((a + b) * (a + b) + a): Add hands dOut to both inputs; a gets three contributions summed.
        using var scope = Tensor.NewDisposeScope();
        var a = Tensor.FromArray(new double[] { 1, 2 }).RequireGrad();
        var b = Tensor.FromArray(new double[] { 3, 5 }).RequireGrad();
        var s = a + b;
        var z = (s * s + a).Sum();
        z.Backward();
        Assert.That(a.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 9, 15 }).Within(1e-12));
        Assert.That(b.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 8, 14 }).Within(1e-12));
    }

    [Test]
    public void UnderAScope_CreateGraph_KeepsASecondDerivative()
    {
        using var scope = Tensor.NewDisposeScope();
        var x = Tensor.FromArray(new double[] { 0.5, 1.5 }).RequireGrad();
        var y = (x * x * x).Sum();
        var dx = AG.Grad(y, x, createGraph: true);   // 3x^2
        var d2 = AG.Grad(dx.Sum(), x);                 // 6x
        Assert.That(dx.ToArray<double>(), Is.EqualTo(new[] { 0.75, 6.75 }).Within(1e-12));
        Assert.That(d2.ToArray<double>(), Is.EqualTo(new[] { 3.0, 9.0 }).Within(1e-12));
    }
}
