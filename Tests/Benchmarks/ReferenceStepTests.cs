// The reference training steps the benchmarks time: their parameter counts and matrix-multiply FLOPs are the
// definition's, one step of each trains (the loss falls on the fixed batch), and the FMA-peak loop measures a rate.
using DotGrad;
using DotGrad.Benchmarks;

namespace DotGrad.Tests.Benchmarks;

public class ReferenceStepTests
{
    [TestCase("gpt", 826_368L)]
    [TestCase("mlp", 669_706L)]
    [TestCase("vit", 205_066L)]
    public void ParameterCount_IsTheDefinitions(string name, long expected)
    {
        using var step = ReferenceSteps.Create(name);
        Assert.That(step.ParameterCount, Is.EqualTo(expected));
    }

    [TestCase("gpt", 22.753, 3)]
    [TestCase("mlp", 0.4108, 4)]
    [TestCase("vit", 8.559, 3)]
    public void MatMulGflopPerStep_IsTheDefinitions(string name, double expected, int digits)
    {
        var flops = ReferenceSteps.Flops(name);
        Assert.That(Math.Round(flops.PerStep / 1e9, digits), Is.EqualTo(expected));
        // Backward is twice forward except for layers on data, which skip the data's gradient.
        Assert.That(flops.Backward, Is.LessThanOrEqualTo(2 * flops.Forward));
        using var step = ReferenceSteps.Create(name);
        Assert.That(step.Flops.PerStep, Is.EqualTo(flops.PerStep));
    }

    [Test]
    public void MatMulFlops_GptByHand()
    {
        // Per block on 4096 rows: qkv 2*4096*128*384, q k^T and att v 2*128*128*128*32 each, Proj 2*4096*128*128,
        // FC1 and FC2 2*4096*128*512 each; the head 2*4096*128*65. Every product three times (forward, two grads).
        double block = 2.0 * 4096 * 128 * (384 + 128 + 512 + 512) + 2 * (2.0 * 128 * 128 * 128 * 32);
        double expected = 3 * (4 * block + 2.0 * 4096 * 128 * 65);
        Assert.That(ReferenceSteps.GptFlops().PerStep, Is.EqualTo(expected));
    }

    [Test]
    public void MatMulFlops_LayerOnData_CountsOneGradient()
    {
        var f = new MatMulFlops().Linear(10, 3, 4, onData: true);
        Assert.That(f.Forward, Is.EqualTo(2.0 * 10 * 3 * 4));
        Assert.That(f.Backward, Is.EqualTo(2.0 * 10 * 3 * 4));
        var g = new MatMulFlops().Linear(10, 3, 4);
        Assert.That(g.Backward, Is.EqualTo(4.0 * 10 * 3 * 4));
    }

    [Test]
    public void MatMulFlops_BadSizes_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => new MatMulFlops().Add(1, 0, 4, 4));
        Assert.That(e!.Message, Does.Contain("MatMulFlops.Add").And.Contain("m 0"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MatMulFlops().Add(1, 2, 2, 2, gradients: 3));
    }

    [TestCase("mlp", 5)]
    [TestCase("vit", 4)]
    [TestCase("gpt", 3)]
    public void Step_LowersTheLossOnTheFixedBatch(string name, int steps)
    {
        using var step = ReferenceSteps.Create(name);
        var losses = Enumerable.Range(0, steps).Select(_ => step.Step()).ToArray();
        Assert.That(losses, Has.All.Matches<double>(double.IsFinite));
        Assert.That(losses[^1], Is.LessThan(losses[0]), $"losses: {string.Join(", ", losses)}");
    }

    [Test]
    public void GptStep_FirstLoss_IsNearAUniformGuess()
    {
        // GPT-2's small initialisation gives nearly uniform logits: the loss starts near ln 65.
        using var step = ReferenceSteps.Gpt();
        Assert.That(step.Step(), Is.EqualTo(Math.Log(65)).Within(0.1));
    }

    [TestCase("mlp")]
    [TestCase("vit")]
    public void Step_UpdatesEveryParameter(string name)
    {
        using var step = ReferenceSteps.Create(name);
        var before = step.Model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        step.Step();
        var after = step.Model.Parameters().Select(p => p.ToArray<float>()).ToArray();
        for (int i = 0; i < before.Length; i++)
            Assert.That(after[i], Is.Not.EqualTo(before[i]), $"parameter {i} did not change");
    }

    [Test]
    public void Create_UnknownName_ThrowsNamingTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceSteps.Create("resnet"));
        Assert.That(e!.Message, Does.Contain("gpt, mlp, vit").And.Contain("resnet"));
        e = Assert.Throws<ArgumentException>(() => ReferenceSteps.Flops("resnet"));
        Assert.That(e!.Message, Does.Contain("ReferenceSteps.Flops").And.Contain("resnet"));
    }

    [Test]
    public void ReferenceVit_WrongImageShape_Throws()
    {
        using var vit = new ReferenceVit(new Generator(1));
        using var images = Tensor.Zeros([2, 28, 28, 1]);
        var e = Assert.Throws<ArgumentException>(() => vit.Call(images));
        Assert.That(e!.Message, Does.Contain("ReferenceVit").And.Contain("[2, 28, 28, 1]"));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void FmaPeak_MeasuresAPositiveFiniteRate(int threads)
    {
        double gflops = FmaPeak.MeasureGflops(threads, iterations: 2_000_000);
        Assert.That(double.IsFinite(gflops) && gflops > 0, Is.True, $"{gflops} GFLOP/s");
        Assert.That(float.IsFinite(FmaPeak.Run(1000)), Is.True);
        Assert.That(FmaPeak.FlopsPerIteration, Is.EqualTo(2L * FmaPeak.Lanes * FmaPeak.Accumulators));
    }

    [Test]
    public void FmaPeak_NoIterations_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FmaPeak.Run(0));
}
