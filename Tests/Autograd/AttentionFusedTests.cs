// The fused attention (Functional.ScaledDotProductAttention without a mask) against its composition
// (Functional.ScaledDotProductAttentionComposite) on every device: values, first-order gradients, second-order
// gradients through the differentiable backward, odd sizes, strided inputs, the head-interleaved output layout.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Autograd;

[TestFixture("reference")]
[TestFixture("cpu")]
[TestFixture("opencl:0")]
public class AttentionFusedTests
{
    private readonly Device _device;

    public AttentionFusedTests(string device) => _device = Device.Parse(device);

    /// <summary>An absent OpenCL runtime skips this fixture with the reason shown.</summary>
    [OneTimeSetUp]
    public void RequireDevice() => TestDevices.Require(_device);

    private Tensor Randn(ulong seed, int[] shape, DType dtype = DType.Float64)
    {
        using var t = Tensor.Randn(shape, new Generator(seed), dtype);
        return t.To(_device);
    }

    /// <summary>q [.., Tq, D], k [.., Tk, D], v [.., Tk, Dv] requiring gradients.</summary>
    private (Tensor Q, Tensor K, Tensor V) Inputs(ulong seed, int[] batch, int Tq, int Tk, int D, int Dv, DType dtype = DType.Float64) =>
        (Randn(seed, [.. batch, Tq, D], dtype).RequireGrad(), Randn(seed + 1, [.. batch, Tk, D], dtype).RequireGrad(),
         Randn(seed + 2, [.. batch, Tk, Dv], dtype).RequireGrad());

    private static double[] Grad(Tensor y, Tensor x, Tensor v) => AG.Grad(y, x, v, retainGraph: true).ToArray<double>();

    public static IEnumerable<TestCaseData> Cases()
    {
        // batch dims, Tq, Tk, D, Dv
        foreach (bool causal in new[] { false, true })
        {
            string c = causal ? "causal" : "full";
            yield return new TestCaseData(new[] { 2, 3 }, 1, 1, 4, 4, causal).SetArgDisplayNames("[2, 3]", "T 1", "D 4", c);
            yield return new TestCaseData(new[] { 2, 2 }, 7, 7, 5, 3, causal).SetArgDisplayNames("[2, 2]", "T 7", "D 5 Dv 3", c);
            yield return new TestCaseData(new[] { 1, 2 }, 5, 9, 4, 6, causal).SetArgDisplayNames("[1, 2]", "Tq 5 Tk 9", "D 4 Dv 6", c);
            yield return new TestCaseData(new[] { 3 }, 9, 4, 3, 2, causal).SetArgDisplayNames("[3]", "Tq 9 Tk 4", "D 3 Dv 2", c);
            yield return new TestCaseData(new[] { 1, 1 }, 150, 150, 4, 4, causal).SetArgDisplayNames("[1, 1]", "T 150 (three query blocks)", "D 4", c);
            yield return new TestCaseData(Array.Empty<int>(), 6, 5, 2, 3, causal).SetArgDisplayNames("[]", "Tq 6 Tk 5", "D 2 Dv 3", c);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Fused_MatchesComposite_InValuesAndGradients(int[] batch, int Tq, int Tk, int D, int Dv, bool causal)
    {
        var (q, k, v) = Inputs(5, batch, Tq, Tk, D, Dv);
        var fused = F.ScaledDotProductAttention(q, k, v, causal);
        var composite = F.ScaledDotProductAttentionComposite(q, k, v, causal);
        Assert.That(fused.GradFn, Is.InstanceOf<DotGrad.Autodiff.Functions.AttentionFused>(), "the fused node is in the graph");
        Assert.That(composite.GradFn, Is.Not.InstanceOf<DotGrad.Autodiff.Functions.AttentionFused>(), "the composite has no fused node");
        int[] shape = [.. batch, Tq, Dv];
        Assert.That(fused.Shape, Is.EqualTo(shape));
        Check.Close(fused, shape, Check.Values(composite), atol: 1e-12, rtol: 1e-12);

        using var g = Randn(9, shape);
        foreach (var x in new[] { q, k, v })
            Check.Close(Grad(fused, x, g), Grad(composite, x, g), atol: 1e-11, rtol: 1e-10);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Fused_MatchesComposite_InFloat32(bool causal)
    {
        // GPT-reference-like heads: the composite rounds through more intermediates, so the tolerance is Float32's.
        var (q, k, v) = Inputs(11, [2, 4], 70, 70, 16, 16, DType.Float32);
        var fused = F.ScaledDotProductAttention(q, k, v, causal);
        var composite = F.ScaledDotProductAttentionComposite(q, k, v, causal);
        Check.Close(Check.Values(fused), Check.Values(composite), atol: 2e-5, rtol: 2e-5);
        using var g = Randn(12, [2, 4, 70, 16], DType.Float32);
        foreach (var x in new[] { q, k, v })
            Check.Close(Check.Values(AG.Grad(fused, x, g, retainGraph: true)), Check.Values(AG.Grad(composite, x, g, retainGraph: true)), atol: 1e-4, rtol: 1e-4);
    }

    [Test]
    public void Fused_MatchesComposite_InFloat32_AtRowLengthsAroundTheVectorWidth(
        [Values(false, true)] bool causal, [Values(0, 1, 2, 3)] int shape)
    {
        // The float row loops run whole 16-lane vectors with the dead lanes masked: rows of 5, 16, 37, 50 and 129 keys,
        // head dims that are and are not multiples of a vector, one and several query blocks.
        var (Tq, Tk, D, Dv) = new[] { (50, 50, 16, 16), (3, 37, 8, 24), (130, 16, 32, 32), (66, 5, 4, 16) }[shape];
        var (q, k, v) = Inputs(13 + (ulong)shape, [2, 3], Tq, Tk, D, Dv, DType.Float32);
        var fused = F.ScaledDotProductAttention(q, k, v, causal);
        var composite = F.ScaledDotProductAttentionComposite(q, k, v, causal);
        Check.Close(Check.Values(fused), Check.Values(composite), atol: 2e-5, rtol: 2e-5);
        using var g = Randn(14 + (ulong)shape, [2, 3, Tq, Dv], DType.Float32);
        foreach (var x in new[] { q, k, v })
            Check.Close(Check.Values(AG.Grad(fused, x, g, retainGraph: true)), Check.Values(AG.Grad(composite, x, g, retainGraph: true)), atol: 1e-4, rtol: 1e-4);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Fused_OnHeadViewsOfOneProjection_MatchesComposite_AndReturnsTheHeadsInterleaved(bool causal)
    {
        // As MultiHeadAttention makes them: qkv [B, T, 3C] split into q, k, v [B, T, C] column blocks and viewed
        // [B, T, H, hs] -> [B, H, T, hs]; rows are 3C apart, heads hs apart.
        int B = 2, T = 9, H = 3, hs = 4, C = H * hs;
        using var qkv = Randn(21, [B, T, 3 * C]).RequireGrad();
        Tensor Head(int i) => qkv[.., .., (i * C)..((i + 1) * C)].View(B, T, H, hs).Transpose(1, 2); // [B, H, T, hs]
        var (q, k, v) = (Head(0), Head(1), Head(2));
        Assert.That(q.IsContiguous, Is.False, "the head views are strided");
        var fused = F.ScaledDotProductAttention(q, k, v, causal);
        var composite = F.ScaledDotProductAttentionComposite(q, k, v, causal);
        Check.Close(Check.Values(fused), Check.Values(composite), atol: 1e-12, rtol: 1e-12);
        // The memory is [B, T, H, hs]: merging the heads back needs no copy.
        Assert.That(fused.IsContiguous, Is.False);
        Assert.That(fused.Transpose(1, 2).IsContiguous, Is.True, "[B, H, T, hs] -> [B, T, H, hs] is the memory order");
        using var g = Randn(22, [B, H, T, hs]);
        Check.Close(Grad(fused, qkv, g), Grad(composite, qkv, g), atol: 1e-11, rtol: 1e-10);
    }

    [Test]
    public void Fused_OnTransposedLastDims_MatchesComposite()
    {
        // q, k, v whose last dim is not unit-stride (transposed storage): copied before the kernel, same result.
        using var qs = Randn(31, [2, 3, 4, 5]).RequireGrad();
        using var ks = Randn(32, [2, 3, 4, 6]).RequireGrad();
        using var vs = Randn(33, [2, 3, 2, 6]).RequireGrad();
        var (q, k, v) = (qs.MT, ks.MT, vs.MT);                                           // [2, 3, 5, 4], [2, 3, 6, 4], [2, 3, 6, 2]
        foreach (bool causal in new[] { false, true })
        {
            var fused = F.ScaledDotProductAttention(q, k, v, causal, scale: 0.3);
            var composite = F.ScaledDotProductAttentionComposite(q, k, v, causal, scale: 0.3);
            Check.Close(Check.Values(fused), Check.Values(composite), atol: 1e-12, rtol: 1e-12);
            using var g = Randn(34, [2, 3, 5, 2]);
            foreach (var x in new[] { qs, ks, vs })
                Check.Close(Grad(fused, x, g), Grad(composite, x, g), atol: 1e-11, rtol: 1e-10);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Fused_SecondOrderGradients_MatchComposite(bool causal)
    {
        // d/dk of <dL/dq, w>: through the differentiable backward (createGraph) of each form.
        var (q, k, v) = Inputs(41, [2, 2], 5, 4, 3, 2);
        using var g = Randn(42, [2, 2, 5, 2]);
        using var w = Randn(43, [2, 2, 5, 3]);
        double[] SecondOrder(Tensor y)
        {
            var dq = AG.Grad([y], [q], [g], createGraph: true)[0];
            var dv = AG.Grad([y], [v], [g], createGraph: true)[0];
            var s = (dq * w).Sum() + dv.Square().Sum();
            return [.. Check.Values(AG.Grad(s, k, retainGraph: true)), .. Check.Values(AG.Grad(s, q, retainGraph: true))];
        }
        Check.Close(SecondOrder(F.ScaledDotProductAttention(q, k, v, causal)), SecondOrder(F.ScaledDotProductAttentionComposite(q, k, v, causal)),
                    atol: 1e-10, rtol: 1e-9);
    }

    [Test]
    public void MaskOrBroadcastBatch_TakeTheComposite_AndAgree()
    {
        var (q, k, v) = Inputs(51, [2, 3], 4, 4, 3, 3);
        using var mask = Tensor.FromArray(new[] { true, true, false, true }, [4]).To(_device);
        var masked = F.ScaledDotProductAttention(q, k, v, mask: mask);
        Assert.That(masked.GradFn, Is.Not.InstanceOf<DotGrad.Autodiff.Functions.AttentionFused>(), "a mask takes the composite");
        // k and v shared by the heads ([2, 1, 4, 3] broadcast to [2, 3, 4, 3]).
        var k1 = Randn(52, [2, 1, 4, 3]);
        var v1 = Randn(53, [2, 1, 4, 3]);
        var shared = F.ScaledDotProductAttention(q, k1, v1, causal: true);
        var expanded = F.ScaledDotProductAttention(q, k1.Expand(2, 3, 4, 3), v1.Expand(2, 3, 4, 3), causal: true);
        Assert.That(expanded.GradFn, Is.InstanceOf<DotGrad.Autodiff.Functions.AttentionFused>(), "expanded operands are fused");
        Check.Close(Check.Values(shared), Check.Values(expanded), atol: 1e-12, rtol: 1e-12);
    }

    [Test]
    public void WithoutGradients_NoNodeIsKept_AndTheValuesAgree()
    {
        using var q = Randn(61, [2, 5, 3]);
        using var k = Randn(62, [2, 5, 3]);
        using var v = Randn(63, [2, 5, 4]);
        using var y = F.ScaledDotProductAttention(q, k, v, causal: true);
        Assert.That(y.GradFn, Is.Null);
        Check.Close(Check.Values(y), Check.Values(F.ScaledDotProductAttentionComposite(q, k, v, causal: true)), atol: 1e-12, rtol: 1e-12);
        // Causal row 0 sees only key 0: its output is v[0] exactly.
        Check.Close(Check.Values(y[.., 0]), Check.Values(v[.., 0]), atol: 1e-15, rtol: 0);
    }
}
