// Initialisers: statistics of large draws, truncation bounds, fans and xavier/lecun bounds, the same values on every
// device for a seed, and that a parameter stays the same leaf.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class InitTests
{
    private static Tensor Param(int[] shape, DType dtype = DType.Float32, Device? device = null) =>
        Tensor.Zeros(shape, dtype, device ?? Device.Cpu).RequireGrad();

    private static (double Mean, double Std, double Min, double Max) Stats(Tensor t)
    {
        var v = Check.Values(t);
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, std, v.Min(), v.Max());
    }

    private static double Phi(double x) => Init.NormalCdf(x);
    private static double Pdf(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

    /// <summary>Mean and std of N(0, 1) truncated to [a, b].</summary>
    private static (double Mean, double Std) Truncated(double a, double b)
    {
        double z = Phi(b) - Phi(a);
        double mean = (Pdf(a) - Pdf(b)) / z;
        double variance = 1 + (a * Pdf(a) - b * Pdf(b)) / z - mean * mean;
        return (mean, Math.Sqrt(variance));
    }

    private const int N = 200_000; // mean within 4 std / sqrt(N) ~ 0.009 std; the std within ~1%

    [Test]
    public void Normal_HasTheAskedForMeanAndStd()
    {
        var p = Init.Normal(Param([400, 500]), std: 0.02, mean: 0.5, generator: new Generator(1));
        var s = Stats(p);
        Assert.That(s.Mean, Is.EqualTo(0.5).Within(4 * 0.02 / Math.Sqrt(N)));
        Assert.That(s.Std, Is.EqualTo(0.02).Within(0.02 * 0.01));
    }

    [Test]
    public void Uniform_StaysInItsRange_WithTheRightMoments()
    {
        var s = Stats(Init.Uniform(Param([N]), -3, 1, new Generator(2)));
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-3).And.LessThan(-2.99));
        Assert.That(s.Max, Is.LessThan(1).And.GreaterThan(0.99));
        Assert.That(s.Mean, Is.EqualTo(-1).Within(0.02));
        Assert.That(s.Std, Is.EqualTo(4 / Math.Sqrt(12)).Within(0.01));
    }

    [Test]
    public void TruncatedNormal_BoundsAreAbsolute_AsInPyTorch()
    {
        // std 0.02 with PyTorch's default a = -2, b = 2 truncates nothing: the std stays 0.02.
        var s = Stats(Init.TruncatedNormal(Param([N]), std: 0.02, generator: new Generator(3)));
        Assert.That(s.Std, Is.EqualTo(0.02).Within(0.0002));
        // Absolute bounds of ±0.03 around mean 0, std 0.02, are ±1.5 std.
        s = Stats(Init.TruncatedNormal(Param([N]), std: 0.02, a: -0.03, b: 0.03, generator: new Generator(4)));
        var expected = Truncated(-1.5, 1.5);
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-0.03f).And.LessThan(-0.0299));
        Assert.That(s.Max, Is.LessThanOrEqualTo(0.03f).And.GreaterThan(0.0299));
        Assert.That(s.Std, Is.EqualTo(0.02 * expected.Std).Within(0.02 * expected.Std * 0.01));
    }

    [TestCase(-2.0, 2.0)]
    [TestCase(-1.0, 3.0)]
    [TestCase(0.5, 4.0)]     // both bounds above the mean: sampled through the mirrored tail
    [TestCase(-6.0, -5.0)]   // far in the lower tail
    public void TruncatedNormal_StaysInBounds_WithTheTruncatedMoments(double a, double b)
    {
        const double mean = 1, std = 2;
        var s = Stats(Init.TruncatedNormal(Param([N], DType.Float64), std, mean, mean + a * std, mean + b * std, new Generator(5)));
        var expected = Truncated(a, b);
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(mean + a * std));
        Assert.That(s.Max, Is.LessThanOrEqualTo(mean + b * std));
        Assert.That(s.Mean, Is.EqualTo(mean + std * expected.Mean).Within(4 * std * expected.Std / Math.Sqrt(N)));
        Assert.That(s.Std, Is.EqualTo(std * expected.Std).Within(std * expected.Std * 0.01));
    }

    [Test]
    public void TruncatedNormalStd_BoundsAreInUnitsOfStd_AsInFlax()
    {
        var s = Stats(Init.TruncatedNormalStd(Param([N]), std: 0.02, generator: new Generator(6)));
        Assert.That(s.Min, Is.GreaterThanOrEqualTo(-0.04f).And.LessThan(-0.0399));
        Assert.That(s.Max, Is.LessThanOrEqualTo(0.04f).And.GreaterThan(0.0399));
        Assert.That(s.Std, Is.EqualTo(0.02 * Init.TruncatedStdCorrection).Within(0.0002));
        Assert.That(Truncated(-2, 2).Std, Is.EqualTo(Init.TruncatedStdCorrection).Within(1e-12), "the flax constant is the std of N(0,1) on [-2, 2]");
    }

    [Test]
    public void Fans_AreComputedAsPyTorchDoes()
    {
        Assert.That(Init.Fans(Param([30, 50])), Is.EqualTo((50, 30)));
        Assert.That(Init.Fans(Param([16, 3, 5, 5])), Is.EqualTo((3 * 25, 16 * 25)));   // a conv weight [out, in, kh, kw]
        var e = Assert.Throws<ArgumentException>(() => Init.XavierUniform(Param([5])));
        Assert.That(e!.Message, Does.Contain("Init.XavierUniform").And.Contain("rank 2 or more").And.Contain("[5]"));
    }

    [Test]
    public void XavierUniform_BoundIsGainSqrt6OverFanInPlusFanOut()
    {
        double gain = Init.Gain("relu"), r = gain * Math.Sqrt(6.0 / (300 + 700));
        var s = Stats(Init.XavierUniform(Param([300, 700]), gain, new Generator(7)));
        Assert.That(Math.Max(-s.Min, s.Max), Is.LessThanOrEqualTo(r).And.GreaterThan(0.999 * r));
        Assert.That(s.Std, Is.EqualTo(r / Math.Sqrt(3)).Within(0.01 * r));
    }

    [Test]
    public void XavierNormal_StdIsGainSqrt2OverFanInPlusFanOut()
    {
        var s = Stats(Init.XavierNormal(Param([300, 700]), 2, new Generator(8)));
        Assert.That(s.Std, Is.EqualTo(2 * Math.Sqrt(2.0 / 1000)).Within(0.01 * 2 * Math.Sqrt(2.0 / 1000)));
        Assert.That(s.Mean, Is.EqualTo(0).Within(0.001));
    }

    [Test]
    public void LecunUniform_BoundIsSqrt3OverFanIn()
    {
        double r = Math.Sqrt(3.0 / 400);
        var s = Stats(Init.LecunUniform(Param([500, 400]), new Generator(9)));
        Assert.That(Math.Max(-s.Min, s.Max), Is.LessThanOrEqualTo(r).And.GreaterThan(0.999 * r));
        Assert.That(s.Std, Is.EqualTo(Math.Sqrt(1.0 / 400)).Within(0.01 * Math.Sqrt(1.0 / 400)));
    }

    [Test]
    public void LecunNormal_IsFlaxsCorrectedTruncatedNormal()
    {
        // Variance exactly 1 / fan_in despite the truncation, values within 2 / 0.8796 std.
        double std = Math.Sqrt(1.0 / 400), bound = 2 * std / Init.TruncatedStdCorrection;
        var s = Stats(Init.LecunNormal(Param([500, 400]), new Generator(10)));
        Assert.That(s.Std, Is.EqualTo(std).Within(0.01 * std));
        Assert.That(Math.Max(-s.Min, s.Max), Is.LessThanOrEqualTo(bound * (1 + 1e-6)).And.GreaterThan(0.99 * bound));
    }

    [Test]
    public void SmallInit_StdIsSqrt2Over5Dim()
    {
        var s = Stats(Init.SmallInit(Param([400, 512]), 512, new Generator(11)));
        Assert.That(s.Std, Is.EqualTo(Math.Sqrt(2.0 / (5 * 512))).Within(0.01 * Math.Sqrt(2.0 / (5 * 512))));
        Assert.Throws<ArgumentOutOfRangeException>(() => Init.SmallInit(Param([2, 2]), 0));
    }

    [Test]
    public void Constants_FillEveryElement()
    {
        Assert.That(Check.Values(Init.Zeros(Tensor.Ones([2, 3], DType.Float32))), Is.All.EqualTo(0));
        Assert.That(Check.Values(Init.Ones(Param([4], DType.Float64))), Is.All.EqualTo(1));
        Assert.That(Check.Values(Init.Constant(Tensor.Zeros([2, 2], DType.BFloat16), 0.25)), Is.All.EqualTo(0.25));
        var e = Assert.Throws<ArgumentException>(() => Init.Ones(Tensor.Zeros([2], DType.Int32)));
        Assert.That(e!.Message, Does.Contain("floating-point").And.Contain("Int32"));
    }

    [Test]
    public void Gain_MatchesPyTorchsCalculateGain()
    {
        Assert.That(Init.Gain("linear"), Is.EqualTo(1));
        Assert.That(Init.Gain("tanh"), Is.EqualTo(5.0 / 3));
        Assert.That(Init.Gain("relu"), Is.EqualTo(Math.Sqrt(2)));
        Assert.That(Init.Gain("leaky_relu", 0.2), Is.EqualTo(Math.Sqrt(2 / 1.04)));
        Assert.That(Init.Gain("selu"), Is.EqualTo(0.75));
        Assert.Throws<ArgumentException>(() => Init.Gain("swish"));
    }

    [Test]
    public void InverseNormalCdf_InvertsTheCdfToDoublePrecision()
    {
        Assert.That(Init.InverseNormalCdf(0.975), Is.EqualTo(1.959963984540054).Within(1e-14));
        Assert.That(Init.InverseNormalCdf(0.5), Is.EqualTo(0).Within(1e-16));
        Assert.That(Init.InverseNormalCdf(0), Is.EqualTo(double.NegativeInfinity));
        foreach (var x in new[] { -8.0, -5, -2, -1e-3, 0.3, 1, 2.5, 3.5 })
            Assert.That(Init.InverseNormalCdf(Phi(x)), Is.EqualTo(x).Within(1e-12 * Math.Max(1, Math.Abs(x))), $"x = {x}");
    }

    [Test]
    public void Init_KeepsTheParameterALeaf_AndDoesNotRecordAGraph()
    {
        var p = Param([3, 4]);
        Assert.That(Init.XavierNormal(p, generator: new Generator(1)), Is.SameAs(p));
        Assert.That(p.RequiresGrad && p.GradFn is null, Is.True);
        Assert.That(Check.Values(p), Has.Some.Not.EqualTo(0));
        var before = Check.Values(p);
        Init.TruncatedNormal(p[1..], std: 1, generator: new Generator(2)); // a view: only its rows change
        var after = Check.Values(p);
        Assert.That(after[..4], Is.EqualTo(before[..4]));
        Assert.That(after[4..], Is.Not.EqualTo(before[4..]));
    }

    [Test]
    public void SameSeed_SameValues_AndTheGeneratorAdvances()
    {
        var g1 = new Generator(42);
        var g2 = new Generator(42);
        var a = Init.LecunNormal(Param([8, 8]), g1);
        var b = Init.LecunNormal(Param([8, 8]), g2);
        Assert.That(Check.Values(b), Is.EqualTo(Check.Values(a)));
        var c = Init.LecunNormal(Param([8, 8]), g1);
        Assert.That(Check.Values(c), Is.Not.EqualTo(Check.Values(a)));
        Assert.That(g1.Offset, Is.EqualTo(128UL));
    }

    private static readonly (string Name, Func<Tensor, Generator, Tensor> Apply)[] Randomised =
    [
        ("Normal", (p, g) => Init.Normal(p, 0.02, 0, g)),
        ("Uniform", (p, g) => Init.Uniform(p, -1, 1, g)),
        ("TruncatedNormal", (p, g) => Init.TruncatedNormal(p, 1, 0, -1, 2, g)),
        ("TruncatedNormalStd", (p, g) => Init.TruncatedNormalStd(p, 0.02, generator: g)),
        ("XavierUniform", (p, g) => Init.XavierUniform(p, 1, g)),
        ("XavierNormal", (p, g) => Init.XavierNormal(p, 1, g)),
        ("LecunUniform", (p, g) => Init.LecunUniform(p, g)),
        ("LecunNormal", (p, g) => Init.LecunNormal(p, g)),
        ("SmallInit", (p, g) => Init.SmallInit(p, 64, g)),
    ];

    public static IEnumerable<TestCaseData> RandomisedOnDevices() =>
        from init in Randomised
        from device in new[] { Device.Reference, Device.OpenCL(0) }
        select new TestCaseData(init.Name, device).SetArgDisplayNames(init.Name, device.ToString());

    [TestCaseSource(nameof(RandomisedOnDevices))]
    public void SameSeed_GivesTheSameValuesOnEveryDevice(string name, Device device)
    {
        TestDevices.Require(device);
        var apply = Randomised.Single(r => r.Name == name).Apply;
        var onCpu = apply(Param([33, 65]), new Generator(123)).ToArray<float>();
        var there = apply(Param([33, 65], device: device), new Generator(123));
        Assert.That(there.Device, Is.EqualTo(device));
        Assert.That(there.ToArray<float>(), Is.EqualTo(onCpu));
    }
}
