// Dispose scopes: what a scope releases and what it must not (kept results, gradients), their nesting rules and
// errors, and the memory-flatness check of DESIGN.md: a training step under a scope leaves no buffer behind.
using DotGrad;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

// The live-buffer counters are process-wide (Cpu and Reference share the host allocator): no other test may allocate
// while one of these runs.
[NonParallelizable]
public class DisposeScopeTests
{
    public static IEnumerable<Device> Devices => TestDevices.WithOpenCL();

    private static MemoryStats Memory(Device device) => Backend.For(device).Memory;

    /// <summary>
    /// Lets the GC finalize what earlier tests left to it, so that no storage of theirs is freed (and the counters moved)
    /// in the middle of a measurement. Only ever called before a measurement starts: collecting between two readings
    /// would hide exactly the leaks these tests look for.
    /// </summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    // ---- what a scope releases ----

    [Test]
    public void Scope_DisposesResultsViewsAndTemporaries_AndReleasesTheirStorage()
    {
        Settle();
        var before = Memory(Device.Cpu);
        Tensor a, b, view;
        using (var scope = Tensor.NewDisposeScope())
        {
            a = Tensor.Ones(8, 8);
            b = (a * 2.0).Exp().Sum(0); // a scalar operand, two results, a kept-dim view
            view = b.Unsqueeze(0);
            Assert.That(a.OwningDisposeScope, Is.SameAs(scope));
            Assert.That(view.OwningDisposeScope, Is.SameAs(scope));
            Assert.That(scope.Count, Is.GreaterThanOrEqualTo(4));
            Assert.That(Memory(Device.Cpu).LiveBuffers, Is.GreaterThan(before.LiveBuffers));
        }
        Assert.That(new[] { a.IsDisposed, b.IsDisposed, view.IsDisposed }, Is.All.True);
        Assert.That(Memory(Device.Cpu).LiveBuffers, Is.EqualTo(before.LiveBuffers));
        Assert.That(Memory(Device.Cpu).LiveBytes, Is.EqualTo(before.LiveBytes));
    }

    [Test]
    public void ATensorCreatedBeforeTheScope_IsNotTracked()
    {
        using var x = Tensor.Ones(3);
        using (var scope = Tensor.NewDisposeScope())
        {
            using var y = x + 1.0;
            Assert.That(x.OwningDisposeScope, Is.Null);
        }
        Assert.That(x.IsDisposed, Is.False);
        Assert.That(x.ToArray<float>(), Is.EqualTo(new float[] { 1, 1, 1 }));
    }

    [Test]
    public void DisposingATrackedTensorEarly_IsHarmless_AndItStopsCounting()
    {
        using var scope = Tensor.NewDisposeScope();
        var x = Tensor.Ones(3);
        Assert.That(scope.Count, Is.EqualTo(1));
        x.Dispose();
        x.Dispose();
        Assert.That(scope.Count, Is.Zero);
        Assert.That(x.OwningDisposeScope, Is.Null);
        scope.Dispose();
        Assert.DoesNotThrow(scope.Dispose, "disposing a scope twice is harmless");
    }

    [Test]
    public void UsingATensorAfterItsScope_ThrowsObjectDisposedException_NamingTheScope()
    {
        Tensor x;
        using (Tensor.NewDisposeScope()) x = Tensor.Ones(2, 3);
        var ex = Assert.Throws<ObjectDisposedException>(() => x.Exp());
        Assert.That(ex!.Message, Does.Contain("DisposeScope").And.Contain("MoveToOuterDisposeScope").And.Contain("[2, 3]"));
        Assert.Throws<ObjectDisposedException>(() => x.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => x.MoveToOuterDisposeScope());
        Assert.That(x.ToString(), Does.Contain("disposed"));
    }

    // ---- keeping tensors ----

    [Test]
    public void MoveToOuterDisposeScope_KeepsOneResult_AndTheRestIsReleased()
    {
        Settle();
        var before = Memory(Device.Cpu);
        Tensor kept, dropped;
        using (Tensor.NewDisposeScope())
        {
            dropped = Tensor.Arange(0, 4).Float();
            kept = (dropped * 2.0).MoveToOuterDisposeScope();
        }
        Assert.That(dropped.IsDisposed, Is.True);
        Assert.That(kept.OwningDisposeScope, Is.Null, "with no enclosing scope the result is left untracked");
        Assert.That(kept.ToArray<float>(), Is.EqualTo(new float[] { 0, 2, 4, 6 }));
        Assert.That(Memory(Device.Cpu).LiveBuffers, Is.EqualTo(before.LiveBuffers + 1), "only the kept result's buffer is alive");
        kept.Dispose();
        Assert.That(Memory(Device.Cpu).LiveBuffers, Is.EqualTo(before.LiveBuffers));
    }

    [Test]
    public void NestedScopes_MoveToOuterHandsATensorToTheEnclosingScope()
    {
        Tensor fromOuter, moved, inner;
        using (var outer = Tensor.NewDisposeScope())
        {
            fromOuter = Tensor.Ones(2);
            using (var nested = Tensor.NewDisposeScope())
            {
                Assert.That(nested.Outer, Is.SameAs(outer));
                inner = Tensor.Ones(2);
                moved = (inner + 1.0).MoveToOuterDisposeScope();
                Assert.That(moved.OwningDisposeScope, Is.SameAs(outer));
            }
            Assert.That(inner.IsDisposed, Is.True);
            Assert.That(fromOuter.IsDisposed, Is.False, "a nested scope leaves the enclosing scope's tensors alone");
            Assert.That(moved.ToArray<float>(), Is.EqualTo(new float[] { 2, 2 }));
            Assert.That(outer.Count, Is.EqualTo(2));
        }
        Assert.That(moved.IsDisposed && fromOuter.IsDisposed, Is.True, "the moved tensor dies with the enclosing scope");
    }

    [Test]
    public void ScopeDetachAndDisposeEverythingBut_KeepWhatTheyAreTold()
    {
        Tensor a, b, c, detached;
        using (var scope = Tensor.NewDisposeScope())
        {
            a = Tensor.Ones(1);
            b = Tensor.Ones(1);
            c = Tensor.Ones(1);
            detached = Tensor.Ones(1);
            scope.Detach(detached);
            scope.DisposeEverythingBut(b);
            Assert.That(a.IsDisposed && c.IsDisposed, Is.True);
            Assert.That(b.IsDisposed, Is.False);
            Assert.That(scope.Count, Is.EqualTo(1), "b stays tracked");
        }
        Assert.That(b.IsDisposed, Is.True);
        Assert.That(detached.IsDisposed, Is.False);
        Assert.That(detached.OwningDisposeScope, Is.Null);
        detached.Dispose();
    }

    [Test]
    public void MovingATensorFromAnotherScope_OrAfterDisposal_IsAClearError()
    {
        using var outer = Tensor.NewDisposeScope();
        var x = Tensor.Ones(2);
        using var nested = Tensor.NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => nested.MoveToOuter(x));
        Assert.That(ex!.Message, Does.Contain("DisposeScope.MoveToOuter").And.Contain("another dispose scope"));
        x.Dispose();
        Assert.Throws<ObjectDisposedException>(() => outer.Detach(x));
    }

    // ---- nesting rules ----

    [Test]
    public void DisposingAnOuterScopeFirst_Throws_AndChangesNothing()
    {
        var outer = Tensor.NewDisposeScope();
        var x = Tensor.Ones(2);
        var nested = Tensor.NewDisposeScope();
        var ex = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.That(ex!.Message, Does.Contain("DisposeScope").And.Contain("innermost first"));
        Assert.That(x.IsDisposed, Is.False);
        Assert.That(outer.IsDisposed, Is.False);
        nested.Dispose();
        outer.Dispose();
        Assert.That(x.IsDisposed, Is.True);
    }

    [Test]
    public void AScope_IsPerThread_AndMustBeDisposedOnItsThread()
    {
        using var scope = Tensor.NewDisposeScope();
        var other = Task.Run(() => Tensor.Ones(2)).Result;
        Assert.That(other.OwningDisposeScope, Is.Null, "a tensor created on another thread is not tracked by this thread's scope");
        other.Dispose();
        var ex = Assert.Throws<AggregateException>(() => Task.Run(scope.Dispose).Wait());
        Assert.That(ex!.InnerException, Is.TypeOf<InvalidOperationException>().And.Message.Contain("DisposeScope.Dispose").And.Message.Contain("thread"));
    }

    // ---- gradients ----

    [Test]
    public void Gradients_SurviveTheScopeOfTheStepThatComputedThem()
    {
        // loss = sum(w * x): dloss/dw = x = [1, 2, 3].
        using var w = Tensor.FromArray(new double[] { 0.5, -1, 2 }).RequireGrad();
        Tensor h;
        using (Tensor.NewDisposeScope())
        {
            var x = Tensor.FromArray(new double[] { 1, 2, 3 });
            h = w * x;
            h.RetainGrad();
            h.Sum().Backward();
        }
        Assert.That(h.IsDisposed, Is.True);
        Assert.That(w.Grad!.IsDisposed, Is.False);
        Assert.That(w.Grad.OwningDisposeScope, Is.Null);
        Assert.That(w.Grad.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 3 }));
        Assert.That(h.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1 }), "a retained gradient survives too");
        w.ZeroGrad();
        h.ZeroGrad();
    }

    [Test]
    public void ZeroGrad_DisposesTheGradientBackwardMade_ButNotOneYouAssigned()
    {
        using var w = Tensor.FromArray(new double[] { 1, 2 }).RequireGrad();
        // In a scope, so that backward's own intermediates (which the gradient may share a buffer with) are released too.
        using (Tensor.NewDisposeScope()) (w * 3.0).Sum().Backward();
        var grad = w.Grad!;
        Settle();
        long live = Memory(Device.Cpu).LiveBuffers;
        w.ZeroGrad();
        Assert.That(w.Grad, Is.Null);
        Assert.That(grad.IsDisposed, Is.True);
        Assert.That(Memory(Device.Cpu).LiveBuffers, Is.LessThan(live), "the gradient's buffer went back to the allocator");

        using var mine = Tensor.FromArray(new double[] { 7, 7 });
        w.Grad = mine;
        w.ZeroGrad();
        Assert.That(mine.IsDisposed, Is.False);
    }

    [Test]
    public void Accumulation_DisposesTheGradientItReplaces()
    {
        using var w = Tensor.FromArray(new double[] { 1, 2 }).RequireGrad();
        (w * 3.0).Sum().Backward();
        var first = w.Grad!;
        (w * 3.0).Sum().Backward();
        Assert.That(first.IsDisposed, Is.True);
        Assert.That(w.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 6, 6 }));
        w.ZeroGrad();
    }

    [Test]
    public void BackwardThroughAGraphWhoseSavedTensorsAScopeReleased_NamesTheNodeAndTheScope()
    {
        using var w = Tensor.FromArray(new double[] { 1, 2 }).RequireGrad();
        Tensor loss;
        using (Tensor.NewDisposeScope())
            loss = w.Exp().Sum().MoveToOuterDisposeScope(); // Exp saved its output, which the scope releases
        var ex = Assert.Throws<ObjectDisposedException>(() => loss.Backward());
        Assert.That(ex!.Message, Does.Contain("Exp.Backward").And.Contain("DisposeScope"));
        loss.Dispose();
    }

    // ---- memory stays flat over many training steps ----

    [TestCaseSource(nameof(Devices))]
    public void TrainingStepsUnderADisposeScope_KeepLiveBuffersAndBytesFlat(Device device)
    {
        TestDevices.Require(device);
        const int steps = 200, warmup = 10;
        const double lr = 0.2;
        var g = new Generator(7);
        using var model = new TinyTransformer(device, g);
        // The task: each next token is the current one plus 1 (mod V), from a different first token in each row.
        const int V = TinyTransformer.V, T = TinyTransformer.T, B = TinyTransformer.B;
        var sequence = new int[B, T + 1];
        for (int b = 0; b < B; b++)
            for (int t = 0; t <= T; t++)
                sequence[b, t] = (5 * b + 3 + t) % V;
        Tensor tokens, targets;
        using (Tensor.NewDisposeScope())
        {
            var all = Tensor.FromArray(sequence, device);                       // [B, T+1] Int32
            tokens = all[.., ..^1].Contiguous().DetachFromDisposeScope();        // [B, T]
            targets = all[.., 1..].Contiguous().DetachFromDisposeScope();        // [B, T]
        }
        Settle();

        var after = new MemoryStats[steps + 1];
        var losses = new double[steps + 1];
        long peakLiveBuffers = 0;
        for (int step = 1; step <= steps; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            foreach (var p in model.Parameters) p.ZeroGrad();  // disposes the previous step's gradients
            var loss = model.Loss(tokens, targets);
            loss.Backward();
            using (AG.NoGrad())
                foreach (var p in model.Parameters)
                    p.Detach()[..] = p - p.Grad! * lr;        // in place: p stays the same leaf
            losses[step] = loss.Item();
            peakLiveBuffers = Math.Max(peakLiveBuffers, Memory(device).LiveBuffers);
            scope.Dispose();
            after[step] = Memory(device);
        }

        for (int step = warmup + 1; step <= steps; step++)
        {
            Assert.That(after[step].LiveBuffers, Is.EqualTo(after[warmup].LiveBuffers), $"live buffers after step {step} vs step {warmup} ({after[step]} vs {after[warmup]})");
            Assert.That(after[step].LiveBytes, Is.EqualTo(after[warmup].LiveBytes), $"live bytes after step {step} vs step {warmup} ({after[step]} vs {after[warmup]})");
        }
        // Each step allocated far more than it kept (so the flat line is the scope's doing, not an idle loop), and learned.
        // (Stated as a ratio: the fused backward kernels make fewer temporaries than a fixed count once assumed.)
        Assert.That(peakLiveBuffers, Is.GreaterThan(3 * after[warmup].LiveBuffers), $"peak {peakLiveBuffers} live buffers during a step vs {after[warmup].LiveBuffers} kept");
        Assert.That(losses[steps], Is.LessThan(losses[1] / 2), $"loss went from {losses[1]} to {losses[steps]}");
        TestContext.Out.WriteLine($"{device}: loss {losses[1]:F4} -> {losses[steps]:F4}; after step {warmup}: {after[warmup]}; " +
                                  $"after step {steps}: {after[steps]}; peak during a step: {peakLiveBuffers} live buffers");
        tokens.Dispose();
        targets.Dispose();
    }
}
