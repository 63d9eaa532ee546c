// Muon: hand-computed steps on 1 x N and N x 1 matrices (where Newton-Schulz is a scalar iteration), the AdamW
// fallback against AdamW, the model split, state, zero gradients, convergence, state dict round trips and bad input.
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

/// <summary>What the Muon and Dualized tests share: test functions, a minimisation loop and a state dict round trip.</summary>
internal static class MuonTestKit
{
    /// <summary>f(x) = sum_i c_i (x_i - t_i)^2 on a 2 x 3 matrix; f(0) = 1 + 8 + 27 + 0.25*4 + 5 + 6 = 48.</summary>
    public static Tensor Quadratic(Tensor x)
    {
        var c = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t = Tensor.FromArray(new double[,] { { 1, -2, 3 }, { 0.5, 1, -1 } });
        return (c * (x - t).Square()).Sum();
    }

    /// <summary>The 2-D Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 summed over the columns of a [2, n] matrix: row 0 holds the x's, row 1 the y's.</summary>
    public static Tensor Rosenbrock(Tensor xy)
    {
        Tensor x = xy[0], y = xy[1];                                   // [n] each
        return ((1 - x).Square() + (y - x.Square()).Square() * 100).Sum();
    }

    /// <summary>n columns all at the usual start (-1.5, 2): f = n (6.25 + 100 * 0.0625) = 12.5 n.</summary>
    public static Tensor RosenbrockStart(int n) =>
        Tensor.FromArray(new double[,] { { -1.5, -1.5, -1.5 }, { 2, 2, 2 } })[.., ..n].Contiguous().DetachFromDisposeScope().RequireGrad();

    /// <summary>Runs <paramref name="steps"/> steps on f; returns f before the first and after the last.</summary>
    public static (double Start, double End) Minimize(Optimizer optimizer, Tensor p, Func<Tensor, Tensor> f, int steps)
    {
        double start = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            using var scope = Tensor.NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = f(p);
            if (i == 0) start = loss.Item<double>();
            loss.Backward();
            optimizer.Step();
        }
        using (var _ = global::DotGrad.Autodiff.Autograd.NoGrad())
        using (var scope = Tensor.NewDisposeScope())
            return (start, f(p).Item<double>());
    }

    /// <summary>Leaf copies of <paramref name="source"/> that require grad (fresh parameters with the same values).</summary>
    public static Tensor[] Fresh(IEnumerable<Tensor> source) =>
        source.Select(p => p.Detach().Clone().DetachFromDisposeScope().RequireGrad()).ToArray();

    /// <summary>A gradient that depends on the parameter and the step, so that a round trip that lost state would show: sin(1.3 p + 0.7 k) + 0.1 k.</summary>
    public static void SetGradients(IEnumerable<Tensor> parameters, int k)
    {
        using var _ = global::DotGrad.Autodiff.Autograd.NoGrad();
        foreach (var p in parameters) p.Grad = ((p * 1.3 + 0.7 * k).Sin() + 0.1 * k).DetachFromDisposeScope();
    }

    /// <summary>Steps <paramref name="optimizer"/> from step <paramref name="from"/> to <paramref name="to"/> with <see cref="SetGradients"/>.</summary>
    public static void Run(Optimizer optimizer, IReadOnlyList<Tensor> parameters, int from, int to)
    {
        for (int k = from; k < to; k++)
        {
            SetGradients(parameters, k);
            optimizer.Step();
            foreach (var p in parameters)
            {
                var g = p.Grad;
                p.Grad = null;
                g?.Dispose();
            }
        }
    }

    /// <summary>
    /// Three steps from copies of <paramref name="init"/> on the CPU and on <paramref name="device"/>, each with its own
    /// optimizer from <paramref name="make"/>: the parameters stay on the device and agree with the CPU's within 1e-5.
    /// </summary>
    public static void AssertDeviceFollowsCpu(Tensor[] init, Device device, Func<Tensor[], Optimizer> make)
    {
        var cpu = Fresh(init);
        var there = init.Select(t => t.To(device).DetachFromDisposeScope().RequireGrad()).ToArray();
        using (var a = make(cpu)) Run(a, cpu, 0, 3);
        using (var b = make(there)) Run(b, there, 0, 3);
        for (int i = 0; i < init.Length; i++)
        {
            Assert.That(there[i].Device, Is.EqualTo(device));
            Assert.That(Doubles(there[i].To(Device.Cpu)), Is.EqualTo(Doubles(cpu[i])).Within(1e-5), $"parameter {i}");
        }
    }

    public static float[] Floats(Tensor t) => t.Detach().Contiguous().ToArray<float>();

    public static double[] Doubles(Tensor t) => t.Detach().To(DType.Float64).Contiguous().ToArray<double>();

    /// <summary>
    /// 10 uninterrupted steps against 5 steps, a state dict (in memory, then through a file), a new optimizer on
    /// fresh copies of the parameters, and 5 more steps: every parameter must agree bit for bit.
    /// </summary>
    public static void AssertRoundTrip(Tensor[] initial, Func<Tensor[], Optimizer> make) =>
        AssertRoundTrip(from =>
        {
            var ps = Fresh(from ?? initial);
            return (ps, make(ps), null);
        });

    /// <summary>
    /// The round trip for an optimizer made from a model: <paramref name="build"/> makes the model (the same each
    /// time), <paramref name="make"/> the optimizer for it.
    /// </summary>
    public static void AssertRoundTrip(Func<Module> build, Func<Module, Optimizer> make) =>
        AssertRoundTrip(from =>
        {
            var model = build();
            var ps = model.Parameters().ToArray();
            if (from is not null)
                for (int i = 0; i < ps.Length; i++)
                {
                    using var data = ps[i].Detach();
                    data[TensorIndex.Ellipsis] = from[i];
                }
            return (ps, make(model), model);
        });

    /// <summary><paramref name="setup"/> makes parameters (copies of the given values, or the initial ones for null), their optimizer and an owner to dispose.</summary>
    private static void AssertRoundTrip(Func<Tensor[]?, (Tensor[] Params, Optimizer Optimizer, IDisposable? Owner)> setup)
    {
        var owners = new List<IDisposable>();
        (Tensor[], Optimizer) Setup(Tensor[]? from)
        {
            var (ps, optimizer, owner) = setup(from);
            owners.Add(optimizer);
            if (owner is not null) owners.Add(owner);
            return (ps, optimizer);
        }
        string path = Path.Combine(Path.GetTempPath(), $"dotgrad-optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (straight, a) = Setup(null);
            Run(a, straight, 0, 10);

            var (first, b) = Setup(null);
            Run(b, first, 0, 5);
            using var saved = b.StateDict();
            saved.Save(path);
            using var loaded = OptimizerState.Load(path);
            foreach (var (state, how) in new[] { (saved, "in memory"), (loaded, "through a file") })
            {
                var (resumed, c) = Setup(first);
                c.LoadStateDict(state);
                Assert.That(c.StepCount, Is.EqualTo(5), how);
                Run(c, resumed, 5, 10);
                for (int i = 0; i < straight.Length; i++)
                    Assert.That(Floats(resumed[i]), Is.EqualTo(Floats(straight[i])), $"parameter {i}, state restored {how}");
                for (int g = 0; g < c.ParamGroups.Count; g++)
                    Assert.That(c.ParamGroups[g].Options, Is.EqualTo(b.ParamGroups[g].Options), $"group {g}'s options, restored {how}");
            }
            // a lost state would show: 5 more steps from the 5-step parameters without it differ
            var (cold, d) = Setup(first);
            Run(d, cold, 5, 10);
            Assert.That(Enumerable.Range(0, straight.Length).Any(i => !Floats(cold[i]).SequenceEqual(Floats(straight[i]))), Is.True,
                        "without the state the run should differ (else the test shows nothing)");
        }
        finally
        {
            File.Delete(path);
            foreach (var o in owners) o.Dispose();
        }
    }
}

public class MuonTests
{
    private static Tensor Leaf(double[,] values) => Tensor.FromArray(values).RequireGrad();

    private static Tensor Leaf(double[] values) => Tensor.FromArray(values).RequireGrad();

    private static void Step(Optimizer optimizer, Tensor p, double[] grad, int rows, int cols)
    {
        using var scope = Tensor.NewDisposeScope();
        p.Grad = Tensor.FromArray(grad, [rows, cols]);
        optimizer.Step();
        p.Grad = null;
    }

    // For a 1 x N matrix X X^T is the scalar s = ||X||^2, so every Newton-Schulz step multiplies X by (a + b s + c s^2):
    // the result is O = n5 u / ||u||, where n0 = ||u|| / (||u|| + 1e-7) and n_{k+1} = a n_k + b n_k^3 + c n_k^5.
    // With p0 = [0.5, -1, 2], g1 = [1, 2, -2], g2 = [2, 0, 1], beta 0.95, lr 0.1 (python3, double):
    //   t=1: m1 = 0.05 g1 = [0.05, 0.1, -0.1];  u1 = 0.05 g1 + 0.95 m1 = 0.0975 g1 = [0.0975, 0.195, -0.195]
    //        ||u1|| = 0.2925, n0 = 0.999999658119775, n5 = 0.696436761221884, O1 = n5 g1 / 3
    //        p1 = p0 - 0.1 O1 = [0.47678544129260386, -1.0464291174147924, 2.0464291174147924]
    //   t=2: m2 = 0.95 m1 + 0.05 g2 = [0.1475, 0.095, -0.045];  u2 = 0.05 g2 + 0.95 m2 = [0.240125, 0.09025, 0.00725]
    //        ||u2|| = 0.25662743544874567, n0 = 0.9999996103302016, n5 = 0.6964368103917629
    //        p2 = p1 - 0.1 n5 u2/||u2|| = [0.41162019939128647, -1.0709212072912897, 2.044461608809755]
    // The shape factor sqrt(max(1, fan_out/fan_in)) = sqrt(max(1, 1/3)) = 1.
    [Test]
    public void RowMatrix_TwoNesterovSteps_MatchTheScalarIteration()
    {
        var p = Leaf(new double[,] { { 0.5, -1, 2 } });
        using var muon = new Muon([p], new MuonOptions { Lr = 0.1 });
        Step(muon, p, [1, 2, -2], 1, 3);
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.47678544129260386, -1.0464291174147924, 2.0464291174147924 }).Within(1e-12));
        Assert.That(MuonTestKit.Doubles(muon.State(p)["momentum_buffer"]), Is.EqualTo(new[] { 0.05, 0.1, -0.1 }).Within(1e-15));
        Step(muon, p, [2, 0, 1], 1, 3);
        Assert.That(MuonTestKit.Doubles(muon.State(p)["momentum_buffer"]), Is.EqualTo(new[] { 0.1475, 0.095, -0.045 }).Within(1e-15));
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.41162019939128647, -1.0709212072912897, 2.044461608809755 }).Within(1e-12));
    }

    // The same steps on the 3 x 1 column: Newton-Schulz transposes it to 1 x 3 (the same scalar iteration) and back,
    // and the shape factor is sqrt(max(1, 3/1)) = sqrt(3):
    //   p1 = p0 - 0.1 sqrt(3) O1 = [0.4597912048434994, -1.080417590313001, 2.0804175903130013]
    //   p2 = p1 - 0.1 sqrt(3) O2 = [0.3469216949829014, -1.1228391343626376, 2.077009765444748]
    [Test]
    public void ColumnMatrix_TwoSteps_ScaleBySqrtOfFanOutOverFanIn()
    {
        var p = Leaf(new double[,] { { 0.5 }, { -1 }, { 2 } });
        using var muon = new Muon([p], new MuonOptions { Lr = 0.1 });
        Step(muon, p, [1, 2, -2], 3, 1);
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.4597912048434994, -1.080417590313001, 2.0804175903130013 }).Within(1e-12));
        Step(muon, p, [2, 0, 1], 3, 1);
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.3469216949829014, -1.1228391343626376, 2.077009765444748 }).Within(1e-12));
    }

    // Without Nesterov u = m:
    //   t=1: u1 = m1 = [0.05, 0.1, -0.1], ||u1|| = 0.15, n0 = 0.9999993333337778, n5 = 0.6964370953904471
    //        p1 = [0.47678543015365177, -1.0464291396926964, 2.0464291396926964]
    //   t=2: u2 = m2 = [0.1475, 0.095, -0.045], ||u2|| = 0.18112495686679972, n5 = 0.6964369775189727
    //        p2 = [0.42007074214983753, -1.0829572438307462, 2.0637319258633515]
    [Test]
    public void RowMatrix_WithoutNesterov_OrthogonalizesTheMomentum()
    {
        var p = Leaf(new double[,] { { 0.5, -1, 2 } });
        using var muon = new Muon([p], new MuonOptions { Lr = 0.1, Nesterov = false });
        Step(muon, p, [1, 2, -2], 1, 3);
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.47678543015365177, -1.0464291396926964, 2.0464291396926964 }).Within(1e-12));
        Step(muon, p, [2, 0, 1], 1, 3);
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.42007074214983753, -1.0829572438307462, 2.0637319258633515 }).Within(1e-12));
    }

    [Test]
    public void WeightDecay_ShrinksBeforeTheStep()
    {
        // wd 0.5, lr 0.1: p1 = p0 (1 - 0.05) - 0.1 O1, with O1 = n5 g1/3 as above (n5 = 0.696436761221884)
        var p = Leaf(new double[,] { { 0.5, -1, 2 } });
        using var muon = new Muon([p], new MuonOptions { Lr = 0.1, WeightDecay = 0.5 });
        Step(muon, p, [1, 2, -2], 1, 3);
        double n5 = 0.696436761221884;
        var expected = new[] { 0.5 * 0.95 - 0.1 * n5 / 3, -1 * 0.95 - 0.1 * n5 * 2 / 3, 2 * 0.95 + 0.1 * n5 * 2 / 3 };
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Matrix_UpdateHasSingularValuesNearOneTimesLr()
    {
        // a 4 x 6 Gaussian gradient: p1 - p0 = -lr O, and O's singular values lie in about [0.7, 1.2]
        using var scope = Tensor.NewDisposeScope();
        var p = Tensor.Zeros([4, 6], DType.Float64).RequireGrad();
        using var muon = new Muon([p], new MuonOptions { Lr = 0.5 });
        p.Grad = Tensor.Randn([4, 6], new Generator(3), DType.Float64) * 10.0;
        muon.Step();
        var sv = NewtonSchulzTests.SingularValues(MuonTestKit.Doubles(p).Select(v => -v / 0.5).ToArray(), 4, 6);
        Assert.That(sv, Has.All.InRange(0.6, 1.25));
    }

    // The fallback's first step, by hand: m = 0.1 g, v = 0.05 g^2 (b2 0.95), bias corrections 0.1 and 0.05, so
    // p1 = p0 (1 - lr wd) - lr g / (|g| + eps). With p0 = [1, 1, 1], g = [0.5, -2, 0], lr 0.01, wd 0.1, eps 1e-8:
    //   p1[0] = 0.999 - 0.01 * 0.5/(0.5 + 1e-8) = 0.999 - 0.0099999998 = 0.9890000002
    //   p1[1] = 0.999 + 0.01 * 2/(2 + 1e-8)     = 0.999 + 0.009999999950000001 = 1.00899999995
    //   p1[2] = 0.999 - 0.01 * 0/(0 + 1e-8)     = 0.999
    [Test]
    public void AdamWFallback_FirstStep_ByHand()
    {
        var p = Leaf(new double[] { 1, 1, 1 });
        using var muon = new Muon([p], new MuonOptions { UseMuon = false, Lr = 0.01, WeightDecay = 0.1 });
        p.Grad = Tensor.FromArray(new double[] { 0.5, -2, 0 });
        muon.Step();
        Assert.That(MuonTestKit.Doubles(p), Is.EqualTo(new[] { 0.9890000002, 1.00899999995, 0.999 }).Within(1e-12));
        Assert.That(MuonTestKit.Doubles(muon.State(p)["exp_avg"]), Is.EqualTo(new[] { 0.05, -0.2, 0 }).Within(1e-15));
        Assert.That(MuonTestKit.Doubles(muon.State(p)["exp_avg_sq"]), Is.EqualTo(new[] { 0.0125, 0.2, 0 }).Within(1e-15));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void AdamWFallback_FollowsAdamW_BitForBit(DType dtype)
    {
        using var scope = Tensor.NewDisposeScope();
        var init = new[] { Tensor.Randn([5], new Generator(1), dtype), Tensor.Randn([2, 3, 2], new Generator(2), dtype) };
        var ours = MuonTestKit.Fresh(init);
        var theirs = MuonTestKit.Fresh(init);
        using var muon = new Muon(ours, new MuonOptions { UseMuon = false, Lr = 3e-3, WeightDecay = 0.2, AdamBeta1 = 0.8, AdamBeta2 = 0.97, AdamEps = 1e-6 });
        using var adamw = new AdamW(theirs, new AdamOptions { Lr = 3e-3, WeightDecay = 0.2, Beta1 = 0.8, Beta2 = 0.97, Eps = 1e-6 });
        MuonTestKit.Run(muon, ours, 0, 4);
        MuonTestKit.Run(adamw, theirs, 0, 4);
        for (int i = 0; i < init.Length; i++)
        {
            Assert.That(MuonTestKit.Doubles(ours[i]), Is.EqualTo(MuonTestKit.Doubles(theirs[i])), $"parameter {i}");
            Assert.That(MuonTestKit.Doubles(ours[i]), Is.Not.EqualTo(MuonTestKit.Doubles(init[i])), "the parameters moved");
        }
    }

    [Test]
    public void StateBytes_OneBufferPerMuonMatrix_TwoPerAdamWParameter()
    {
        using var scope = Tensor.NewDisposeScope();
        var w = Tensor.Zeros([6, 5]).RequireGrad();          // Float32 matrix: 30 * 4 = 120 bytes of momentum
        var b = Tensor.Zeros([7]).RequireGrad();             // Float32 vector in AdamW: 2 * 7 * 4 = 56 bytes
        var h = Tensor.Zeros([3, 2], DType.Float64).RequireGrad(); // Float64 matrix in AdamW: 2 * 6 * 8 = 96 bytes
        using var muon = new Muon([w]);
        Assert.That(muon.StateBytes(), Is.EqualTo(120));
        muon.AddParamGroup([b, h], muon.Defaults with { UseMuon = false }, "adamw");
        Assert.That(muon.StateBytes(), Is.EqualTo(120 + 56 + 96));
        Assert.That(muon.State(w).Buffers.Keys, Is.EqualTo(new[] { "momentum_buffer" }));
        Assert.That(muon.State(b).Buffers.Keys, Is.EqualTo(new[] { "exp_avg", "exp_avg_sq" }));
    }

    [Test]
    public void ZeroGradient_LeavesEveryParameterUnchanged_NoNaN()
    {
        using var scope = Tensor.NewDisposeScope();
        var w = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }).RequireGrad();
        var b = Tensor.FromArray(new double[] { 1, -2 }).RequireGrad();
        using var muon = new Muon([w], new MuonOptions { Lr = 0.1 });
        muon.AddParamGroup([b], muon.Defaults with { UseMuon = false }, "adamw");
        for (int k = 0; k < 2; k++)
        {
            w.Grad = Tensor.ZerosLike(w);
            b.Grad = Tensor.ZerosLike(b);
            muon.Step();
        }
        Assert.That(MuonTestKit.Doubles(w), Is.EqualTo(new double[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(MuonTestKit.Doubles(b), Is.EqualTo(new double[] { 1, -2 }));
        Assert.That(MuonTestKit.Doubles(muon.State(w)["momentum_buffer"]), Has.All.EqualTo(0.0));
    }

    [Test]
    public void ConvexQuadratic_FallsBelowATenthInAHundredSteps()
    {
        // Muon takes steps of spectral size about lr whatever the gradient's size, so a constant lr 0.1 gets to within
        // about lr of the minimum: f goes from 48 to about 0.24 in 100 steps
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        using var muon = new Muon([x], new MuonOptions { Lr = 0.1 });
        var (start, end) = MuonTestKit.Minimize(muon, x, MuonTestKit.Quadratic, 100);
        TestContext.Out.WriteLine($"f: {start} -> {end}");
        Assert.That(start, Is.EqualTo(48.0));
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [Test]
    public void Rosenbrock_OnTheColumnsOfAMatrix_FallsBelowATenth()
    {
        // Muon needs a matrix: three columns (x, y), each a copy of the 2-D Rosenbrock from (-1.5, 2), f = 3 * 12.5.
        // The columns stay equal, so the gradient [2, 3] is rank 1 and Newton-Schulz turns it into its direction:
        // each column takes a normalised step of about lr/sqrt(3) along its momentum, a normalised gradient descent
        // that needs the learning rate to decay (linearly to 0 over 300 steps) to settle in the curved valley.
        var xy = MuonTestKit.RosenbrockStart(3);
        using var muon = new Muon([xy], new MuonOptions { Lr = 0.1 }) { Schedule = Schedules.LinearDecay(300) };
        var (start, end) = MuonTestKit.Minimize(muon, xy, MuonTestKit.Rosenbrock, 300);
        TestContext.Out.WriteLine($"f: {start} -> {end}");
        Assert.That(start, Is.EqualTo(37.5));
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [Test]
    public void StateDict_RoundTrip_BothGroups_BitForBit()
    {
        using var scope = Tensor.NewDisposeScope();
        var init = new[]
        {
            Tensor.Randn([4, 3], new Generator(1)),          // Muon
            Tensor.Randn([3, 5], new Generator(2)),          // Muon
            Tensor.Randn([3], new Generator(3)),             // AdamW
            Tensor.Randn([2, 2, 2], new Generator(4)),       // AdamW
        };
        MuonTestKit.AssertRoundTrip(init, ps =>
        {
            var muon = new Muon(ps[..2], new MuonOptions { Lr = 0.05, WeightDecay = 0.1 }, "muon");
            muon.AddParamGroup(ps[2..], muon.Defaults with { UseMuon = false, Lr = 1e-2 }, "adamw");
            return muon;
        });
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.WithOpenCL))]
    public void OnADevice_StepsMatchTheCpu(Device device)
    {
        TestDevices.Require(device);
        using var scope = Tensor.NewDisposeScope();
        var init = new[] { Tensor.Randn([4, 3], new Generator(1)), Tensor.Randn([3], new Generator(2)) };
        Muon Make(Tensor[] ps)
        {
            var muon = new Muon(ps[..1], new MuonOptions { Lr = 0.05, WeightDecay = 0.1 });
            muon.AddParamGroup(ps[1..], muon.Defaults with { UseMuon = false, Lr = 1e-2 });
            return muon;
        }
        MuonTestKit.AssertDeviceFollowsCpu(init, device, Make);
    }

    [Test]
    public void BadOptions_ThrowNamingMuonAndTheField()
    {
        using var scope = Tensor.NewDisposeScope();
        var w = Tensor.Zeros([2, 2]).RequireGrad();
        foreach (var (options, field) in new (MuonOptions, string)[]
        {
            (new MuonOptions { Lr = double.NaN }, "Lr"),
            (new MuonOptions { Momentum = 1 }, "Momentum"),
            (new MuonOptions { Momentum = -0.1 }, "Momentum"),
            (new MuonOptions { AdamBeta1 = 1 }, "AdamBeta1"),
            (new MuonOptions { AdamBeta2 = 1.5 }, "AdamBeta2"),
            (new MuonOptions { NsSteps = 0 }, "NsSteps"),
            (new MuonOptions { AdamEps = -1 }, "AdamEps"),
            (new MuonOptions { WeightDecay = -1 }, "WeightDecay"),
        })
        {
            var ex = Assert.Throws<ArgumentException>(() => new Muon([w], options), field);
            Assert.That(ex!.Message, Does.Contain("Muon").And.Contain(field));
        }
    }

    [Test]
    public void NonMatrixInAMuonGroup_Throws()
    {
        using var scope = Tensor.NewDisposeScope();
        var v = Tensor.Zeros([3]).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => new Muon([v]));
        Assert.That(ex!.Message, Does.Contain("Muon").And.Contain("UseMuon").And.Contain("[3]"));
        var w = Tensor.Zeros([2, 2]).RequireGrad();
        using var muon = new Muon([w]);
        var cube = Tensor.Zeros([2, 2, 2]).RequireGrad();
        Assert.Throws<ArgumentException>(() => muon.AddParamGroup([cube]));
        Assert.DoesNotThrow(() => muon.AddParamGroup([cube, v], muon.Defaults with { UseMuon = false }));
    }

    private static Dictionary<Tensor, string> Names(Module model) =>
        model.NamedParameters().ToDictionary(p => p.Parameter, p => p.Name, (IEqualityComparer<Tensor>)ReferenceEqualityComparer.Instance);

    /// <summary>Every parameter in exactly one list; returns the names of the Muon list.</summary>
    private static string[] CheckPartition(Module model, IReadOnlyList<Tensor> muon, IReadOnlyList<Tensor> adamw)
    {
        var names = Names(model);
        var all = muon.Concat(adamw).Select(p => names[p]).ToArray();
        Assert.That(all, Is.Unique, "no parameter in both groups");
        Assert.That(all, Is.EquivalentTo(names.Values), "every parameter in a group");
        Assert.That(muon.All(p => p.Rank == 2), Is.True);
        return muon.Select(p => names[p]).ToArray();
    }

    [Test]
    public void Split_Gpt_HiddenMatricesToMuon_EmbeddingsHeadAndVectorsToAdamW()
    {
        using var gpt = new Gpt(new GptConfig(VocabSize: 11, ContextLength: 4, Width: 8, Depth: 2, Heads: 2, TiedHead: false), new Generator(1));
        var (muon, adamw) = Muon.SplitParameters(gpt);
        var muonNames = CheckPartition(gpt, muon, adamw);
        var expected = new[] { 0, 1 }.SelectMany(i => new[] { "attn.query", "attn.key", "attn.value", "attn.out", "mlp.fc", "mlp.proj" }
                                      .Select(l => $"h.{i}.{l}.weight")).ToArray();
        Assert.That(muonNames, Is.EquivalentTo(expected));
        var names = Names(gpt);
        var adamNames = adamw.Select(p => names[p]).ToArray();
        Assert.That(adamNames, Does.Contain("wte.weight").And.Contain("wpe.weight").And.Contain("lm_head.weight").And.Contain("ln_f.weight"));
        Assert.That(adamw, Does.Contain(gpt.Head!.Weight));

        // tied: the head is the token embedding, in AdamW once
        using var tied = new Gpt(new GptConfig(11, 4, 8, 1, 2), new Generator(1));
        var (m2, a2) = Muon.SplitParameters(tied);
        CheckPartition(tied, m2, a2);
        Assert.That(a2, Does.Contain(tied.TokenEmbedding.Weight));

        // exclude by parameter name and by module prefix
        var (m3, a3) = Muon.SplitParameters(gpt, ["h.1", "h.0.attn.out.weight"]);
        var m3Names = CheckPartition(gpt, m3, a3);
        Assert.That(m3Names, Is.EquivalentTo(new[] { "h.0.attn.query.weight", "h.0.attn.key.weight", "h.0.attn.value.weight", "h.0.mlp.fc.weight", "h.0.mlp.proj.weight" }));
        var ex = Assert.Throws<ArgumentException>(() => Muon.SplitParameters(gpt, ["h.0.atn"]));
        Assert.That(ex!.Message, Does.Contain("h.0.atn"));
    }

    [Test]
    public void Split_VisionTransformer_PatchEmbedPositionsClsAndHeadToAdamW()
    {
        using var vit = new VisionTransformer(new VitConfig(8, 4, 1, 3, 8, 1, 16, 2), new Generator(2));
        var (muon, adamw) = Muon.SplitParameters(vit);
        var muonNames = CheckPartition(vit, muon, adamw);
        Assert.That(muonNames, Is.EquivalentTo(new[]
        {
            "blocks.0.attn.query.weight", "blocks.0.attn.key.weight", "blocks.0.attn.value.weight", "blocks.0.attn.out.weight",
            "blocks.0.mlp.fc.weight", "blocks.0.mlp.proj.weight",
        }));
        Assert.That(adamw, Does.Contain(vit.Head.Weight).And.Contain(vit.PatchEmbed.Weight).And.Contain(vit.PosEmbed).And.Contain(vit.ClsToken!));

        // the MAP head's attention and MLP are hidden layers; its probe is not a matrix
        using var map = new VisionTransformer(new VitConfig(8, 4, 1, 3, 8, 1, 16, 2, Head: VitHead.Map), new Generator(2));
        var (m2, a2) = Muon.SplitParameters(map);
        var m2Names = CheckPartition(map, m2, a2);
        Assert.That(m2Names, Does.Contain("attn_pool.attn.query.weight").And.Contain("attn_pool.mlp.fc.weight"));
        Assert.That(a2, Does.Contain(map.AttnPool!.Probe));
    }

    [Test]
    public void Split_GMlp_SpatialGateToMuon_StemAndHeadToAdamW()
    {
        using var gmlp = new GMlp(GMlpConfig.ImageClassifier(8, 4, 1, 3, 8, 1, 16), new Generator(3));
        var (muon, adamw) = Muon.SplitParameters(gmlp);
        var muonNames = CheckPartition(gmlp, muon, adamw);
        Assert.That(muonNames, Is.EquivalentTo(new[] { "blocks.0.proj_in.weight", "blocks.0.sgu.weight", "blocks.0.proj_out.weight" }));
    }

    [Test]
    public void ForModel_MakesTwoNamedGroups_AndTrainsAGpt()
    {
        using var gpt = new Gpt(new GptConfig(11, 4, 8, 1, 2, TiedHead: false), new Generator(4));
        using var muon = Muon.ForModel(gpt, lr: 0.05, adamLr: 1e-2, weightDecay: 0.01);
        Assert.That(muon.ParamGroups.Select(g => g.Name), Is.EqualTo(new[] { "muon", "adamw" }));
        var muonOptions = (MuonOptions)muon.ParamGroups[0].Options;
        var adamOptions = (MuonOptions)muon.ParamGroups[1].Options;
        Assert.That((muonOptions.UseMuon, muonOptions.Lr, muonOptions.WeightDecay), Is.EqualTo((true, 0.05, 0.01)));
        Assert.That((adamOptions.UseMuon, adamOptions.Lr, adamOptions.WeightDecay), Is.EqualTo((false, 1e-2, 0.0)));

        var tokens = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 4]).DetachFromDisposeScope();
        var labels = Tensor.FromArray(new[] { 2, 3, 4, 5, 6, 7, 8, 9 }, [8]).DetachFromDisposeScope();
        double first = 0, last = 0;
        for (int i = 0; i < 40; i++)
        {
            using var scope = Tensor.NewDisposeScope();
            muon.ZeroGrad();
            var loss = Functional.CrossEntropy(gpt.Call(tokens).Reshape(8, 11), labels);   // [2, 4, 11] -> [8, 11]
            if (i == 0) first = loss.Item<float>();
            last = loss.Item<float>();
            loss.Backward();
            muon.Step();
        }
        TestContext.Out.WriteLine($"loss {first} -> {last}");
        Assert.That(double.IsFinite(last), Is.True);
        Assert.That(last, Is.LessThan(0.5 * first));
    }
}
