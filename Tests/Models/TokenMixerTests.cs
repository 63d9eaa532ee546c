// The causal token mixers: gradient checks (Float64, every device), causality, shapes, shorter prefixes, and a
// parameter count written from each architecture.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using static DotGrad.Tests.Models.VisionTestKit;

namespace DotGrad.Tests.Models;

public class TokenMixerTests
{
    private const int C = 8, N = 5, H = 2, F = 6;   // width, context, heads, gMLP hidden

    public static IEnumerable<TokenMixerKind> Kinds => Enum.GetValues<TokenMixerKind>();

    public static IEnumerable<TestCaseData> KindsOnDevices() =>
        from device in new[] { Device.Cpu, Device.Reference, Device.OpenCL(0) }
        from kind in Enum.GetValues<TokenMixerKind>()
        select new TestCaseData(kind, device).SetArgDisplayNames(kind.ToString(), device.ToString());

    private static Module<Tensor, Tensor> Make(TokenMixerKind kind, ulong seed, DType dtype = DType.Float64, Device? device = null, int width = C, int heads = H) =>
        TokenMixers.Create(kind, width, N, heads, gateHidden: F, new Generator(seed), dtype, device);

    /// <summary>Makes every weight that starts small (gates, synthesizer logits) large enough for a leak or a wrong gradient to show.</summary>
    private static void Strengthen(Module<Tensor, Tensor> mixer, ulong seed)
    {
        switch (mixer)
        {
            case SpatialGatingMixer g: Randomize(g.Sgu.Weight, seed); break;
            case RandomSynthesizer r: Randomize(r.Logits, seed); break;
            case ContainerMixer c: Randomize(c.Alpha, seed); Randomize(c.Beta, seed + 1); break;
        }
    }

    [TestCaseSource(nameof(KindsOnDevices))]
    public void Gradient_WrtInputAndParameters_MatchesFiniteDifferences(TokenMixerKind kind, Device device)
    {
        TestDevices.Require(device);
        using var mixer = Make(kind, seed: 1, device: device);
        Strengthen(mixer, 2);
        var x = Tensor.Randn([2, N, C], new Generator(3), DType.Float64, device).RequireGrad();
        var result = GradCheckModel(mixer, x);
        Assert.That(result.Passed, Is.True, result.Message);
        // and on a prefix shorter than the context, which slices the position-indexed weights
        var prefix = Tensor.Randn([1, N - 2, C], new Generator(4), DType.Float64, device).RequireGrad();
        var shorter = GradCheckModel(mixer, prefix);
        Assert.That(shorter.Passed, Is.True, shorter.Message);
    }

    [TestCaseSource(nameof(Kinds))]
    public void ChangingTokenT_ChangesNoOutputBeforeT(TokenMixerKind kind)
    {
        using var mixer = Make(kind, seed: 5);
        Strengthen(mixer, 6);
        using var x = Tensor.Randn([2, N, C], new Generator(7), DType.Float64);
        var y = Check.Values(mixer.Call(x));
        for (int changed = 0; changed < N; changed++)
        {
            using var x2 = x.Clone();
            using (global::DotGrad.Autodiff.Autograd.NoGrad()) { using var noise = Tensor.Randn([2, C], new Generator(8 + (ulong)changed), DType.Float64); using var row = x2[.., changed]; row[TensorIndex.Ellipsis] = noise; }
            var y2 = Check.Values(mixer.Call(x2));
            for (int b = 0; b < 2; b++)
                for (int t = 0; t < N; t++)
                {
                    double diff = Enumerable.Range(0, C).Max(c => Math.Abs(y[(b * N + t) * C + c] - y2[(b * N + t) * C + c]));
                    if (t < changed) Assert.That(diff, Is.LessThan(1e-12), $"{kind}: output {t} changed when only input {changed} did");
                    if (t == changed) Assert.That(diff, Is.GreaterThan(1e-9), $"{kind}: output {t} must read its own input");
                }
        }
    }

    [TestCaseSource(nameof(Kinds))]
    public void Shape_IsTheInputShape_AndAPrefixGivesThePrefixOfTheOutput(TokenMixerKind kind)
    {
        using var mixer = Make(kind, seed: 9);
        Strengthen(mixer, 10);
        using var x = Tensor.Randn([3, N, C], new Generator(11), DType.Float64);
        using var y = mixer.Call(x);
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, N, C }));
        using var prefix = x[.., ..3];
        using var yPrefix = mixer.Call(prefix);
        Assert.That(yPrefix.Shape, Is.EqualTo(new[] { 3, 3, C }));
        using var yHead = y[.., ..3];
        Check.Close(Check.Values(yPrefix), Check.Values(yHead), atol: 1e-12);
        if (kind == TokenMixerKind.Attention) return;   // attention has no position-indexed weights, so no length limit of its own
        using var tooLong = Tensor.Zeros([1, N + 1, C], DType.Float64);
        Bad(() => mixer.Call(tooLong), $"{N + 1} positions", $"context of {N}");
    }

    [TestCaseSource(nameof(Kinds))]
    public void ParameterCount_MatchesTheArchitecture(TokenMixerKind kind)
    {
        using var mixer = Make(kind, seed: 12, dtype: DType.Float32);
        const int hs = C / H;
        long linear(int i, int o) => (long)i * o + o;
        long expected = kind switch
        {
            TokenMixerKind.Attention => 4 * linear(C, C),                                       // 288: q, k, v, out
            TokenMixerKind.Mixer => H * (N * N + N + N * N + N),                                // 120: per head W1, b1, W2, b2
            TokenMixerKind.GMlp or TokenMixerKind.GMlpTanh =>
                linear(C, F) + (2 * (F / 2) + N * N + N) + linear(F / 2, C),                    // 54 + 36 + 32
            TokenMixerKind.SynthesizerDense => linear(C, C) + linear(C, H * N) + linear(C, C),  // 72 + 90 + 72
            TokenMixerKind.SynthesizerRandom => H * N * N + linear(C, C),                       // 50 + 72
            TokenMixerKind.Container => 3 * linear(C, C) + N * N + 2,                           // 216 + 25 + 2
            _ => throw new InvalidOperationException(kind.ToString()),
        };
        Assert.That(hs, Is.EqualTo(4));
        Assert.That(mixer.ParameterCount(), Is.EqualTo(expected));
        Assert.That(TokenMixers.ParameterCount(kind, C, N, H, F), Is.EqualTo(expected));
    }

    [Test]
    public void MixerWithOneHead_IsOneTokenMlpSharedByAllChannels()
    {
        using var mixer = (CausalMixerTokenMlp)Make(TokenMixerKind.Mixer, seed: 13, heads: 1);
        Assert.That(mixer.W1.Shape, Is.EqualTo(new[] { 1, N, N }));
        using var x = Tensor.Randn([1, N, C], new Generator(14), DType.Float64);
        // the plain Mixer's token MLP, written directly on channel 0: y[:, 0] = W2 gelu(W1 x[:, 0] + b1) + b2, masked
        using var w1 = mixer.W1[0].Tril();
        using var w2 = mixer.W2[0].Tril();
        using var x0 = x[0, .., 0].Unsqueeze(-1);                                             // [N, 1]
        using var expected = w2.MatMul((w1.MatMul(x0) + mixer.B1[0].Unsqueeze(-1)).Gelu()) + mixer.B2[0].Unsqueeze(-1); // [N, 1]
        using var y = mixer.Call(x);
        using var y0 = y[0, .., 0];
        Check.Close(Check.Values(y0), Check.Values(expected), atol: 1e-12);
    }

    [Test]
    public void TanhGate_IsTheTanhOfThePlainGate()
    {
        using var plain = (SpatialGatingMixer)Make(TokenMixerKind.GMlp, seed: 15);
        using var tanh = (SpatialGatingMixer)Make(TokenMixerKind.GMlpTanh, seed: 15);
        Assert.That(tanh.Sgu.Tanh, Is.True);
        Assert.That(plain.Sgu.Tanh, Is.False);
        // both start with W uniform on ±0.02 / n and b = 1
        Assert.That(Check.Values(plain.Sgu.Weight).Max(Math.Abs), Is.LessThanOrEqualTo(0.02 / N).And.GreaterThan(0));
        Assert.That(Check.Values(plain.Sgu.Bias), Is.All.EqualTo(1.0));
        using var z = Tensor.Randn([2, N, F], new Generator(16), DType.Float64);
        using var z1 = z[.., .., ..(F / 2)];
        using var zeroW = global::DotGrad.Autodiff.Autograd.NoGrad();
        Init.Zeros(plain.Sgu.Weight);
        Init.Zeros(tanh.Sgu.Weight);
        Check.Close(Check.Values(plain.Sgu.Call(z)), Check.Values(z1), atol: 1e-12);
        Check.Close(Check.Values(tanh.Sgu.Call(z)), Check.Values(z1).Select(v => v * Math.Tanh(1)).ToArray(), atol: 1e-12);
    }

    [Test]
    public void BadArguments_NameTheProblem()
    {
        Bad(() => TokenMixers.Create(TokenMixerKind.Attention, 6, N, heads: 4), "heads = 4", "divide width = 6");
        Bad(() => TokenMixers.Create(TokenMixerKind.GMlp, 6, N, gateHidden: 5), "even", "gateHidden");
        using var mixer = Make(TokenMixerKind.SynthesizerRandom, seed: 1);
        using var wrongWidth = Tensor.Zeros([1, 2, C + 1], DType.Float64);
        Bad(() => mixer.Call(wrongWidth), $"C = {C}");
    }
}
