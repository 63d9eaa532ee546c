// AttentionMaps: one map per GPT layer in order, [B, nh, T, T] on the CPU, rows that sum to 1 and causal zeros above
// the diagonal; the copies outlive dispose scopes, are detached, and are disposed with the recorder; nothing is
// recorded without a recorder, and nested recorders keep their own maps.
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Models;

public class AttentionMapsTests
{
    /// <summary>V 10, context 8, width 8, 3 blocks of 2 heads.</summary>
    private static readonly GptConfig Small = new(VocabSize: 10, ContextLength: 8, Width: 8, Depth: 3, Heads: 2);

    private static Tensor Tokens(int B, int T) => Tensor.Randint(0, 10, [B, T], new Generator(5));

    [Test]
    public void Gpt_GivesOneMapPerLayer_InOrder_ShapedBnhTT()
    {
        using var gpt = new Gpt(Small, new Generator(1));
        using var maps = AttentionMaps.Record();
        using (var scope = Tensor.NewDisposeScope())
            gpt.Call(Tokens(2, 5));

        Assert.That(maps.Maps, Has.Count.EqualTo(Small.Depth));
        Assert.That(maps.Maps.Select(m => m.Layer), Is.EqualTo(gpt.Blocks.Select(b => b.Attention)), "layer 0 first");
        foreach (var m in maps.Maps)
        {
            Assert.That(m.Probabilities.Shape, Is.EqualTo(new[] { 2, Small.Heads, 5, 5 }));
            Assert.That(m.Probabilities.Device, Is.EqualTo(Device.Cpu));
            Assert.That(m.Probabilities.IsDisposed, Is.False, "the copies outlive the forward pass's dispose scope");
            Assert.That(m.Probabilities.RequiresGrad, Is.False, "the copies are detached");
        }
    }

    [Test]
    public void Maps_AreCausalDistributions_RowsSumToOne_ZerosAboveTheDiagonal()
    {
        using var gpt = new Gpt(Small, new Generator(2));
        using var maps = AttentionMaps.Record();
        using (AG.NoGrad())
        using (var scope = Tensor.NewDisposeScope())
            gpt.Call(Tokens(2, 6));

        const int B = 2, nh = 2, T = 6;
        foreach (var (m, layer) in maps.Maps.Select((m, i) => (m, i)))
        {
            var p = m.Probabilities.ToArray<float>();                                 // [B, nh, T, T]
            for (int b = 0; b < B; b++)
                for (int h = 0; h < nh; h++)
                    for (int q = 0; q < T; q++)
                    {
                        double sum = 0;
                        for (int k = 0; k < T; k++)
                        {
                            float v = p[((b * nh + h) * T + q) * T + k];
                            Assert.That(v, Is.InRange(0f, 1f));
                            if (k > q) Assert.That(v, Is.EqualTo(0f), $"layer {layer}, batch {b}, head {h}: query {q} must not see key {k}");
                            sum += v;
                        }
                        Assert.That(sum, Is.EqualTo(1.0).Within(1e-5), $"layer {layer}, batch {b}, head {h}, query {q}");
                    }
            Assert.That(p[0 * T + 0], Is.EqualTo(1f).Within(1e-6), "the first query sees only itself");
        }
    }

    [Test]
    public void Maps_AreDisposedWithTheRecorder()
    {
        using var gpt = new Gpt(Small, new Generator(3));
        var maps = AttentionMaps.Record();
        using (var scope = Tensor.NewDisposeScope())
            gpt.Call(Tokens(1, 4));
        var copies = maps.Maps.Select(m => m.Probabilities).ToList();
        Assert.That(copies.Select(c => c.IsDisposed), Is.All.False);
        maps.Dispose();
        Assert.That(copies.Select(c => c.IsDisposed), Is.All.True);
        maps.Dispose();                                                               // twice is harmless
    }

    [Test]
    public void NothingIsRecorded_WithoutARecorder_AndNestedRecordersKeepTheirOwn()
    {
        using var gpt = new Gpt(Small, new Generator(4));
        using var scope = Tensor.NewDisposeScope();
        var finished = AttentionMaps.Record();
        finished.Dispose();
        gpt.Call(Tokens(1, 3));
        Assert.That(finished.Maps, Is.Empty, "a disposed recorder records nothing");

        using var outer = AttentionMaps.Record();
        using (var inner = AttentionMaps.Record())
        {
            gpt.Call(Tokens(1, 3));
            Assert.That(inner.Maps, Has.Count.EqualTo(Small.Depth));
        }
        Assert.That(outer.Maps, Is.Empty, "the innermost recorder records");
        gpt.Call(Tokens(1, 3));
        Assert.That(outer.Maps, Has.Count.EqualTo(Small.Depth), "the outer one records again once the inner is disposed");
    }
}
