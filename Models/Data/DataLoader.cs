// PyTorch's DataLoader for map-style datasets: batches in order or shuffled per epoch, collated, built ahead on workers,
// the same batches whatever the workers and prefetch, and resumable from a position.
using DotGrad.Backends;

namespace DotGrad.Data;

/// <summary>
/// Batches of a map-style dataset, as <c>torch.utils.data.DataLoader</c>: <c>foreach (var batch in loader)</c> runs one
/// epoch (<see cref="BatchesPerEpoch"/> batches) and the next <c>foreach</c> the next epoch, each with a new order when
/// shuffling. Options and defaults are PyTorch's: <c>batchSize</c> 1, <c>shuffle</c> false, <c>dropLast</c> false,
/// <c>workers</c> 0 (batches are built on the iterating thread), <c>prefetchFactor</c> 2 batches per worker when there
/// are workers; a <c>sampler</c> (PyTorch's <c>batch_sampler</c>) replaces batch size, shuffle and drop_last.
/// <para>Reproducible: an epoch's order depends on (seed, epoch) only (see <see cref="BatchSampler"/>), and each batch on
/// its indices only, so the batches are the same whatever the workers and prefetch, and a run that stops at any position
/// resumes with <see cref="Stream"/> or <see cref="EpochBatches"/> from there. With workers the dataset's indexer and the
/// collate function run on several threads at once.</para>
/// <para>Batches are built on the host (CPU); with a <c>device</c> each is copied there on the iterating thread as it is
/// handed out. A batch belongs to whoever iterates: its tensors join the dispose scope active on the iterating thread
/// (one training step's scope releases that step's batch), or, with none active, are left to the caller to dispose.</para>
/// </summary>
public class DataLoader<TItem, TBatch> : IEnumerable<TBatch>
{
    public DataLoader(IDataset<TItem> dataset, Func<IReadOnlyList<TItem>, TBatch> collate, int batchSize = 1, bool shuffle = false, ulong seed = 0,
                      bool dropLast = false, int workers = 0, int? prefetchFactor = null, Device? device = null, IBatchSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: the batch size must be at least 1, got {batchSize}");
        if (workers < 0) throw new ArgumentOutOfRangeException(nameof(workers), $"DataLoader: workers must be 0 (build batches on the iterating thread) or more, got {workers}");
        if (prefetchFactor is { } pf && workers == 0)
            throw new ArgumentException($"DataLoader: prefetchFactor ({pf}) applies to workers only, as in PyTorch; give workers >= 1 or leave it out", nameof(prefetchFactor));
        if (prefetchFactor is < 1) throw new ArgumentOutOfRangeException(nameof(prefetchFactor), $"DataLoader: prefetchFactor must be at least 1, got {prefetchFactor}");
        if (sampler is not null && (batchSize != 1 || shuffle || dropLast))
            throw new ArgumentException("DataLoader: a sampler decides the batches itself, so it excludes batchSize, shuffle and dropLast (as PyTorch's batch_sampler does)", nameof(sampler));
        Dataset = dataset;
        Collate = collate;
        Sampler = sampler ?? new BatchSampler(dataset.Count, batchSize, shuffle, seed, dropLast);
        Workers = workers;
        PrefetchFactor = workers == 0 ? 0 : prefetchFactor ?? 2;
        Device = device;
    }

    public IDataset<TItem> Dataset { get; }
    public Func<IReadOnlyList<TItem>, TBatch> Collate { get; }
    public IBatchSampler Sampler { get; }

    /// <summary>Threads building batches (PyTorch's <c>num_workers</c>; threads, not processes); 0 builds them when asked.</summary>
    public int Workers { get; }

    /// <summary>Batches each worker keeps ready ahead (PyTorch's <c>prefetch_factor</c>): Workers * PrefetchFactor are in flight at most.</summary>
    public int PrefetchFactor { get; }

    public Device? Device { get; }

    /// <summary>Batches in one epoch (PyTorch's <c>len(loader)</c>).</summary>
    public int BatchesPerEpoch => Sampler.BatchesPerEpoch;

    /// <summary>The epoch the next <c>foreach</c> runs (it then counts up by one); set it to choose (DistributedSampler's <c>set_epoch</c>).</summary>
    public int Epoch { get; set; }

    /// <summary>The batches of <paramref name="epoch"/> from batch <paramref name="startBatch"/> on (resuming mid-epoch).</summary>
    public BatchStream<TBatch> EpochBatches(int epoch, int startBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if ((uint)startBatch > (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), $"DataLoader.EpochBatches: the start batch must be between 0 and {BatchesPerEpoch}, got {startBatch}");
        long first = (long)epoch * BatchesPerEpoch;
        return new BatchStream<TBatch>(Plan, first + startBatch, first + BatchesPerEpoch, Workers, Workers * PrefetchFactor, Device, BatchesPerEpoch);
    }

    /// <summary>
    /// Every batch from global position <paramref name="position"/> on, epoch after epoch without end (for training by
    /// steps): batch k is batch k mod BatchesPerEpoch of epoch k / BatchesPerEpoch. Save <see cref="BatchStream{TBatch}.Position"/>
    /// to resume with <c>Stream(position)</c>.
    /// </summary>
    public BatchStream<TBatch> Stream(long position = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (BatchesPerEpoch == 0)
            throw new InvalidOperationException($"DataLoader.Stream: an epoch has no batches ({Dataset.Count} items{(Sampler is BatchSampler { DropLast: true } s ? $", batch size {s.BatchSize} with dropLast" : "")}), so the stream would never give one");
        return new BatchStream<TBatch>(Plan, position, long.MaxValue, Workers, Workers * PrefetchFactor, Device, BatchesPerEpoch);
    }

    public IEnumerator<TBatch> GetEnumerator() => EpochBatches(Epoch++);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Batch k: its indices now (in order, on the iterating thread), its items and collation later (on a worker).</summary>
    private Func<Produced<TBatch>> Plan(long k)
    {
        int per = BatchesPerEpoch;
        var indices = Sampler.Indices((int)(k / per), (int)(k % per));
        return () => BatchPipeline<TBatch>.Build(() =>
        {
            var items = new TItem[indices.Length];
            for (int i = 0; i < items.Length; i++) items[i] = Dataset[indices[i]];
            return Collate(items);
        });
    }
}

/// <summary>
/// A <see cref="DataLoader{TItem, TBatch}"/> whose batches have the items' type, collated by <see cref="Data.Collate.Stack{TItem}"/>
/// unless another function is given: tensors stack to [B, ...], tuples and arrays of tensors element by element.
/// <c>new DataLoader&lt;Tensor[]&gt;(new TensorDataset(x, y), batchSize: 32, shuffle: true, seed: 1)</c>.
/// </summary>
public sealed class DataLoader<TItem>(IDataset<TItem> dataset, int batchSize = 1, bool shuffle = false, ulong seed = 0, bool dropLast = false,
                                      int workers = 0, int? prefetchFactor = null, Device? device = null, IBatchSampler? sampler = null,
                                      Func<IReadOnlyList<TItem>, TItem>? collate = null)
    : DataLoader<TItem, TItem>(dataset, collate ?? Data.Collate.Stack, batchSize, shuffle, seed, dropLast, workers, prefetchFactor, device, sampler);

/// <summary>
/// Batches handed out in order from a loader, built ahead by its workers: an enumerator (and enumerable, for
/// <c>foreach</c>) with <see cref="Position"/>, the global number of the next batch. Dispose it to stop the workers and
/// release batches built ahead (<c>foreach</c> does).
/// </summary>
public sealed class BatchStream<TBatch> : IEnumerator<TBatch>, IEnumerable<TBatch>
{
    private readonly BatchPipeline<TBatch> _pipeline;
    private readonly int _perEpoch;

    internal BatchStream(Func<long, Func<Produced<TBatch>>> plan, long start, long end, int workers, int depth, Device? device, int perEpoch)
    {
        _pipeline = new BatchPipeline<TBatch>(plan, start, end, workers, depth, device);
        _perEpoch = perEpoch;
    }

    /// <summary>The global number of the next batch (epoch * BatchesPerEpoch + batch): what a checkpoint saves to resume.</summary>
    public long Position => _pipeline.Next;

    /// <summary>The epoch of the next batch, and its number within the epoch.</summary>
    public (int Epoch, int Batch) EpochAndBatch => ((int)(Position / _perEpoch), (int)(Position % _perEpoch));

    public TBatch Current => _pipeline.Current.Batch;

    object? System.Collections.IEnumerator.Current => Current;

    public bool MoveNext() => _pipeline.MoveNext();

    /// <summary>The next batch; past the end of a finite stream an <see cref="InvalidOperationException"/>.</summary>
    public TBatch Take() => MoveNext() ? Current : throw new InvalidOperationException($"BatchStream: no batch after position {Position}: the epoch is over");

    public void Reset() => throw new NotSupportedException("BatchStream: start a new stream from the loader at the position you want");

    public void Dispose() => _pipeline.Dispose();

    public IEnumerator<TBatch> GetEnumerator() => this;

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;
}
