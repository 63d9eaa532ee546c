// The data loader: every index once per epoch, a new order each epoch and the same order for the same seed, drop_last
// and the partial last batch, collation of tuples, identical batches whatever the workers and prefetch, resuming from
// the middle of an epoch, dispose scopes, errors from items, and bad arguments.
using DotGrad;
using DotGrad.Backends;
using DotGrad.Data;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Data;

public class DataLoaderTests
{
    /// <summary>A dataset whose item i is the 0-d Int32 tensor i, so a batch's values are its indices.</summary>
    private static IDataset<Tensor> Indices(int n) => Dataset.From(n, i => Tensor.FromArray(new[] { i }, [], Device.Cpu));

    /// <summary>Each batch's values, for the batches of one foreach (one epoch); the batches are disposed.</summary>
    private static List<int[]> Epoch(DataLoader<Tensor> loader)
    {
        var batches = new List<int[]>();
        foreach (var b in loader)
            using (b) batches.Add(b.ToArray<int>());
        return batches;
    }

    [Test]
    public void Shuffled_EveryIndexOncePerEpoch_InBatchesOfTheSize()
    {
        var loader = new DataLoader<Tensor>(Indices(10), batchSize: 3, shuffle: true, seed: 5);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(4), "ceil(10 / 3)");
        for (int e = 0; e < 3; e++)
        {
            var batches = Epoch(loader);
            Assert.That(batches.Select(b => b.Length), Is.EqualTo(new[] { 3, 3, 3, 1 }), "the last batch is partial");
            Assert.That(batches.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, 10)), $"epoch {e}: each index exactly once");
        }
    }

    [Test]
    public void Shuffle_NewOrderEachEpoch_SameOrderForTheSameSeed()
    {
        var a = new DataLoader<Tensor>(Indices(50), batchSize: 50, shuffle: true, seed: 1);
        var b = new DataLoader<Tensor>(Indices(50), batchSize: 50, shuffle: true, seed: 1);
        var c = new DataLoader<Tensor>(Indices(50), batchSize: 50, shuffle: true, seed: 2);
        var a0 = Epoch(a)[0];
        var a1 = Epoch(a)[0];
        Assert.That(a1, Is.Not.EqualTo(a0), "epoch 1 is shuffled anew");
        Assert.That(a0, Is.Not.EqualTo(Enumerable.Range(0, 50)), "shuffled at all");
        Assert.That(Epoch(b)[0], Is.EqualTo(a0), "same seed, same epoch 0");
        Assert.That(Epoch(b)[0], Is.EqualTo(a1), "same seed, same epoch 1");
        Assert.That(Epoch(c)[0], Is.Not.EqualTo(a0), "another seed, another order");
        // Setting the epoch rebuilds its order without replaying the ones before (it depends on (seed, epoch) only).
        b.Epoch = 1;
        Assert.That(Epoch(b)[0], Is.EqualTo(a1));
    }

    [Test]
    public void Shuffle_IsUniform_OverManyEpochs()
    {
        // Which of 4 indices comes first, over 4,000 epochs: each should come first 1,000 times; the binomial standard
        // deviation is sqrt(4000 * 1/4 * 3/4) = 27.4, so 150 is more than five of them.
        var sampler = new BatchSampler(4, 4, shuffle: true, seed: 3);
        var firsts = new int[4];
        for (int e = 0; e < 4000; e++) firsts[sampler.Indices(e, 0)[0]]++;
        Assert.That(firsts, Has.All.InRange(850, 1150), string.Join(", ", firsts));
    }

    [Test]
    public void WithoutShuffle_InOrder_AndDropLastDropsThePartialBatch()
    {
        var plain = new DataLoader<Tensor>(Indices(7), batchSize: 3);
        Assert.That(Epoch(plain), Is.EqualTo(new[] { new[] { 0, 1, 2 }, new[] { 3, 4, 5 }, new[] { 6 } }));
        var dropped = new DataLoader<Tensor>(Indices(7), batchSize: 3, dropLast: true);
        Assert.That(dropped.BatchesPerEpoch, Is.EqualTo(2), "floor(7 / 3)");
        Assert.That(Epoch(dropped), Is.EqualTo(new[] { new[] { 0, 1, 2 }, new[] { 3, 4, 5 } }));
        var shuffledDropped = new DataLoader<Tensor>(Indices(7), batchSize: 3, dropLast: true, shuffle: true, seed: 9);
        var batches = Epoch(shuffledDropped);
        Assert.That(batches.Select(b => b.Length), Is.EqualTo(new[] { 3, 3 }));
        Assert.That(batches.SelectMany(b => b).Distinct().Count(), Is.EqualTo(6), "six different indices, one left out");
        Assert.That(new DataLoader<Tensor>(Indices(2), batchSize: 3, dropLast: true).BatchesPerEpoch, Is.Zero, "fewer items than a batch: no batch");
    }

    [Test]
    public void DefaultCollate_StacksTensorsAndCombinesTuplesAndArrays()
    {
        // Item i: (x = [i, 10 i] Float64, y = i as a 0-d Int32 tensor); a batch of items 2, 3: x [[2, 20], [3, 30]], y [2, 3].
        var pairs = Dataset.From(4, i => (X: Tensor.FromArray(new[] { i, 10.0 * i }, [2], Device.Cpu), Y: Tensor.FromArray(new[] { i }, [], Device.Cpu)));
        var loader = new DataLoader<(Tensor X, Tensor Y)>(pairs, batchSize: 2);
        using var stream = loader.EpochBatches(0, startBatch: 1);
        var (x, y) = stream.Take();
        Check.Close(x, [2, 2], [2, 20, 3, 30], atol: 0);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2 }));
        Assert.That(y.ToArray<int>(), Is.EqualTo(new[] { 2, 3 }));

        using var features = Tensor.FromArray(new[] { 0f, 1, 2, 3, 4, 5 }, [3, 2]);
        using var labels = Tensor.FromArray(new[] { 7, 8, 9 }, [3]);
        var rows = new DataLoader<Tensor[]>(new TensorDataset(features, labels), batchSize: 2);
        using var first = rows.EpochBatches(0);
        var batch = first.Take();
        Check.Close(batch[0], [2, 2], [0, 1, 2, 3], atol: 0);
        Assert.That(batch[1].ToArray<int>(), Is.EqualTo(new[] { 7, 8 }));
    }

    [Test]
    public void Collate_RefusesMismatchedItems_NamingThem()
    {
        var ragged = Dataset.From(3, i => Tensor.Zeros([i + 1]));
        var e = Assert.Throws<ArgumentException>(() => Collate.Stack(new[] { ragged[0], ragged[0], ragged[2] }))!;
        Assert.That(e.Message, Does.Contain("item 0 is Float32 [1] but item 2 is Float32 [3]"));
        var n = Assert.Throws<NotSupportedException>(() => Collate.Stack(new[] { "a", "b" }))!;
        Assert.That(n.Message, Does.Contain("cannot collate a String").And.Contain("pass a collate function"));
    }

    /// <summary>Item i is [i, i^2] after a pause that differs per index, so workers finish out of order.</summary>
    private static IDataset<Tensor> Slow(int n) => Dataset.From(n, i =>
    {
        Thread.Sleep((i * 7) % 4);
        return Tensor.FromArray(new[] { (float)i, (float)i * i }, [2], Device.Cpu);
    });

    [TestCase(0, null)]
    [TestCase(1, 1)]
    [TestCase(1, 4)]
    [TestCase(2, 1)]
    [TestCase(3, 2)]
    [TestCase(4, 4)]
    public void Batches_AreTheSame_WhateverTheWorkersAndPrefetch(int workers, int? prefetch)
    {
        static List<float[]> Run(int workers, int? prefetch)
        {
            var loader = new DataLoader<Tensor>(Slow(23), batchSize: 4, shuffle: true, seed: 11, workers: workers, prefetchFactor: prefetch);
            var values = new List<float[]>();
            for (int epoch = 0; epoch < 3; epoch++)
                foreach (var b in loader)
                    using (b) values.Add(b.ToArray<float>());
            return values;
        }
        var expected = Run(0, null);
        Assert.That(expected, Has.Count.EqualTo(18), "3 epochs of ceil(23 / 4)");
        Assert.That(Run(workers, prefetch), Is.EqualTo(expected));
    }

    [TestCase(0)]
    [TestCase(3)]
    public void Resume_FromTheMiddleOfAnEpoch_GivesTheRemainingBatches(int workers)
    {
        var loader = new DataLoader<Tensor>(Indices(10), batchSize: 4, shuffle: true, seed: 4, workers: workers);
        List<int[]> Take(BatchStream<Tensor> s, int count) => Enumerable.Range(0, count).Select(_ => { using var b = s.Take(); return b.ToArray<int>(); }).ToList();
        List<int[]> whole;
        using (var s = loader.Stream()) whole = Take(s, 9);         // 3 epochs of 3 batches
        long position;
        using (var s = loader.Stream())
        {
            Take(s, 4);                                               // epoch 0, and batch 0 of epoch 1
            position = s.Position;
            Assert.That(s.EpochAndBatch, Is.EqualTo((1, 1)));
        }
        using (var resumed = loader.Stream(position))
            Assert.That(Take(resumed, 5), Is.EqualTo(whole[4..]));
        using (var rest = loader.EpochBatches(1, startBatch: 1))
        {
            var remaining = rest.Select(b => { using (b) return b.ToArray<int>(); }).ToList();
            Assert.That(remaining, Is.EqualTo(whole[4..6]), "the rest of epoch 1, then the stream ends");
        }
    }

    [Test]
    public void ReplacementSampler_DrawsAsRandintPerBatchOnOneGenerator()
    {
        // The sampler's promise: batch k is Tensor.Randint(0, count, [B], g) on a Generator(seed) that drew k batches before.
        var sampler = new ReplacementSampler(count: 1000, batchSize: 5, seed: 42, batchesPerEpoch: 3);
        var g = new Generator(42);
        for (int k = 0; k < 7; k++)
        {
            using var expected = Tensor.Randint(0, 1000, [5], g, DType.Int32, Device.Cpu);
            Assert.That(sampler.Indices(k / 3, k % 3), Is.EqualTo(expected.ToArray<int>()), $"batch {k}");
        }
        Assert.That(g.Offset, Is.EqualTo(7UL * 5), "k batches of B take kB counters");
        Assert.That(new ReplacementSampler(10, 4, 0).BatchesPerEpoch, Is.EqualTo(3), "about count samples an epoch by default");
    }

    [Test]
    public void Batches_JoinTheIteratingThreadsScope_AndNothingLeaks()
    {
        using var features = Tensor.Randn([12, 3], new Generator(1), device: Device.Cpu);
        var loader = new DataLoader<Tensor[]>(new TensorDataset(features), batchSize: 5, workers: 2);
        long leaked = Check.LeakedBuffers(() =>
        {
            using var stream = loader.Stream();
            for (int step = 0; step < 6; step++)
            {
                using var scope = Tensor.NewDisposeScope();
                var batch = stream.Take();
                Assert.That(batch[0].OwningDisposeScope, Is.SameAs(scope), "the step's scope owns its batch");
            }
            // Batches built ahead and never taken are released when the stream is disposed.
        });
        Assert.That(leaked, Is.Zero);
        using var outside = loader.EpochBatches(0);
        var untracked = outside.Take();
        Assert.That(untracked[0].OwningDisposeScope, Is.Null, "with no scope active the batch is the caller's");
        untracked[0].Dispose();
    }

    [Test]
    public void Device_CopiesEachBatchThere()
    {
        var loader = new DataLoader<Tensor>(Indices(4), batchSize: 2, device: Device.Reference);
        using var stream = loader.EpochBatches(0);
        using var b = stream.Take();
        Assert.That(b.Device, Is.EqualTo(Device.Reference));
        Assert.That(b.ToArray<int>(), Is.EqualTo(new[] { 0, 1 }));
    }

    [TestCase(0)]
    [TestCase(2)]
    public void ItemThatThrows_FailsItsBatchOnly(int workers)
    {
        var data = Dataset.From(6, i => i == 3 ? throw new InvalidDataException("item 3 is damaged") : Tensor.FromArray(new[] { i }, [], Device.Cpu));
        var loader = new DataLoader<Tensor>(data, batchSize: 2, workers: workers);
        using var stream = loader.EpochBatches(0);
        using (var first = stream.Take()) Assert.That(first.ToArray<int>(), Is.EqualTo(new[] { 0, 1 }));
        var e = Assert.Throws<InvalidDataException>(() => stream.Take())!;
        Assert.That(e.Message, Is.EqualTo("item 3 is damaged"));
        using (var third = stream.Take()) Assert.That(third.ToArray<int>(), Is.EqualTo(new[] { 4, 5 }));
        Assert.That(stream.MoveNext(), Is.False, "the epoch is over");
    }

    [Test]
    public void BadArguments_AreClearErrors()
    {
        var data = Indices(5);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor>(data, batchSize: 0))!.Message,
                    Does.Contain("the batch size must be at least 1, got 0"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor>(data, workers: -1))!.Message, Does.Contain("got -1"));
        Assert.That(Assert.Throws<ArgumentException>(() => new DataLoader<Tensor>(data, prefetchFactor: 2))!.Message, Does.Contain("applies to workers only"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor>(data, workers: 1, prefetchFactor: 0))!.Message,
                    Does.Contain("prefetchFactor must be at least 1, got 0"));
        Assert.That(Assert.Throws<ArgumentException>(() => new DataLoader<Tensor>(data, shuffle: true, sampler: new BatchSampler(5, 2)))!.Message,
                    Does.Contain("excludes batchSize, shuffle and dropLast"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => new DataLoader<Tensor>(data, batchSize: 6, dropLast: true).Stream())!.Message,
                    Does.Contain("an epoch has no batches (5 items, batch size 6 with dropLast)"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor>(data, batchSize: 2).EpochBatches(0, startBatch: 4))!.Message,
                    Does.Contain("between 0 and 3, got 4"));
        using var a = Tensor.Zeros([3, 2]);
        using var b = Tensor.Zeros([4]);
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorDataset(a, b))!.Message, Does.Contain("got 3 for tensor 0 and 4 for tensor 1"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = data[5])!.Message, Does.Contain("index 5 is outside the 5 items"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new ReplacementSampler(0, 2, 1))!.Message, Does.Contain("at least one item"));
        Assert.That(Assert.Throws<ArgumentException>(() => new TokenWindows([1, 2, 3], 3))!.Message, Does.Contain("need 4 tokens, got 3"));
    }

    [Test]
    public void TokenWindows_AreNextTokenPairs()
    {
        // ids 10..15, T = 3: window 2 is input [12, 13, 14] and target [13, 14, 15]; there are 6 - 3 = 3 windows.
        var windows = new TokenWindows([10, 11, 12, 13, 14, 15], 3);
        Assert.That(windows.Count, Is.EqualTo(3));
        var (input, target) = windows[2];
        Assert.That(input.ToArray<int>(), Is.EqualTo(new[] { 12, 13, 14 }));
        Assert.That(target.ToArray<int>(), Is.EqualTo(new[] { 13, 14, 15 }));
    }
}
