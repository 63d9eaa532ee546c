// The generator-driven stream: the same batches and states with or without prefetch, and resuming from a saved state.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Data;

namespace DotGrad.Tests.Data;

public class GeneratorStreamTests
{
    /// <summary>Draws 3 integers, redrawing (so taking more counters) while their sum is odd: batches use unequal counts.</summary>
    private static Tensor Draw(Generator g)
    {
        while (true)
        {
            var t = Tensor.Randint(0, 10, [3], g, DType.Int32, Device.Cpu);
            if (t.ToArray<int>().Sum() % 2 == 0) return t;
            t.Dispose();
        }
    }

    private static List<(int[] Values, ulong Offset)> Run(int prefetch, (ulong, ulong) start, int count)
    {
        using var stream = new GeneratorStream<Tensor>(Draw, start, prefetch);
        var result = new List<(int[], ulong)>();
        for (int i = 0; i < count; i++)
            using (var b = stream.Take()) result.Add((b.ToArray<int>(), stream.State.Offset));
        return result;
    }

    [Test]
    public void SameBatchesAndStates_WithOrWithoutPrefetch_AsADrawLoop()
    {
        // The loop the stream replaces: draw on one generator, read its offset after each batch.
        var g = new Generator(8);
        var expected = new List<(int[], ulong)>();
        for (int i = 0; i < 12; i++)
            using (var b = Draw(g)) expected.Add((b.ToArray<int>(), g.Offset));
        Assert.That(expected.Select(e => e.Item2).Distinct().Count(), Is.EqualTo(12));
        Assert.That(Run(0, (8, 0), 12), Is.EqualTo(expected));
        Assert.That(Run(1, (8, 0), 12), Is.EqualTo(expected));
        Assert.That(Run(5, (8, 0), 12), Is.EqualTo(expected));
    }

    [Test]
    public void ResumesFromTheSavedState()
    {
        var whole = Run(3, (5, 0), 10);
        (ulong, ulong) saved;
        using (var stream = new GeneratorStream<Tensor>(Draw, (5, 0), prefetch: 4))
        {
            for (int i = 0; i < 4; i++) stream.Take().Dispose();
            saved = stream.State;                                      // not the worker's state, which has drawn ahead
            Assert.That(stream.Count, Is.EqualTo(4));
        }
        Assert.That(saved, Is.EqualTo((5UL, whole[3].Offset)));
        Assert.That(Run(2, saved, 6), Is.EqualTo(whole[4..]));
    }
}
