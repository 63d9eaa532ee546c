// The host pool's size classes (no doubling) and its trim policy: a repeated step reuses every block, a size that stops
// being used goes back to the OS, and the live/pooled counters stay exact under concurrent use. Each test owns a pool.
using DotGrad.Backends;

namespace DotGrad.Tests.Backends;

public class SizeClassPoolTests
{
    [Test]
    public void EveryRequest_GetsAMultipleOf64_AtMostOneEighthAboveIt()
    {
        var sizes = Enumerable.Range(1, 5000).Select(i => (long)i)
            .Concat(Enumerable.Range(10, 21).SelectMany(e => new[] { (1L << e) - 1, 1L << e, (1L << e) + 1, (long)((1L << e) * 1.3) }))
            .Append(2_100_000L);
        foreach (long bytes in sizes)
        {
            long capacity = SizeClassPool.CapacityFor(bytes);
            Assert.That(capacity % 64, Is.Zero, $"{bytes} bytes got {capacity}");
            Assert.That(capacity, Is.GreaterThanOrEqualTo(bytes));
            Assert.That(capacity, Is.LessThanOrEqualTo(Math.Max(bytes + 63, bytes * 9 / 8 + 1)), $"{bytes} bytes got {capacity}");
        }
        Assert.That(SizeClassPool.CapacityFor(2_100_000), Is.LessThan(2_400_000), "2.1 MB no longer takes 4 MiB");
        Assert.That(SizeClassPool.CapacityFor(1 << 20), Is.EqualTo(1 << 20), "a power of two is a class of its own");
    }

    [Test]
    public void ClassIndices_AreDense_AndEachClassSizeMapsToItself()
    {
        for (int i = 0; i < SizeClassPool.IndexOf(SizeClassPool.MaxPooledBytes); i++)
        {
            Assert.That(SizeClassPool.IndexOf(SizeClassPool.SizeOf(i)), Is.EqualTo(i));
            Assert.That(SizeClassPool.IndexOf(SizeClassPool.SizeOf(i) + 1), Is.EqualTo(i + 1));
            Assert.That(SizeClassPool.SizeOf(i + 1), Is.GreaterThan(SizeClassPool.SizeOf(i)));
        }
    }

    /// <summary>One "training step": allocates the sizes in order, a few alive at once, then frees all; returns the blocks' capacity.</summary>
    private static void Step(SizeClassPool pool, long[] sizes)
    {
        var live = new List<(nint, long)>();
        foreach (long bytes in sizes)
        {
            live.Add(pool.Allocate(bytes));
            if (live.Count > 3)
            {
                var (p, c) = live[1]; // free out of order, as a backward does
                live.RemoveAt(1);
                pool.Free(p, c);
            }
        }
        foreach (var (p, c) in live) pool.Free(p, c);
    }

    [Test]
    public void ARepeatedStep_ReusesItsBlocks_AcrossManyEpochs()
    {
        var pool = new SizeClassPool(epochLength: 64);
        long[] sizes = [4096, 1 << 20, 2_100_000, 4096, 300_000, 1 << 20, 2_100_000, 77, 300_000, 8192, 1 << 20, 123_456];
        Step(pool, sizes);
        Step(pool, sizes);
        long warm = pool.SystemAllocations;
        for (int i = 0; i < 200; i++) Step(pool, sizes); // 2,400 allocations: 37 epochs
        Assert.That(pool.SystemAllocations, Is.EqualTo(warm), "once warm, a step that repeats gets every block from the pool");
        Assert.That(pool.LiveBytes, Is.Zero);
        Assert.That(pool.LiveBuffers, Is.Zero);
        Assert.That(pool.PooledBytes, Is.GreaterThan(0).And.LessThanOrEqualTo(sizes.Sum(SizeClassPool.CapacityFor)));
        pool.Trim();
    }

    [Test]
    public void ASizeNoLongerUsed_IsGivenBack_WithinTwoEpochs()
    {
        var pool = new SizeClassPool(epochLength: 64);
        long[] old = [1 << 20, 1 << 20, 3 << 20], now = [4096, 8192];
        for (int i = 0; i < 10; i++) Step(pool, old);
        Assert.That(pool.PooledBytes, Is.GreaterThanOrEqualTo(5L << 20), "the old step's blocks are pooled for its next run");
        for (int i = 0; i < 100; i++) Step(pool, now);    // 200 allocations: three epoch boundaries
        Assert.That(pool.PooledBytes, Is.LessThanOrEqualTo(4096 + 8192), "only the sizes in use stay pooled");
        Assert.That(pool.LiveBytes, Is.Zero);
        pool.Trim();
    }

    [Test]
    public void ThePool_KeepsOnlyWhatTheHighWaterMarkNeeds()
    {
        // Ten 64 KiB blocks live at once, then one at a time: after the burst's epoch has passed, one block is enough.
        var pool = new SizeClassPool(epochLength: 16);
        var burst = Enumerable.Range(0, 10).Select(_ => pool.Allocate(65536)).ToList();
        foreach (var (p, c) in burst) pool.Free(p, c);
        Assert.That(pool.PooledBytes, Is.EqualTo(10 * 65536L), "right after the burst its blocks are kept");
        for (int i = 0; i < 40; i++)
        {
            var (p, c) = pool.Allocate(65536);
            pool.Free(p, c);
        }
        Assert.That(pool.PooledBytes, Is.EqualTo(65536L));
        Assert.That(pool.SystemAllocations, Is.EqualTo(10));
        pool.Trim();
        Assert.That(pool.PooledBytes, Is.Zero);
    }

    [Test]
    public void LiveAndPeak_CountCapacities_AndTheBlocksAreWritable()
    {
        var pool = new SizeClassPool();
        var (a, ca) = pool.Allocate(2_100_000);
        var (b, cb) = pool.Allocate(100);
        Assert.That(ca, Is.EqualTo(SizeClassPool.CapacityFor(2_100_000)));
        Assert.That(cb, Is.EqualTo(128));
        Assert.That((long)a % SizeClassPool.Alignment, Is.Zero);
        unsafe
        {
            new Span<byte>((void*)a, (int)ca).Fill(1); // the whole capacity belongs to the caller
        }
        Assert.That(pool.LiveBytes, Is.EqualTo(ca + cb));
        pool.Free(a, ca);
        Assert.That(pool.LiveBytes, Is.EqualTo(cb));
        Assert.That(pool.PeakLiveBytes, Is.EqualTo(ca + cb));
        Assert.That(pool.PooledBytes, Is.EqualTo(ca));
        pool.ResetPeak();
        Assert.That(pool.PeakLiveBytes, Is.EqualTo(cb));
        pool.Free(b, cb);
        pool.Trim();
    }

    [Test]
    public void ConcurrentUse_FromSeveralThreads_LeavesExactCounters()
    {
        var pool = new SizeClassPool(epochLength: 128);
        Parallel.For(0, 8, t =>
        {
            var rng = new Random(t);
            var held = new List<(nint, long)>();
            for (int i = 0; i < 2000; i++)
            {
                if (held.Count > 0 && rng.Next(2) == 0)
                {
                    int k = rng.Next(held.Count);
                    pool.Free(held[k].Item1, held[k].Item2);
                    held.RemoveAt(k);
                }
                else held.Add(pool.Allocate(rng.Next(1, 200_000)));
            }
            foreach (var (p, c) in held) pool.Free(p, c);
        });
        Assert.That(pool.LiveBytes, Is.Zero);
        Assert.That(pool.LiveBuffers, Is.Zero);
        pool.Trim();
        Assert.That(pool.PooledBytes, Is.Zero);
    }

    [Test]
    public void TheEpochLength_MustBeAPowerOfTwo()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SizeClassPool(epochLength: 100));
        Assert.That(ex!.Message, Does.Contain("power of two"));
    }
}
