// Multi-head attention and a whole GPT on the fused attention node against the written-out attention (which runs
// while attention maps are recorded): outputs and every gradient agree in Float64, for each attention option.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;
using AG = DotGrad.Autodiff.Autograd;
using F = DotGrad.Autodiff.Functional;

namespace DotGrad.Tests.Models;

public class AttentionFusedModelTests
{
    public static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData(new AttentionConfig(12, 3, Causal: true)).SetArgDisplayNames("causal");
        yield return new TestCaseData(new AttentionConfig(12, 3)).SetArgDisplayNames("full");
        yield return new TestCaseData(new AttentionConfig(12, 2, Causal: true, Scale: AttentionScale.Inverse, OutputScale: 0.5)).SetArgDisplayNames("1/d scale");
        yield return new TestCaseData(new AttentionConfig(16, 4, KvHeads: 2, Causal: true, Rope: true, QkNorm: true, Bias: false))
            .SetArgDisplayNames("RoPE, QK-norm, grouped heads");
        yield return new TestCaseData(new AttentionConfig(16, 4, KvHeads: 1, Rope: true)).SetArgDisplayNames("multi-query");
    }

    /// <summary>The layer's output and the gradients of &lt;y, g&gt; in the inputs and every parameter.</summary>
    private static (Tensor Y, double[][] Grads) Run(MultiHeadAttention attn, Tensor query, Tensor context, Tensor g, bool written)
    {
        using var maps = written ? AttentionMaps.Record() : null;
        var y = attn.Attend(query, context);
        Tensor[] inputs = [query, context, .. attn.Parameters()];
        var grads = AG.Grad([(y * g).Sum()], inputs);
        return (y, grads.Select(Check.Values).ToArray());
    }

    [TestCaseSource(nameof(Configs))]
    public void MultiHeadAttention_Fused_MatchesWrittenOut_InOutputAndGradients(AttentionConfig config)
    {
        using var attn = new MultiHeadAttention(config, new Generator(1), DType.Float64);
        int B = 2, Tq = 7, Tk = 5, C = config.Width;
        foreach (var (tq, tk) in new[] { (Tq, Tq), (Tq, Tk) })                      // self-attention sizes, then Tq != Tk
        {
            using var query = Tensor.Randn([B, tq, C], new Generator(2), DType.Float64).RequireGrad();
            using var context = tq == tk ? query : Tensor.Randn([B, tk, C], new Generator(3), DType.Float64).RequireGrad();
            using var g = Tensor.Randn([B, tq, C], new Generator(4), DType.Float64);
            var (yFused, gradsFused) = Run(attn, query, context, g, written: false);
            var (yWritten, gradsWritten) = Run(attn, query, context, g, written: true);
            Assert.That(yFused.Shape, Is.EqualTo(new[] { B, tq, C }));
            Check.Close(Check.Values(yFused), Check.Values(yWritten), atol: 1e-12, rtol: 1e-12);
            for (int i = 0; i < gradsFused.Length; i++)
                Check.Close(gradsFused[i], gradsWritten[i], atol: 1e-12, rtol: 1e-11);
        }
    }

    [Test]
    public void MultiHeadAttention_WithLogitCapOrRecordedMaps_KeepsTheWrittenOutPath()
    {
        using var x = Tensor.Randn([1, 4, 8], new Generator(5)).RequireGrad();
        using var capped = new MultiHeadAttention(new AttentionConfig(8, 2, Causal: true, LogitCap: 5), new Generator(6));
        Assert.That(Nodes(capped.Call(x)), Does.Not.Contain("AttentionFused").And.Contain("Softmax"));
        using var plain = new MultiHeadAttention(new AttentionConfig(8, 2, Causal: true), new Generator(6));
        Assert.That(Nodes(plain.Call(x)), Does.Contain("AttentionFused").And.Not.Contain("Softmax"));
        using (var maps = AttentionMaps.Record())
        {
            Assert.That(Nodes(plain.Call(x)), Does.Not.Contain("AttentionFused"));
            Assert.That(maps.Maps, Has.Count.EqualTo(1), "the probabilities were recorded");
        }
    }

    /// <summary>The names of every node in y's graph.</summary>
    private static List<string> Nodes(Tensor y)
    {
        var names = new List<string>();
        var seen = new HashSet<Function>();
        var stack = new Stack<Function>();
        if (y.GradFn is { } root) stack.Push(root);
        while (stack.Count > 0)
        {
            var f = stack.Pop();
            if (!seen.Add(f)) continue;
            names.Add(f.Name);
            foreach (var input in f.Inputs)
                if (input.GradFn is { } next) stack.Push(next);
        }
        return names;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Gpt_LossAndGradients_MatchWithFusedAndWrittenOutAttention(bool modern)
    {
        var config = modern
            ? new GptConfig(VocabSize: 11, ContextLength: 9, Width: 16, Depth: 2, Heads: 4, Positions: GptPositions.Rope, KvHeads: 2, QkNorm: true)
            : new GptConfig(VocabSize: 11, ContextLength: 9, Width: 12, Depth: 2, Heads: 3);
        using var gpt = new Gpt(config, new Generator(7), DType.Float64);
        var rng = new Random(8);
        using var tokens = Tensor.FromArray(Enumerable.Range(0, 2 * 9).Select(_ => rng.Next(11)).ToArray(), [2, 9]);
        using var targets = Tensor.FromArray(Enumerable.Range(0, 2 * 9).Select(_ => rng.Next(11)).ToArray(), [18]);
        (double Loss, double[][] Grads) Step(bool written)
        {
            using var maps = written ? AttentionMaps.Record() : null;
            var logits = gpt.Call(tokens);                                           // [2, 9, 11]
            var loss = F.CrossEntropy(logits.Reshape(18, 11), targets);
            var grads = AG.Grad([loss], gpt.Parameters().ToArray());
            return (loss.Item(), grads.Select(Check.Values).ToArray());
        }
        var fused = Step(written: false);
        var written = Step(written: true);
        Assert.That(fused.Loss, Is.EqualTo(written.Loss).Within(1e-12));
        Assert.That(fused.Grads, Has.Length.EqualTo(written.Grads.Length));
        for (int i = 0; i < fused.Grads.Length; i++)
            Check.Close(fused.Grads[i], written.Grads[i], atol: 1e-12, rtol: 1e-10);
    }
}
