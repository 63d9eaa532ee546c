// Cpu/OpenCL parity on a real model: the same tiny transformer, built from the same seed on both devices, gives
// the same loss and the same gradient for every parameter (Float32, relative 1e-4), and stays together over
// several SGD steps.
using DotGrad;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Backends;

public class OpenCLParityTests
{
    private const double Rel = 1e-4;

    private static (Tensor Tokens, Tensor Targets) Batch(Device device)
    {
        const int B = TinyTransformer.B, T = TinyTransformer.T, V = TinyTransformer.V;
        var sequence = new int[B, T + 1];
        for (int b = 0; b < B; b++)
            for (int t = 0; t <= T; t++)
                sequence[b, t] = (7 * b + 2 * t * t + 1) % V;
        var all = Tensor.FromArray(sequence, device);
        return (all[.., ..^1].Contiguous(), all[.., 1..].Contiguous());
    }

    /// <summary>|actual - expected| &lt;= Rel * (|expected| + 1e-2 * max|expected|): relative, with a floor for elements near 0.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        double scale = expected.Length == 0 ? 0 : expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (Math.Abs(a - e) > Rel * (Math.Abs(e) + 1e-2 * scale))
                Assert.Fail($"{what}: element {i} is {a:R} on OpenCL, {e:R} on the CPU (relative tolerance {Rel})");
        }
    }

    [Test]
    public void TinyTransformer_LossAndEveryParameterGradient_AgreeBetweenCpuAndOpenCL()
    {
        var gpu = Device.OpenCL(0);
        TestDevices.Require(gpu);
        using var cpuModel = new TinyTransformer(Device.Cpu, new Generator(11));
        using var clModel = new TinyTransformer(gpu, new Generator(11));
        // The same seed gives the same initial weights on both devices (one Philox stream).
        for (int k = 0; k < cpuModel.Parameters.Length; k++)
            Assert.That(clModel.Parameters[k].ToArray<float>(), Is.EqualTo(cpuModel.Parameters[k].ToArray<float>()), $"initial parameter {k}");

        var (cpuTokens, cpuTargets) = Batch(Device.Cpu);
        var (clTokens, clTargets) = Batch(gpu);
        const double lr = 0.1;
        for (int step = 0; step < 5; step++)
        {
            foreach (var p in cpuModel.Parameters.Concat(clModel.Parameters)) p.ZeroGrad();
            var cpuLoss = cpuModel.Loss(cpuTokens, cpuTargets);
            var clLoss = clModel.Loss(clTokens, clTargets);
            cpuLoss.Backward();
            clLoss.Backward();
            AssertClose([cpuLoss.Item<float>()], [clLoss.Item<float>()], $"loss at step {step}");
            for (int k = 0; k < cpuModel.Parameters.Length; k++)
                AssertClose(cpuModel.Parameters[k].Grad!.ToArray<float>(), clModel.Parameters[k].Grad!.ToArray<float>(),
                    $"gradient of parameter {k} {ShapeOf(cpuModel.Parameters[k])} at step {step}");
            using (AG.NoGrad())
                foreach (var p in cpuModel.Parameters.Concat(clModel.Parameters))
                    p.Detach()[..] = p - p.Grad! * lr;
        }
    }

    private static string ShapeOf(Tensor t) => "[" + string.Join(", ", t.Shape) + "]";
}
