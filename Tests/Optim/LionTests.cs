// Lion: two hand-computed steps (weight decay, sign(0) = 0, the b1 interpolation), zero gradients, state size,
// convergence on a quadratic and on Rosenbrock, state dicts in memory and on disk, and bad options.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Optim;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Optim;

public class LionTests
{
    private static Tensor Param(params double[] values) => Tensor.FromArray(values).RequireGrad();

    private static void SetGrad(Tensor p, params double[] g) => p.Grad = Tensor.FromArray(g);

    [Test]
    public void Defaults_AreThePapers()
    {
        var o = new LionOptions();
        Assert.Multiple(() =>
        {
            Assert.That(o.Lr, Is.EqualTo(1e-4));
            Assert.That(o.Beta1, Is.EqualTo(0.9));
            Assert.That(o.Beta2, Is.EqualTo(0.99));
            Assert.That(o.WeightDecay, Is.EqualTo(0.0));
        });
    }

    [Test]
    public void TwoSteps_WithWeightDecay_MatchHandComputation()
    {
        var p = Param(1.0, -2.0, 0.5);
        using var opt = new Lion([p], new LionOptions { Lr = 0.1, WeightDecay = 0.5 });

        // t=1, m = 0, g = [0.5, 0, -1]:
        //   c = 0.9*0 + 0.1*g = [0.05, 0, -0.1]           sign(c) = [1, 0, -1]  (sign(0) = 0: the middle entry keeps only the decay)
        //   p = p*(1 - 0.1*0.5) - 0.1*sign(c) = [0.95 - 0.1, -1.9 - 0, 0.475 + 0.1] = [0.85, -1.9, 0.575]
        //   m = 0.99*0 + 0.01*g = [0.005, 0, -0.01]
        SetGrad(p, 0.5, 0.0, -1.0);
        opt.Step();
        Check.Close(p, [3], [0.85, -1.9, 0.575], atol: 0, rtol: 1e-12);
        Check.Close(opt.State(p)["exp_avg"], [3], [0.005, 0.0, -0.01], atol: 1e-15, rtol: 1e-12);

        // t=2, g = [-0.02, 0, 0.5]:
        //   c = 0.9*m + 0.1*g = [0.0045 - 0.002, 0, -0.009 + 0.05] = [0.0025, 0, 0.041]   sign(c) = [1, 0, 1]
        //   (entry 0: g < 0 but the momentum wins, so the step follows c, not g; entry 2: g wins over m)
        //   p = p*0.95 - 0.1*sign(c) = [0.8075 - 0.1, -1.805, 0.54625 - 0.1] = [0.7075, -1.805, 0.44625]
        //   m = 0.99*m + 0.01*g = [0.00495 - 0.0002, 0, -0.0099 + 0.005] = [0.00475, 0, -0.0049]
        SetGrad(p, -0.02, 0.0, 0.5);
        opt.Step();
        Check.Close(p, [3], [0.7075, -1.805, 0.44625], atol: 0, rtol: 1e-12);
        Check.Close(opt.State(p)["exp_avg"], [3], [0.00475, 0.0, -0.0049], atol: 1e-15, rtol: 1e-12);
    }

    [Test]
    public void Decay_UsesTheScheduledLr()
    {
        var p = Param(2.0, -4.0);
        using var opt = new Lion([p], new LionOptions { Lr = 0.1, WeightDecay = 1.0 }) { Schedule = _ => 0.5 };
        // lr = 0.1*0.5 = 0.05; c = 0.1*g = [0.1, 0]: p = p*(1 - 0.05*1) - 0.05*sign(c) = [1.9 - 0.05, -3.8] = [1.85, -3.8]
        SetGrad(p, 1.0, 0.0);
        opt.Step();
        Check.Close(p, [2], [1.85, -3.8], atol: 0, rtol: 1e-12);
    }

    [Test]
    public void ZeroGradient_WithoutDecay_MovesNothing()
    {
        var p = Tensor.FromArray(new double[,] { { 1.5, -2.0, 0.0 }, { 3.0, 0.25, -7.0 } }).RequireGrad();
        var before = Check.Values(p);
        using var opt = new Lion([p], new LionOptions { Lr = 0.1 });
        for (int t = 0; t < 3; t++)
        {
            p.Grad = Tensor.Zeros([2, 3], DType.Float64);
            opt.Step();
        }
        Assert.That(Check.Values(p), Is.EqualTo(before), "an all-zero gradient must not move the parameter");
        Assert.That(Check.Values(opt.State(p)["exp_avg"]), Is.All.EqualTo(0.0), "nor the momentum (and no NaN)");
    }

    [Test]
    public void StateBytes_IsOneBufferOfTheParameters()
    {
        var a = Tensor.Zeros([5, 7], DType.Float32).RequireGrad();
        var b = Tensor.Zeros([3], DType.Float32).RequireGrad();
        using var opt = new Lion([a, b]);
        Assert.That(opt.StateBytes(), Is.EqualTo(4 * (35 + 3)));
        Assert.That(opt.State(a).Buffers.Keys, Is.EqualTo(new[] { "exp_avg" }));
    }

    /// <summary>f(x) = sum c_i (x_i - t_i)^2 on a 2x3 parameter from 0; f(0) = 74.75.</summary>
    internal static Tensor Quadratic(Tensor x)
    {
        var c = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }); // not disposed here: backward reads them
        var t = Tensor.FromArray(new double[,] { { 1, -2, 0.5 }, { 3, -1, 2 } });
        return ((x - t).Square() * c).Sum();
    }

    /// <summary>(1 - x)^2 + 100 (y - x^2)^2 of a [2] parameter; 12.5 at (-1.5, 2).</summary>
    internal static Tensor Rosenbrock(Tensor p)
    {
        var x = p[0];
        var y = p[1];
        return (1 - x).Square() + (y - x.Square()).Square() * 100;
    }

    /// <summary>Runs <paramref name="steps"/> steps of <paramref name="f"/> and returns (start, end) values.</summary>
    internal static (double Start, double End) Minimise(Optimizer opt, Tensor p, Func<Tensor, Tensor> f, int steps)
    {
        double start;
        using (DotGrad.Autodiff.Autograd.NoGrad()) using (var f0 = f(p)) start = f0.Item<double>();
        for (int k = 0; k < steps; k++)
        {
            using var scope = Tensor.NewDisposeScope();
            opt.ZeroGrad();
            f(p).Backward();
            opt.Step();
        }
        double end;
        using (DotGrad.Autodiff.Autograd.NoGrad()) using (var f1 = f(p)) end = f1.Item<double>();
        TestContext.Out.WriteLine($"f: {start} -> {end} ({end / start:P3} of the start) after {steps} steps");
        return (start, end);
    }

    [Test]
    public void Quadratic_DropsBelowATenthOfItsStart()
    {
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        const int steps = 100;
        using var opt = new Lion([x], new LionOptions { Lr = 0.1 }) { Schedule = Schedules.LinearDecay(steps) };
        var (start, end) = Minimise(opt, x, Quadratic, steps);
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    [Test]
    public void Rosenbrock_DropsBelowATenthOfItsStart()
    {
        var p = Param(-1.5, 2.0);
        const int steps = 1000;
        using var opt = new Lion([p], new LionOptions { Lr = 0.01 }) { Schedule = Schedules.LinearDecay(steps) };
        var (start, end) = Minimise(opt, p, Rosenbrock, steps);
        Assert.That(end, Is.LessThan(0.1 * start));
    }

    // ---- state dicts ----

    private static Tensor[] FreshParameters()
    {
        var g = new Generator(7);
        return [Tensor.Randn([4, 3], g).RequireGrad(), Tensor.Randn([3], g).RequireGrad(), Tensor.Randn([2, 2, 2], g).RequireGrad()];
    }

    internal static Tensor[] CloneParameters(Tensor[] ps) => ps.Select(p => p.Detach().Clone().RequireGrad()).ToArray();

    private static Lion Make(Tensor[] ps) =>
        new(ps, new LionOptions { Lr = 0.01, WeightDecay = 0.1, Beta1 = 0.8 }) { Schedule = Schedules.LinearDecay(20) };

    /// <summary>Gradients of sum (p - 0.3)^2 (p + 1), nonlinear in p so that the path matters (shared with the SM3 tests).</summary>
    internal static void Steps(Optimizer opt, Tensor[] ps, int steps)
    {
        for (int k = 0; k < steps; k++)
        {
            using var scope = Tensor.NewDisposeScope();
            opt.ZeroGrad();
            ps.Select(p => ((p - 0.3).Square() * (p + 1)).Sum()).Aggregate((a, b) => a + b).Backward();
            opt.Step();
        }
    }

    internal static void AssertSame(Tensor[] expected, Tensor[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i].ToArray<float>(), Is.EqualTo(expected[i].ToArray<float>()), $"parameter {i}");
    }

    [Test]
    public void StateDict_RoundTrip_ContinuesBitForBit()
    {
        var straight = FreshParameters();
        var resumed = CloneParameters(straight);
        using (var opt = Make(straight)) Steps(opt, straight, 10);

        using var first = Make(resumed);
        Steps(first, resumed, 5);
        using var snapshot = first.StateDict();
        var moved = CloneParameters(resumed); // fresh tensors holding the parameters after 5 steps
        using var second = Make(moved);
        second.LoadStateDict(snapshot);
        Assert.That(second.StepCount, Is.EqualTo(5));
        Steps(second, moved, 5);
        AssertSame(straight, moved);
    }

    [Test]
    public void StateDict_RoundTripThroughAFile_ContinuesBitForBit()
    {
        var straight = FreshParameters();
        var resumed = CloneParameters(straight);
        using (var opt = Make(straight)) Steps(opt, straight, 10);

        string path = Path.Combine(Path.GetTempPath(), $"lion-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var first = Make(resumed))
            {
                Steps(first, resumed, 5);
                using var snapshot = first.StateDict();
                snapshot.Save(path);
            }
            var moved = CloneParameters(resumed);
            using var second = new Lion(moved); // default options: the file must bring back the saved ones
            second.Schedule = Schedules.LinearDecay(20);
            using (var loaded = OptimizerState.Load(path)) second.LoadStateDict(loaded);
            Assert.That(second.ParamGroups[0].Options, Is.EqualTo(new LionOptions { Lr = 0.01, WeightDecay = 0.1, Beta1 = 0.8 }));
            Steps(second, moved, 5);
            AssertSame(straight, moved);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void OpenCL_MatchesTheCpu()
    {
        var device = Device.OpenCL(0);
        TestDevices.Require(device);
        var cpu = FreshParameters();
        var cl = cpu.Select(p => p.Detach().To(device).RequireGrad()).ToArray();
        foreach (var ps in new[] { cpu, cl })
            using (var opt = Make(ps)) Steps(opt, ps, 5);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.That(cl[i].Device, Is.EqualTo(device));
            Check.Close(cl[i], cpu[i].Shape, Check.Values(cpu[i]), atol: 1e-5, rtol: 1e-5);
        }
    }

    // ---- bad options ----

    private static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new LionOptions { Lr = -1e-4 }, "Lr").SetName("Lr negative");
        yield return new TestCaseData(new LionOptions { Lr = double.NaN }, "Lr").SetName("Lr NaN");
        yield return new TestCaseData(new LionOptions { Lr = double.PositiveInfinity }, "Lr").SetName("Lr infinite");
        yield return new TestCaseData(new LionOptions { WeightDecay = -0.1 }, "WeightDecay").SetName("WeightDecay negative");
        yield return new TestCaseData(new LionOptions { Beta1 = 1.0 }, "Beta1").SetName("Beta1 one");
        yield return new TestCaseData(new LionOptions { Beta1 = -0.1 }, "Beta1").SetName("Beta1 negative");
        yield return new TestCaseData(new LionOptions { Beta2 = 1.5 }, "Beta2").SetName("Beta2 above one");
        yield return new TestCaseData(new LionOptions { Beta2 = double.NaN }, "Beta2").SetName("Beta2 NaN");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void BadOptions_ThrowNamingLionAndTheField(LionOptions options, string field)
    {
        var p = Param(1.0);
        var e = Assert.Throws<ArgumentException>(() => new Lion([p], options));
        Assert.That(e!.Message, Does.Contain("Lion").And.Contain(field));

        // The same check guards a group's options set later.
        using var opt = new Lion([p]);
        var e2 = Assert.Throws<ArgumentException>(() => opt.ParamGroups[0].Options = options);
        Assert.That(e2!.Message, Does.Contain("Lion").And.Contain(field));
    }
}
