// The one-pass optimizer updates (Optimizer.Fused) against the tensor-op updates they replace: same parameters and
// state after several steps, state buffers kept as the same objects, and the tensor-op path wherever the kernel is absent.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class FusedStepTests
{
    /// <summary>Parameter shapes with vector tails (37, 5 x 9) and a size that is split across cores (70000).</summary>
    private static readonly int[][] Shapes = [[37], [5, 9], [1], [70000]];

    public static IEnumerable<TestCaseData> Cases()
    {
        var optimizers = new (string Name, Func<IEnumerable<Tensor>, Optimizer> Make)[]
        {
            ("adam", ps => new Adam(ps, new AdamOptions { Lr = 0.01 })),
            ("adam_l2", ps => new Adam(ps, new AdamOptions { Lr = 0.01, WeightDecay = 0.1 })),
            ("adam_amsgrad", ps => new Adam(ps, new AdamOptions { Lr = 0.01, Amsgrad = true, Beta2 = 0.9 })),
            ("adamw", ps => new AdamW(ps, new AdamOptions { Lr = 0.01, WeightDecay = 0.05, Beta1 = 0.8, Beta2 = 0.95, Eps = 1e-6 })),
            ("adamw_amsgrad", ps => new AdamW(ps, new AdamOptions { Lr = 0.01, WeightDecay = 0.05, Amsgrad = true })),
            ("muon_adamw_groups", ps => new Muon(ps, new MuonOptions { Lr = 0.01, UseMuon = false, WeightDecay = 0.1 })),
            ("sgd", ps => new Sgd(ps, new SgdOptions { Lr = 0.1 })),
            ("sgd_wd", ps => new Sgd(ps, new SgdOptions { Lr = 0.1, WeightDecay = 0.01 })),
            ("sgd_momentum", ps => new Sgd(ps, new SgdOptions { Lr = 0.1, Momentum = 0.9 })),
            ("sgd_dampening_wd", ps => new Sgd(ps, new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = 0.3, WeightDecay = 0.01 })),
            ("sgd_nesterov", ps => new Sgd(ps, new SgdOptions { Lr = 0.1, Momentum = 0.8, Nesterov = true, WeightDecay = 0.001 })),
        };
        foreach (var (name, make) in optimizers)
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                yield return new TestCaseData(make, dtype).SetArgDisplayNames(name, dtype.ToString());
    }

    /// <summary>Fresh parameters of <see cref="Shapes"/> (same seed: same values) on a device.</summary>
    private static Tensor[] Parameters(DType dtype, Device device) =>
        Shapes.Select((s, i) => Tensor.Randn(s, new Generator(100 + (ulong)i), dtype, device).DetachFromDisposeScope().RequireGrad()).ToArray();

    /// <summary>Runs <paramref name="steps"/> steps with the same seeded gradients; one parameter skips step 2 (no gradient).</summary>
    private static Optimizer Run(Func<IEnumerable<Tensor>, Optimizer> make, Tensor[] ps, bool fused, int steps = 5)
    {
        var opt = make(ps);
        opt.Fused = fused;
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < ps.Length; i++)
                ps[i].Grad = step == 2 && i == 1 ? null
                    : Tensor.Randn(ps[i].Shape, new Generator(1000 + (ulong)(step * 10 + i)), ps[i].DType, ps[i].Device).DetachFromDisposeScope();
            opt.Step();
        }
        return opt;
    }

    private static void AssertSame(Tensor expected, Tensor actual, double rel, string what)
    {
        var e = OptimKit.Values(expected);
        var a = OptimKit.Values(actual);
        Assert.That(a, Has.Length.EqualTo(e.Length), what);
        for (int i = 0; i < e.Length; i++)
            if (!(Math.Abs(a[i] - e[i]) <= rel * Math.Abs(e[i])))
                Assert.Fail($"{what}: element {i} is {a[i]:R}, the tensor-op path gives {e[i]:R} (allowed relative {rel})");
    }

    private static void CompareRuns(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype, Device device, double rel)
    {
        var plain = Parameters(dtype, device);
        var fast = Parameters(dtype, device);
        using var a = Run(make, plain, fused: false);
        using var b = Run(make, fast, fused: true);
        for (int i = 0; i < plain.Length; i++)
        {
            AssertSame(plain[i], fast[i], rel, $"parameter {i}");
            var sa = a.State(plain[i]);
            var sb = b.State(fast[i]);
            Assert.That(sb.Step, Is.EqualTo(sa.Step), $"parameter {i}: step count");
            Assert.That(sb.Buffers.Keys, Is.EqualTo(sa.Buffers.Keys), $"parameter {i}: buffer names");
            foreach (var (name, t) in sa.Buffers) AssertSame(t, sb[name], rel, $"parameter {i} buffer {name}");
        }
        Assert.That(b.StateBytes(), Is.EqualTo(a.StateBytes()));
        foreach (var p in plain.Concat(fast)) p.Dispose();
    }

    [TestCaseSource(nameof(Cases))]
    public void FusedSteps_OnTheCpu_EqualTheTensorOpSteps_BitForBit(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype) =>
        // The kernel rounds each product and sum as the tensor ops do, in the same order.
        CompareRuns(make, dtype, Device.Cpu, rel: 0);

    [TestCaseSource(nameof(Cases))]
    public void FusedSteps_OnOpenCL_MatchTheTensorOpSteps(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype)
    {
        TestDevices.Require(Device.OpenCL(0));
        CompareRuns(make, dtype, Device.OpenCL(0), rel: dtype == DType.Float64 ? 1e-14 : 1e-6);
    }

    [TestCaseSource(nameof(Cases))]
    public void FusedSteps_OnTheReferenceBackend_TakeTheTensorOpPath(Func<IEnumerable<Tensor>, Optimizer> make, DType dtype) =>
        // The reference has no fused kernels, so both settings run the same tensor ops.
        CompareRuns(make, dtype, Device.Reference, rel: 0);

    [Test]
    public void FusedSteps_UpdateTheStateBuffersInPlace_SoTheyKeepTheirIdentity()
    {
        foreach (var make in new Func<IEnumerable<Tensor>, Optimizer>[]
                 {
                     ps => new AdamW(ps, new AdamOptions { Amsgrad = true }),
                     ps => new Sgd(ps, new SgdOptions { Momentum = 0.9 }),
                 })
        {
            var ps = Parameters(DType.Float32, Device.Cpu);
            using var opt = make(ps);
            var before = ps.Select(p => opt.State(p).Buffers.Values.ToArray()).ToArray();
            var storage = ps.Select(p => p.Detach()).ToArray();
            for (int step = 0; step < 3; step++)
            {
                foreach (var p in ps) p.Grad = Tensor.OnesLike(p).DetachFromDisposeScope();
                opt.Step();
            }
            for (int i = 0; i < ps.Length; i++)
            {
                var after = opt.State(ps[i]).Buffers.Values.ToArray();
                Assert.That(after, Has.Length.EqualTo(before[i].Length));
                for (int k = 0; k < after.Length; k++)
                    Assert.That(after[k], Is.SameAs(before[i][k]), $"{opt.GetType().Name} parameter {i}: buffer {k} was replaced, not updated");
                Assert.That(OptimKit.Values(storage[i]), Is.EqualTo(OptimKit.Values(ps[i])), "the parameter's storage holds the update");
            }
            foreach (var p in ps) p.Dispose();
        }
    }

    [Test]
    public void FusedSteps_WithATransposedGradient_EqualTheTensorOpSteps_AndStillUpdateInPlace()
    {
        // A weight's gradient often arrives as a transposed product; the fused path copies it contiguous first.
        foreach (var make in new Func<IEnumerable<Tensor>, Optimizer>[]
                 {
                     ps => new AdamW(ps, new AdamOptions { Lr = 0.01 }),
                     ps => new Sgd(ps, new SgdOptions { Lr = 0.1, Momentum = 0.9, WeightDecay = 0.01 }),
                 })
        {
            var results = new List<double[]>();
            foreach (var fused in new[] { false, true })
            {
                using var p = Tensor.Randn([5, 9], new Generator(5)).DetachFromDisposeScope().RequireGrad();
                using var opt = make([p]);
                opt.Fused = fused;
                Tensor? first = null;
                for (int step = 0; step < 3; step++)
                {
                    p.Grad = Tensor.Randn([9, 5], new Generator(50 + (ulong)step)).T.DetachFromDisposeScope();
                    Assert.That(p.Grad.IsContiguous, Is.False);
                    opt.Step();
                    var buffer = opt.State(p).Buffers.Values.First();
                    first ??= buffer;
                    if (fused) Assert.That(buffer, Is.SameAs(first), "the fused path updates the state in place");
                }
                results.Add(OptimKit.Values(p));
            }
            Assert.That(results[1], Is.EqualTo(results[0]), "fused and tensor-op steps, bit for bit");
        }
    }

    [Test]
    public void FusedSteps_ThenSaveAndLoad_ContinueAsAnUninterruptedRun()
    {
        // The in-place buffers are what StateDict copies; a restored optimizer continues bit for bit.
        var ps = Parameters(DType.Float32, Device.Cpu);
        var copy = ps.Select(p => p.Detach().Clone().DetachFromDisposeScope().RequireGrad()).ToArray();
        using var opt = Run(ps2 => new AdamW(ps2), ps, fused: true, steps: 3);
        using var restored = new AdamW(copy);
        using (var state = opt.StateDict()) restored.LoadStateDict(state);
        foreach (var (p, q) in ps.Zip(copy))
        {
            p.Grad = Tensor.OnesLike(p).DetachFromDisposeScope();
            q.Grad = Tensor.OnesLike(q).DetachFromDisposeScope();
        }
        // copy started from the initial values: bring it to where ps is first, then step both.
        for (int i = 0; i < ps.Length; i++)
            using (DotGrad.Autodiff.Autograd.NoGrad()) copy[i].Detach()[..] = ps[i];
        opt.Step();
        restored.Step();
        for (int i = 0; i < ps.Length; i++) AssertSame(ps[i], copy[i], 0, $"parameter {i}");
        foreach (var p in ps.Concat(copy)) p.Dispose();
    }
}
