// Adafactor: hand-computed steps (full, factored, relative step, Scaling-ViT), the factored-statistics identity, state
// sizes, all-zero gradients, convergence, state dicts and option checks.
using DotGrad.Backends;
using DotGrad.Optim;

namespace DotGrad.Tests.Optim;

public class AdafactorTests
{
    // beta2 at t = 2: 1 - 2^-0.8 = 1 - 0.5743491774985174 = 0.42565082250148256 (at t = 1 it is 1 - 1 = 0).
    private const double B2 = 0.42565082250148256;

    private static Tensor Param(double[] values) => Tensor.FromArray(values).RequireGrad();
    private static Tensor Param(double[,] values) => Tensor.FromArray(values).RequireGrad();

    /// <summary>One step with the gradient set by hand.</summary>
    private static void StepWith(Optimizer opt, Tensor p, Array grad)
    {
        p.Grad = Tensor.FromArray(grad);
        opt.Step();
    }

    private static double[] Values(Tensor t) => t.To(DType.Float64).ToArray<double>();

    private static void AssertClose(double[] actual, double[] expected, double rel = 1e-12, string what = "")
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(rel * Math.Max(1, Math.Abs(expected[i]))), $"{what} element {i}");
    }

    // ---- hand-computed steps --------------------------------------------------------------------------------------

    [Test]
    public void FullVectorFirstAndSecondStepsMatchHandComputationWithClippingBindingOnTheSecond()
    {
        var p = Param([1.0, -2.0, 0.5]);
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1 });
        Assert.That(opt.State(p).Buffers.Keys, Is.EquivalentTo(new[] { "exp_avg_sq" }));

        // t=1: beta2 = 0, v = g^2 = [0.09, 0.16, 1.44], u = g/|g| = [1, -1, 1], RMS(u) = 1 so no clipping;
        //      p = p - 0.1 u = [0.9, -1.9, 0.4]
        StepWith(opt, p, new[] { 0.3, -0.4, 1.2 });
        AssertClose(Values(opt.State(p)["exp_avg_sq"]), [0.09, 0.16, 1.44]);
        AssertClose(Values(p), [0.9, -1.9, 0.4]);

        // t=2: g = [0.9, 0.8, -0.3], v = B2 [0.09, 0.16, 1.44] + (1 - B2) [0.81, 0.64, 0.09]
        //        = [0.5035314077989326, 0.4356876051992884, 0.6646286103770014]
        //      u = g/sqrt(v) = [1.2683211277238602, 1.2119993433125504, -0.3679863746741843]
        //      RMS(u) = 1.0348904713650664 > 1: u / 1.0348904713650664 = [1.2255607359597083, 1.1711377936583662, -0.3555800201627076]
        //      p = [0.9, -1.9, 0.4] - 0.1 u = [0.7774439264040292, -2.0171137793658365, 0.43555800201627076]
        //      (unclipped it would be [0.773167887227614, -2.0211999343312548, 0.4367986374674184])
        StepWith(opt, p, new[] { 0.9, 0.8, -0.3 });
        AssertClose(Values(opt.State(p)["exp_avg_sq"]), [0.5035314077989326, 0.4356876051992884, 0.6646286103770014]);
        AssertClose(Values(p), [0.7774439264040292, -2.0171137793658365, 0.43555800201627076]);
    }

    [Test]
    public void FactoredMatrixFirstAndSecondStepsMatchHandComputationWithClippingBinding()
    {
        var p = Param(new[,] { { 1.0, 2.0, 3.0 }, { -1.0, 0.5, 0.0 } });
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1, MinDimToFactor = 2 });
        Assert.That(opt.State(p).Buffers.Keys, Is.EquivalentTo(new[] { "exp_avg_sq_row", "exp_avg_sq_col" }));

        // t=1: g = [[0.5, -1, 2], [0.1, 0.2, -0.3]], G2 = [[0.25, 1, 4], [0.01, 0.04, 0.09]], beta2 = 0
        //      R = row means = [5.25/3, 0.14/3] = [1.75, 0.046666...], C = column means = [0.13, 0.52, 2.045]
        //      mean(R) = 0.8983333..., u_ij = g_ij / sqrt(R_i C_j / mean(R))
        //        = [[0.99356906512808, -0.99356906512808, 1.00203541834862], [1.21686861688895, 1.21686861688895, -0.92042830468140]]
        //      RMS(u) = 1.0635757831940653 > 1, so u / 1.0635757831940653
        //        = [[0.9341779690999118, -0.9341779690999118, 0.9421382417521513], [1.1441296766221274, 1.1441296766221274, -0.8654092347958773]]
        //      p = p - 0.1 u
        StepWith(opt, p, new[,] { { 0.5, -1.0, 2.0 }, { 0.1, 0.2, -0.3 } });
        AssertClose(Values(opt.State(p)["exp_avg_sq_row"]), [1.75, 0.14 / 3]);
        AssertClose(Values(opt.State(p)["exp_avg_sq_col"]), [0.13, 0.52, 2.045]);
        AssertClose(Values(p), [0.9065822030900088, 2.093417796909991, 2.905786175824785, -1.1144129676622128, 0.38558703233778724, 0.08654092347958774]);

        // t=2: g = [[-0.4, 0.3, 1], [0.6, -0.2, 0.1]], row means of G2 = [0.41666..., 0.13666...], column means = [0.26, 0.065, 0.505]
        //      R = B2 [1.75, 0.04667] + (1 - B2) [0.41667, 0.13667] = [0.9842010966686434, 0.09835809264153325]
        //      C = B2 [0.13, 0.52, 2.045] + (1 - B2) [0.26, 0.065, 0.505] = [0.20466539307480727, 0.25867112423817457, 1.160502266652283]
        //      mean(R) = 0.5412795946550883, u = [[-0.65570227378265, 0.43743767510887, 0.68840800023663], [3.11124937147811, -0.92249027995386, 0.21776234364223]]
        //      RMS(u) = 1.39484074196537, u / RMS(u) = [[-0.47009113947930, 0.31361119728444, 0.49353878154336], [2.23054093408132, -0.66135885782490, 0.15611986163768]]
        //      p = p - 0.1 u
        StepWith(opt, p, new[,] { { -0.4, 0.3, 1.0 }, { 0.6, -0.2, 0.1 } });
        AssertClose(Values(opt.State(p)["exp_avg_sq_row"]), [0.9842010966686434, 0.09835809264153325]);
        AssertClose(Values(opt.State(p)["exp_avg_sq_col"]), [0.20466539307480727, 0.25867112423817457, 1.160502266652283]);
        AssertClose(Values(p), [0.9535913170379389, 2.0620566771815474, 2.856432297670449, -1.3374670610703443, 0.45172291812027754, 0.0709289373158202]);
    }

    [Test]
    public void FactoredMatrixWithoutClippingMatchesHandComputation()
    {
        // Clipping rescales u to RMS 1 and so hides any uniform error in u (a missing mean(R), say): check u unclipped.
        var p = Param(new[,] { { 1.0, 2.0, 3.0 }, { -1.0, 0.5, 0.0 } });
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1, MinDimToFactor = 2, ClipThreshold = null });

        // t=1: u = [[0.99356906512808, -0.99356906512808, 1.00203541834862], [1.21686861688895, 1.21686861688895, -0.92042830468140]]
        //      (as in the clipped test), p = p - 0.1 u
        StepWith(opt, p, new[,] { { 0.5, -1.0, 2.0 }, { 0.1, 0.2, -0.3 } });
        AssertClose(Values(p), [0.900643093487192, 2.099356906512808, 2.8997964581651376, -1.121686861688895, 0.3783131383111048, 0.0920428304681402]);

        // t=2: u = [[-0.65570227378265, 0.43743767510887, 0.68840800023663], [3.11124937147811, -0.92249027995386, 0.21776234364223]], p = p - 0.1 u
        StepWith(opt, p, new[,] { { -0.4, 0.3, 1.0 }, { 0.6, -0.2, 0.1 } });
        AssertClose(Values(p), [0.9662133208654573, 2.055613139001921, 2.830955658141475, -1.4328117988367062, 0.4705621663064905, 0.0702665961039176]);
    }

    [Test]
    public void RelativeStepWithParameterScaleMatchesHandComputationAndIgnoresTheLr()
    {
        var p = Param([3.0, -4.0]);
        // Lr 123 must have no effect: the relative step replaces it. The decay uses the effective step size a.
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 123, RelativeStep = true, ScaleParameter = true, WeightDecay = 0.5 });

        // t=1: rho = min(1e-2, 1/sqrt(1)) = 0.01, RMS(p) = sqrt((9 + 16)/2) = 3.5355339059327378, a = 0.035355339059327376
        //      u = g/|g| = [1, 1] (RMS 1, no clipping)
        //      p = p - a 0.5 p - a u = [3 - 0.0530330 - 0.0353553, -4 + 0.0707107 - 0.0353553] = [2.9116116523516817, -3.9646446609406727]
        StepWith(opt, p, new[] { 0.5, 2.0 });
        AssertClose(Values(p), [2.9116116523516817, -3.9646446609406727]);

        // t=2: rho = min(0.01, 0.7071) = 0.01, RMS(p) = 3.4782100067157726, a = 0.03478210006715773
        //      v = B2 [0.25, 4] + (1 - B2) [1, 0.25] = [0.6807618831238881, 1.8461905843805595]
        //      u = g/sqrt(v) = [-1.2119993433125504, 0.3679863746741843] (RMS 0.8956 < 1, no clipping)
        //      p = p - a 0.5 p - a u = [2.903131550867709, -3.9084946661841604]
        StepWith(opt, p, new[] { -1.0, 0.5 });
        AssertClose(Values(opt.State(p)["exp_avg_sq"]), [0.6807618831238881, 1.8461905843805595]);
        AssertClose(Values(p), [2.903131550867709, -3.9084946661841604]);
    }

    [Test]
    public void ScalingVitPresetStoresMomentumInBFloat16AndDecaysByTheScheduleNotTheLr()
    {
        var p = Param([1.0, -2.0, 0.5]);
        using var opt = new Adafactor([p], AdafactorOptions.ScalingVit(lr: 0.1, weightDecay: 0.2)) { Schedule = Schedules.Constant(0.5) };
        Assert.That(opt.State(p)["exp_avg"].DType, Is.EqualTo(DType.BFloat16));

        // t=1: lr = 0.1 * 0.5 = 0.05, decay factor 1 - 0.2 * 0.5 = 0.9 (lr-scaled it would be 1 - 0.05*0.2 = 0.99)
        //      v = g^2, u = g/|g| = [1, -1, 1] (no clipping), m = 0.9*0 + 0.1 u = [0.1, -0.1, 0.1]
        //      stored m = bf16(0.1) = 0.10009765625 (float 0x3DCCCCCD rounds to 0x3DCD); the step uses the unrounded 0.1
        //      p = 0.9 p - 0.05 m = [0.9 - 0.005, -1.8 + 0.005, 0.45 - 0.005] = [0.895, -1.795, 0.445]
        StepWith(opt, p, new[] { 0.3, -0.4, 1.2 });
        Assert.That(opt.State(p)["exp_avg"].DType, Is.EqualTo(DType.BFloat16));
        AssertClose(Values(opt.State(p)["exp_avg"]), [0.10009765625, -0.10009765625, 0.10009765625], 0);
        AssertClose(Values(p), [0.895, -1.795, 0.445]);

        // t=2: beta2 = min(0.999, B2) = B2, v = [0.5035314077989326, 0.4356876051992884, 0.6646286103770014]
        //      u = g/sqrt(v) = [1.2683211277238602, 1.2119993433125504, -0.3679863746741843] (RMS 1.035, not clipped)
        //      m = 0.9 [0.10009765625, -0.10009765625, 0.10009765625] + 0.1 u = [0.21692000339738599, 0.03111204370625502, 0.053289253157581574]
        //      stored bf16(m) = [0.216796875, 0.0311279296875, 0.05322265625]
        //      p = 0.9 [0.895, -1.795, 0.445] - 0.05 m = [0.7946539998301307, -1.6170556021853129, 0.39783553734212096]
        StepWith(opt, p, new[] { 0.9, 0.8, -0.3 });
        AssertClose(Values(opt.State(p)["exp_avg"]), [0.216796875, 0.0311279296875, 0.05322265625], 0);
        AssertClose(Values(p), [0.7946539998301307, -1.6170556021853129, 0.39783553734212096]);
    }

    [Test]
    public void ParameterScaleIsFlooredAtEps2()
    {
        var p = Param([0.0, 0.0]);
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1, ScaleParameter = true, Eps2 = 2e-3 });
        // t=1: RMS(p) = 0, a = 0.1 max(2e-3, 0) = 2e-4, u = g/|g| = [1, -1], p = [-2e-4, 2e-4]
        StepWith(opt, p, new[] { 5.0, -0.5 });
        AssertClose(Values(p), [-2e-4, 2e-4]);
    }

    [Test]
    public void Beta2CapBindsOnTheSecondStep()
    {
        var p = Param([1.0, -2.0]);
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1, Beta2Cap = 0.3 });
        StepWith(opt, p, new[] { 0.3, -0.4 });
        // t=2: beta2 = min(0.3, 0.42565) = 0.3, v = 0.3 [0.09, 0.16] + 0.7 [0.81, 0.64] = [0.594, 0.496]
        StepWith(opt, p, new[] { 0.9, 0.8 });
        AssertClose(Values(opt.State(p)["exp_avg_sq"]), [0.594, 0.496]);
    }

    [Test]
    public void DefaultDecayIsDecoupledAndScaledByTheLrTimesSchedule()
    {
        var p = Param([2.0]);
        using var opt = new Adafactor([p], new AdafactorOptions { Lr = 0.1, WeightDecay = 0.5 }) { Schedule = Schedules.Constant(0.5) };
        // t=1: lr = 0.05, u = 1, p = 2 (1 - 0.05*0.5) - 0.05 = 2*0.975 - 0.05 = 1.9
        StepWith(opt, p, new[] { 3.0 });
        AssertClose(Values(p), [1.9]);
    }

    // ---- factoring ----------------------------------------------------------------------------------------------------

    [Test]
    public void FactoredAxesAreTheTwoLargestWithTiesGoingToTheLaterAxis()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Adafactor.FactoredAxes([7], 1), Is.Null);
            Assert.That(Adafactor.FactoredAxes([100, 200], 128), Is.Null);
            Assert.That(Adafactor.FactoredAxes([200, 130], 128), Is.EqualTo((0, 1)));
            Assert.That(Adafactor.FactoredAxes([130, 1, 200], 128), Is.EqualTo((0, 2)));
            Assert.That(Adafactor.FactoredAxes([5, 2, 5, 5], 1), Is.EqualTo((2, 3)));
            Assert.That(Adafactor.FactoredAxes([4, 6, 4], 1), Is.EqualTo((1, 2)));
            Assert.That(Adafactor.FactoredAxes([3, 3], 3), Is.EqualTo((0, 1)));
            Assert.That(Adafactor.FactoredAxes([3, 3], 4), Is.Null);
        });
        var p = Tensor.Zeros([5, 2, 5, 5], DType.Float32).RequireGrad();
        using var opt = new Adafactor([p], new AdafactorOptions { MinDimToFactor = 1 });
        Assert.That(opt.State(p)["exp_avg_sq_row"].Shape, Is.EqualTo(new[] { 5, 2, 5 }));   // axis 3 averaged away
        Assert.That(opt.State(p)["exp_avg_sq_col"].Shape, Is.EqualTo(new[] { 5, 2, 5 }));   // axis 2 averaged away
    }

    /// <summary>Runs <paramref name="steps"/> updates with gradients <c>scales[k] * grad</c> and returns the parameter.</summary>
    private static double[] RunWithGradients(Tensor start, Tensor grad, double[] scales, AdafactorOptions options, out Adafactor optimizer)
    {
        var p = start.Clone().RequireGrad();
        optimizer = new Adafactor([p], options);
        foreach (var s in scales)
        {
            p.Grad = grad * s;
            optimizer.Step();
        }
        return Values(p);
    }

    [Test]
    public void RankOneGradientSquareGivesTheSameUpdateFactoredAsFull()
    {
        // g_ij = s_t a_i b_j: R_i = a_i^2 mean(b^2) E, C_j = b_j^2 mean(a^2) E, mean(R) = mean(a^2) mean(b^2) E with
        // E the EMA of s_t^2, so R_i C_j / mean(R) = a_i^2 b_j^2 E = the full v_ij (eps1 = 1e-30 is negligible).
        var a = Tensor.FromArray(new[,] { { 0.5 }, { -1.5 }, { 2.0 }, { 0.25 } });               // (4, 1)
        var b = Tensor.FromArray(new[,] { { 1.0, -0.3, 0.7, 2.5, -1.1 } });                       // (1, 5)
        var g = a * b;                                                                            // (4, 5)
        var start = Tensor.Randn([4, 5], new Generator(7), DType.Float64);
        double[] scales = [1.0, -0.5, 2.0, 0.3];
        var baseOptions = new AdafactorOptions { Lr = 0.1, Beta1 = 0.9 };
        var factored = RunWithGradients(start, g, scales, baseOptions with { MinDimToFactor = 2 }, out var f);
        var full = RunWithGradients(start, g, scales, baseOptions with { MinDimToFactor = 100 }, out var u);
        using (f)
        using (u)
        {
            Assert.That(f.State(f.ParamGroups[0].Parameters[0]).Has("exp_avg_sq_row"), Is.True);
            Assert.That(u.State(u.ParamGroups[0].Parameters[0]).Has("exp_avg_sq"), Is.True);
        }
        AssertClose(factored, full, 1e-12, "factored vs full");
        Assert.That(factored, Is.Not.EqualTo(Values(start)));
    }

    [Test]
    public void RankThreeTensorFactorsItsTwoLargestAxesAndKeepsTheOther()
    {
        // shape (5, 2, 4): the two largest axes are 0 (5) and 2 (4); axis 1 is kept in both statistics.
        // g[i,k,j] = A[i,k] B[k,j] is rank one in each k-slice, so the factored update equals the full one.
        var A = Tensor.Randn([5, 2, 1], new Generator(3), DType.Float64);                           // (5, 2, 1)
        var B = Tensor.Randn([1, 2, 4], new Generator(4), DType.Float64) * 3;                       // (1, 2, 4): the slices differ in scale
        var g = A * B;                                                                               // (5, 2, 4)
        var start = Tensor.Randn([5, 2, 4], new Generator(5), DType.Float64);
        double[] scales = [1.0, 0.5, -2.0];
        var factored = RunWithGradients(start, g, scales, new AdafactorOptions { Lr = 0.1, MinDimToFactor = 4 }, out var f);
        var full = RunWithGradients(start, g, scales, new AdafactorOptions { Lr = 0.1, MinDimToFactor = 6 }, out var u);
        using (f)
        using (u)
        {
            var state = f.State(f.ParamGroups[0].Parameters[0]);
            Assert.That(state["exp_avg_sq_row"].Shape, Is.EqualTo(new[] { 5, 2 }));
            Assert.That(state["exp_avg_sq_col"].Shape, Is.EqualTo(new[] { 2, 4 }));
            Assert.That(u.State(u.ParamGroups[0].Parameters[0])["exp_avg_sq"].Shape, Is.EqualTo(new[] { 5, 2, 4 }));
        }
        AssertClose(factored, full, 1e-12, "factored vs full");
    }

    // ---- state size ---------------------------------------------------------------------------------------------------

    [Test]
    public void StateBytesCountRowsPlusColumnsForFactoredMatrices()
    {
        Tensor F32(params int[] shape) => Tensor.Zeros(shape, DType.Float32).RequireGrad();
        using (var opt = new Adafactor([F32(130, 200)]))
            Assert.That(opt.StateBytes(), Is.EqualTo((130 + 200) * 4));
        using (var opt = new Adafactor([F32(100, 200)]))
            Assert.That(opt.StateBytes(), Is.EqualTo(100 * 200 * 4), "below MinDimToFactor 128: a full v");
        using (var opt = new Adafactor([F32(300)]))
            Assert.That(opt.StateBytes(), Is.EqualTo(300 * 4));
        using (var opt = new Adafactor([F32(40, 50)], AdafactorOptions.ScalingVit()))
            Assert.That(opt.StateBytes(), Is.EqualTo((40 + 50) * 4 + 40 * 50 * 2), "factored from 32, plus a BFloat16 momentum");
        using (var opt = new Adafactor([F32(300)], AdafactorOptions.ScalingVit()))
            Assert.That(opt.StateBytes(), Is.EqualTo(300 * 4 + 300 * 2));
        using (var opt = new Adafactor([F32(40, 50)], new AdafactorOptions { MinDimToFactor = 32, Beta1 = 0.9 }))
            Assert.That(opt.StateBytes(), Is.EqualTo((40 + 50) * 4 + 40 * 50 * 4), "momentum in the parameter's dtype");
    }

    // ---- all-zero gradients ----------------------------------------------------------------------------------------

    [TestCase(true, true, false, DType.Float32)]
    [TestCase(true, false, false, DType.Float32)]
    [TestCase(true, true, true, DType.Float32)]
    [TestCase(true, false, true, DType.Float32)]
    [TestCase(false, true, false, DType.Float32)]
    [TestCase(false, false, false, DType.Float32)]
    [TestCase(false, true, true, DType.Float32)]
    [TestCase(false, false, true, DType.Float32)]
    [TestCase(true, true, true, DType.Float64)]
    [TestCase(false, false, true, DType.Float64)]
    public void AllZeroGradientGivesAZeroUpdateAndNoNaN(bool factored, bool clip, bool momentum, DType dtype)
    {
        var options = new AdafactorOptions
        {
            Lr = 0.1,
            MinDimToFactor = factored ? 32 : 64,
            ClipThreshold = clip ? 1.0 : null,
            Beta1 = momentum ? 0.9 : null,
            MomentumDType = momentum && dtype == DType.Float32 ? DType.BFloat16 : null,
        };
        AssertZeroGradientLeavesParametersAlone(options, dtype, factored);
    }

    [Test]
    public void AllZeroGradientGivesAZeroUpdateUnderThePresets()
    {
        AssertZeroGradientLeavesParametersAlone(AdafactorOptions.ScalingVit(0.1), DType.Float32, factored: true);
        AssertZeroGradientLeavesParametersAlone(AdafactorOptions.Paper, DType.Float32, factored: true);
    }

    private static void AssertZeroGradientLeavesParametersAlone(AdafactorOptions options, DType dtype, bool factored)
    {
        var w = Tensor.Randn([40, 48], new Generator(1), dtype).RequireGrad();
        var v = Tensor.Randn([48], new Generator(2), dtype).RequireGrad();
        var before = new[] { Values(w), Values(v) };
        using var opt = new Adafactor([w, v], options);
        Assert.That(opt.State(w).Has("exp_avg_sq_row"), Is.EqualTo(factored));
        for (int k = 0; k < 3; k++)
        {
            w.Grad = Tensor.ZerosLike(w);
            v.Grad = Tensor.ZerosLike(v);
            opt.Step();
        }
        Assert.That(Values(w), Is.EqualTo(before[0]), "matrix");
        Assert.That(Values(v), Is.EqualTo(before[1]), "vector");
        foreach (var p in new[] { w, v })
            foreach (var (name, buffer) in opt.State(p).Buffers)
                Assert.That(Values(buffer).All(double.IsFinite), Is.True, $"buffer {name} of [{string.Join(", ", p.Shape)}]");
    }

    // ---- convergence --------------------------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> QuadraticCases()
    {
        yield return new TestCaseData(new AdafactorOptions { Lr = 0.1, MinDimToFactor = 2 }).SetName("Quadratic_Plain");
        yield return new TestCaseData(AdafactorOptions.ScalingVit(lr: 0.1) with { MinDimToFactor = 2 }).SetName("Quadratic_ScalingVit");
    }

    [TestCaseSource(nameof(QuadraticCases))]
    public void ConvexQuadraticOnAFactoredMatrixFallsBelowTenPercentIn50Steps(AdafactorOptions options)
    {
        // f(X) = sum_ij c_ij (x_ij - t_ij)^2 on a 2x3 Float64 parameter from 0 (f = 21.125), factored (MinDimToFactor 2).
        var c = Tensor.FromArray(new[,] { { 1.0, 2.0, 3.0 }, { 0.5, 4.0, 1.5 } });
        var target = Tensor.FromArray(new[,] { { 1.0, -1.0, 2.0 }, { 0.5, 0.0, -2.0 } });
        var x = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        double Loss() => ((x - target).Square() * c).Sum().Item();
        double start = Loss();
        using var opt = new Adafactor([x], options);
        Assert.That(opt.State(x).Has("exp_avg_sq_row"), Is.True);
        for (int k = 0; k < 50; k++)
        {
            opt.ZeroGrad();
            ((x - target).Square() * c).Sum().Backward();
            opt.Step();
        }
        Assert.That(Loss(), Is.LessThan(0.1 * start));
    }

    private static IEnumerable<TestCaseData> RosenbrockCases()
    {
        yield return new TestCaseData(new AdafactorOptions { Lr = 0.02 }, 1000).SetName("Rosenbrock_Plain");
        yield return new TestCaseData(AdafactorOptions.ScalingVit(lr: 0.05), 500).SetName("Rosenbrock_ScalingVit");
    }

    [TestCaseSource(nameof(RosenbrockCases))]
    public void RosenbrockFallsBelowTenPercentOfItsStart(AdafactorOptions options, int steps)
    {
        // (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2): 6.25 + 6.25 = 12.5.
        var p = Param([-1.5, 2.0]);
        Tensor Loss()
        {
            var x = p[0];
            var y = p[1];
            return (1 - x).Square() + (y - x.Square()).Square() * 100;
        }
        double start = Loss().Item();
        Assert.That(start, Is.EqualTo(12.5).Within(1e-12));
        using var opt = new Adafactor([p], options);
        for (int k = 0; k < steps; k++)
        {
            opt.ZeroGrad();
            Loss().Backward();
            opt.Step();
        }
        Assert.That(Loss().Item(), Is.LessThan(0.1 * start));
    }

    // ---- state dicts --------------------------------------------------------------------------------------------------

    private sealed class Problem
    {
        // A weighted least squares in Float32: a factored (40, 48) matrix, a rank-3 (2, 32, 40) tensor and a vector.
        private readonly Tensor[] _targets, _weights;
        private readonly Device _device;

        /// <summary>The constants are drawn on the CPU and copied to <paramref name="device"/>, so every device sees the same problem.</summary>
        public Problem(Device? device = null)
        {
            var d = device ?? Device.Cpu;
            int[][] shapes = [[40, 48], [2, 32, 40], [48]];
            _targets = shapes.Select((s, i) => Tensor.Randn(s, new Generator(10 + (ulong)i)).To(d)).ToArray();
            _weights = shapes.Select((s, i) => (Tensor.Rand(s, new Generator(20 + (ulong)i)) + 0.1).To(d)).ToArray();
            Start = shapes.Select((s, i) => Tensor.Randn(s, new Generator(30 + (ulong)i)).To(d)).ToArray();
            _device = d;
        }

        public Tensor[] Start { get; }

        public static AdafactorOptions Options => AdafactorOptions.ScalingVit(lr: 0.05, weightDecay: 0.01);

        public static Func<int, double> Schedule => step => 1.0 / (1 + 0.1 * step);

        public void Steps(Optimizer opt, Tensor[] ps, int n)
        {
            for (int k = 0; k < n; k++)
            {
                opt.ZeroGrad();
                Tensor loss = Tensor.Scalar(0, DType.Float32, _device);
                for (int i = 0; i < ps.Length; i++) loss = loss + ((ps[i] - _targets[i]).Square() * _weights[i]).Sum();
                loss.Backward();
                opt.Step();
            }
        }
    }

    private static Tensor[] Fresh(IEnumerable<Tensor> values) => values.Select(v => v.Detach().Clone().RequireGrad()).ToArray();

    [TestCase(false)]
    [TestCase(true)]
    public void RestoredStateContinuesBitForBit(bool throughFile)
    {
        var problem = new Problem();
        var straight = Fresh(problem.Start);
        using var reference = new Adafactor(straight, Problem.Options) { Schedule = Problem.Schedule };
        problem.Steps(reference, straight, 10);

        var first = Fresh(problem.Start);
        using var before = new Adafactor(first, Problem.Options) { Schedule = Problem.Schedule };
        problem.Steps(before, first, 5);
        Assert.That(before.State(first[0]).Has("exp_avg_sq_row") && before.State(first[1]).Has("exp_avg_sq_col"), Is.True);
        Assert.That(before.State(first[0])["exp_avg"].DType, Is.EqualTo(DType.BFloat16));

        var second = Fresh(first);
        using var after = new Adafactor(second, Problem.Options) { Schedule = Problem.Schedule };
        string path = Path.Combine(Path.GetTempPath(), $"adafactor-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var saved = before.StateDict())
            {
                if (throughFile)
                {
                    saved.Save(path);
                    using var loaded = OptimizerState.Load(path);
                    after.LoadStateDict(loaded);
                }
                else after.LoadStateDict(saved);
            }
        }
        finally
        {
            File.Delete(path);
        }
        Assert.That(after.StepCount, Is.EqualTo(5));
        Assert.That(after.ParamGroups[0].Options, Is.EqualTo(Problem.Options));
        problem.Steps(after, second, 5);

        for (int i = 0; i < straight.Length; i++)
        {
            Assert.That(second[i].ToArray<float>(), Is.EqualTo(straight[i].ToArray<float>()), $"parameter {i}");
            foreach (var (name, buffer) in reference.State(straight[i]).Buffers)
                Assert.That(Values(after.State(second[i])[name]), Is.EqualTo(Values(buffer)), $"parameter {i} buffer {name}");
        }
        Assert.That(second[0].ToArray<float>(), Is.Not.EqualTo(first[0].ToArray<float>()), "the last five steps moved the parameter");
    }

    // ---- devices ------------------------------------------------------------------------------------------------------

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.WithOpenCL))]
    public void StepsOnTheDeviceMatchTheCpu(Device device)
    {
        TestDevices.Require(device);
        var problem = new Problem();
        var cpu = Fresh(problem.Start);
        using var onCpu = new Adafactor(cpu, Problem.Options) { Schedule = Problem.Schedule };
        problem.Steps(onCpu, cpu, 3);

        var onDeviceProblem = new Problem(device);
        var dev = Fresh(onDeviceProblem.Start);
        using var onDevice = new Adafactor(dev, Problem.Options) { Schedule = Problem.Schedule };
        onDeviceProblem.Steps(onDevice, dev, 3);
        Assert.That(onDevice.State(dev[0])["exp_avg"].Device, Is.EqualTo(device));
        for (int i = 0; i < cpu.Length; i++)
            AssertClose(Values(dev[i].To(Device.Cpu)), Values(cpu[i]), 1e-5, $"parameter {i}");
    }

    // ---- bad options --------------------------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> BadOptions()
    {
        var o = new AdafactorOptions();
        TestCaseData Case(AdafactorOptions options, string field, string label) => new TestCaseData(options, field).SetName($"BadOption_{label}");
        yield return Case(o with { Lr = -1e-3 }, "Lr", "NegativeLr");
        yield return Case(o with { Lr = double.NaN }, "Lr", "NaNLr");
        yield return Case(o with { WeightDecay = -0.1 }, "WeightDecay", "NegativeWeightDecay");
        yield return Case(o with { WeightDecay = double.PositiveInfinity }, "WeightDecay", "InfiniteWeightDecay");
        yield return Case(o with { Beta1 = 1.0 }, "Beta1", "Beta1One");
        yield return Case(o with { Beta1 = -0.1 }, "Beta1", "Beta1Negative");
        yield return Case(o with { Beta1 = double.NaN }, "Beta1", "Beta1NaN");
        yield return Case(o with { Beta2Decay = 0.5 }, "Beta2Decay", "Beta2DecayPositive");
        yield return Case(o with { Beta2Decay = double.NaN }, "Beta2Decay", "Beta2DecayNaN");
        yield return Case(o with { Beta2Cap = 1.0 }, "Beta2Cap", "Beta2CapOne");
        yield return Case(o with { Beta2Cap = double.NaN }, "Beta2Cap", "Beta2CapNaN");
        yield return Case(o with { Eps1 = 0 }, "Eps1", "Eps1Zero");
        yield return Case(o with { Eps1 = double.NaN }, "Eps1", "Eps1NaN");
        yield return Case(o with { Eps2 = -1e-3 }, "Eps2", "Eps2Negative");
        yield return Case(o with { Eps2 = double.NaN }, "Eps2", "Eps2NaN");
        yield return Case(o with { ClipThreshold = 0 }, "ClipThreshold", "ClipThresholdZero");
        yield return Case(o with { ClipThreshold = double.NaN }, "ClipThreshold", "ClipThresholdNaN");
        yield return Case(o with { MinDimToFactor = 0 }, "MinDimToFactor", "MinDimToFactorZero");
        yield return Case(o with { MomentumDType = DType.Int32 }, "MomentumDType", "MomentumDTypeInt");
        yield return Case(o with { WeightDecayMode = (AdafactorWeightDecay)7 }, "WeightDecayMode", "UnknownDecayMode");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void BadOptionsThrowNamingAdafactorAndTheField(AdafactorOptions options, string field)
    {
        var p = Param([1.0]);
        var e = Assert.Throws<ArgumentException>(() => new Adafactor([p], options));
        Assert.That(e!.Message, Does.Contain("Adafactor").And.Contain(field));

        // The same check guards a group's options changed later.
        using var opt = new Adafactor([p]);
        var later = Assert.Throws<ArgumentException>(() => opt.ParamGroups[0].Options = options);
        Assert.That(later!.Message, Does.Contain("Adafactor").And.Contain(field));
    }
}
