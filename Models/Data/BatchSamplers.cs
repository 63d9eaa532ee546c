// Which dataset indices make up each batch: in order or shuffled anew each epoch (PyTorch's BatchSampler over a
// Sequential- or RandomSampler), or drawn with replacement. Each is a pure function of (epoch, batch), so a loader can
// start anywhere: a run resumes mid-epoch from its position alone.
using DotGrad.Backends;

namespace DotGrad.Data;

/// <summary>
/// Chooses the dataset indices of each batch (PyTorch's <c>batch_sampler</c>). <see cref="Indices"/> must depend on
/// (epoch, batch) only, never on what was asked before: that is what lets a <see cref="DataLoader{TItem, TBatch}"/>
/// resume at any position and give the same batches whatever its workers and prefetch. The loader asks in order, from
/// one thread.
/// </summary>
public interface IBatchSampler
{
    /// <summary>How many batches one epoch has (PyTorch's <c>len(loader)</c>).</summary>
    int BatchesPerEpoch { get; }

    /// <summary>The dataset indices of batch <paramref name="batch"/> (0 to BatchesPerEpoch - 1) of <paramref name="epoch"/>.</summary>
    int[] Indices(int epoch, int batch);
}

/// <summary>
/// Batches of <c>batchSize</c> consecutive entries of an epoch's order: 0, 1, ..., count - 1 without
/// <c>shuffle</c>; with it, a new permutation each epoch (as PyTorch's <c>shuffle=True</c>). The last batch is partial
/// when <c>batchSize</c> does not divide <c>count</c>, or left out with <c>dropLast</c> (PyTorch's <c>drop_last</c>).
/// PyTorch's <c>BatchSampler(sampler, batch_size, drop_last)</c> wraps a <c>SequentialSampler</c> or a
/// <c>RandomSampler</c>; here those two are the <c>shuffle</c> flag.
/// <para>Differs from PyTorch on purpose: epoch e's permutation depends on (seed, e) only, not on how many epochs a
/// generator has served, so epoch 7 can be rebuilt without replaying epochs 0 to 6. It is a Fisher-Yates shuffle driven
/// by a SplitMix64 stream seeded from (seed, e), with Lemire's unbiased bounded draws; the orders are not PyTorch's.</para>
/// </summary>
public sealed class BatchSampler : IBatchSampler
{
    private readonly Lock _cacheLock = new();
    private (int Epoch, int[] Order)? _cached;

    public BatchSampler(int count, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"BatchSampler: the dataset size must be non-negative, got {count}");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"BatchSampler: the batch size must be at least 1, got {batchSize}");
        (Count, BatchSize, Shuffle, Seed, DropLast) = (count, batchSize, shuffle, seed, dropLast);
    }

    public int Count { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public ulong Seed { get; }
    public bool DropLast { get; }

    public int BatchesPerEpoch => DropLast ? Count / BatchSize : (Count + BatchSize - 1) / BatchSize;

    public int[] Indices(int epoch, int batch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"BatchSampler.Indices: the epoch must be non-negative, got {epoch}");
        if ((uint)batch >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(batch), $"BatchSampler.Indices: batch {batch} is outside the {BatchesPerEpoch} batches of an epoch");
        int start = batch * BatchSize, length = Math.Min(BatchSize, Count - start);
        if (!Shuffle) return Enumerable.Range(start, length).ToArray();
        return Order(epoch).AsSpan(start, length).ToArray();
    }

    /// <summary>Epoch <paramref name="epoch"/>'s permutation of 0 .. Count - 1 (the last one is kept: an epoch asks for it once per batch).</summary>
    public int[] Order(int epoch)
    {
        lock (_cacheLock)
        {
            if (_cached is { } c && c.Epoch == epoch) return c.Order;
            var order = Permutation(Count, Seed, epoch);
            _cached = (epoch, order);
            return order;
        }
    }

    /// <summary>Fisher-Yates: for i = n-1 down to 1, swap entry i with a uniform j in [0, i].</summary>
    internal static int[] Permutation(int n, ulong seed, int epoch)
    {
        var order = Enumerable.Range(0, n).ToArray();
        ulong state = Mix(seed ^ Mix((ulong)epoch + 0x632BE59BD9B4E019UL));
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)Below(ref state, (ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>A uniform integer in [0, bound) (Lemire 2019: multiply, reject the few low products that would bias it).</summary>
    private static ulong Below(ref ulong state, ulong bound)
    {
        ulong high = Math.BigMul(Next(ref state), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold) high = Math.BigMul(Next(ref state), bound, out low);
        }
        return high;
    }

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014): add the golden-ratio increment, then mix.</summary>
    private static ulong Next(ref ulong state) => Mix(state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Batches of indices drawn uniformly with replacement from [0, count) (PyTorch's <c>RandomSampler(replacement=True)</c>,
/// and how nanoGPT draws its training windows): batch k, counting over all epochs (k = epoch * BatchesPerEpoch + batch),
/// takes the Philox counters [kB, (k+1)B) of <c>seed</c>. These are exactly the indices that
/// <c>Tensor.Randint(0, count, [B], generator)</c> gives when called once per batch on a fresh <c>Generator(seed)</c>, so
/// a training loop that drew its batches that way continues identically, and its generator offset is kB after k batches.
/// An epoch is <c>batchesPerEpoch</c> batches (by default enough to draw about <c>count</c> samples, as
/// PyTorch's <c>num_samples</c> defaults to the dataset's length); only the numbering into epochs depends on it.
/// <c>offset</c> moves the first counter: a sampler with <c>offset</c> = a generator's <c>Offset</c> continues that
/// generator's draws, and batch k then takes counters [offset + kB, offset + (k+1)B).
/// </summary>
public sealed class ReplacementSampler : IBatchSampler
{
    public ReplacementSampler(int count, int batchSize, ulong seed, int? batchesPerEpoch = null, ulong offset = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"ReplacementSampler: the dataset must hold at least one item, got {count}");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"ReplacementSampler: the batch size must be at least 1, got {batchSize}");
        if (batchesPerEpoch is < 1)
            throw new ArgumentOutOfRangeException(nameof(batchesPerEpoch), $"ReplacementSampler: an epoch needs at least one batch, got {batchesPerEpoch}");
        (Count, BatchSize, Seed, Offset) = (count, batchSize, seed, offset);
        BatchesPerEpoch = batchesPerEpoch ?? (count + batchSize - 1) / batchSize;
    }

    public int Count { get; }
    public int BatchSize { get; }
    public ulong Seed { get; }

    /// <summary>The Philox counter batch 0 starts at.</summary>
    public ulong Offset { get; }

    public int BatchesPerEpoch { get; }

    /// <summary>The generator offset after <paramref name="batches"/> batches: what a generator drawing them in turn would hold.</summary>
    public ulong OffsetAfter(long batches) => Offset + (ulong)batches * (ulong)BatchSize;

    public int[] Indices(int epoch, int batch)
    {
        if (epoch < 0 || (uint)batch >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(batch), $"ReplacementSampler.Indices: (epoch {epoch}, batch {batch}) is outside epochs >= 0 of {BatchesPerEpoch} batches");
        long k = (long)epoch * BatchesPerEpoch + batch;
        var generator = new Generator(Seed) { Offset = OffsetAfter(k) };
        using var picks = Tensor.Randint(0, Count, [BatchSize], generator, DType.Int32, Device.Cpu);
        return picks.ToArray<int>();
    }
}
