// The machinery behind the loaders: batches built ahead on worker threads, at most a fixed number in flight, handed out
// strictly in order on the thread that asks, where they join its dispose scope (and move to its device).
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Data;

/// <summary>A built batch, the tensors building it created (the loader's to hand over or release), and what its producer notes (a generator state).</summary>
internal readonly record struct Produced<TBatch>(TBatch Batch, Tensor[] Owned, object? Note);

/// <summary>
/// Hands out batches start, start + 1, ... (up to, not including, end). <c>plan(k)</c> is called on the consuming thread
/// in order of k, when batch k is scheduled; it returns the work that builds the batch, run on a worker (or inline without
/// workers). With one worker the work runs in order too, which a sequential producer (a generator) relies on.
/// </summary>
internal sealed class BatchPipeline<TBatch> : IDisposable
{
    private readonly Func<long, Func<Produced<TBatch>>> _plan;
    private readonly long _end;
    private readonly int _workers, _depth;
    private readonly Device? _device;
    private readonly Queue<Job> _pending = new();
    private BlockingCollection<Job>? _queue;
    private Thread[] _threads = [];
    private long _scheduled;
    private volatile bool _stopping;

    private sealed class Job(Func<Produced<TBatch>> work)
    {
        public readonly Func<Produced<TBatch>> Work = work;
        public readonly ManualResetEventSlim Done = new();
        public Produced<TBatch> Result;
        public ExceptionDispatchInfo? Error;
        public bool Taken;

        public void Run()
        {
            try
            {
                Result = Work();
            }
            catch (Exception e)
            {
                Error = ExceptionDispatchInfo.Capture(e);
            }
            Done.Set();
        }
    }

    public BatchPipeline(Func<long, Func<Produced<TBatch>>> plan, long start, long end, int workers, int depth, Device? device)
    {
        _plan = plan;
        Next = _scheduled = start;
        _end = end;
        _workers = workers;
        _depth = Math.Max(1, depth);
        _device = device;
    }

    /// <summary>The number of the next batch to hand out.</summary>
    public long Next { get; private set; }

    /// <summary>The last batch handed out, and its producer's note.</summary>
    public (TBatch Batch, object? Note) Current { get; private set; }

    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (Next >= _end) return false;
        Produced<TBatch> produced;
        if (_workers == 0)
        {
            long k = Next++;
            produced = _plan(k)();
        }
        else
        {
            Schedule();
            var job = _pending.Dequeue();
            Next++;
            Schedule();                        // refill while this batch is in use
            job.Done.Wait();
            job.Taken = true;
            job.Error?.Throw();
            produced = job.Result;
        }
        Current = (HandOver(produced), produced.Note);
        return true;
    }

    private void Schedule()
    {
        if (_queue is null)
        {
            _queue = new BlockingCollection<Job>();
            // No execution context flows into the workers: a profiler or other async-local state of the consumer stays its own.
            using (ExecutionContext.SuppressFlow())
                _threads = Enumerable.Range(0, _workers).Select(i =>
                {
                    var thread = new Thread(Work) { IsBackground = true, Name = $"DotGrad data worker {i}" };
                    thread.Start();
                    return thread;
                }).ToArray();
        }
        while (_pending.Count < _depth && _scheduled < _end)
        {
            var job = new Job(_plan(_scheduled++));
            _pending.Enqueue(job);
            _queue.Add(job);
        }
    }

    private void Work()
    {
        foreach (var job in _queue!.GetConsumingEnumerable())
        {
            if (_stopping)
            {
                job.Done.Set();
                continue;
            }
            job.Run();
        }
    }

    /// <summary>
    /// Runs <paramref name="make"/> without gradients in a scope of its own, and keeps, untracked, the tensors of the batch
    /// it created (temporaries, such as an item's row views, are released); tensors it returns that existed before (a
    /// collate that passes a dataset's tensor through) stay their owner's.
    /// </summary>
    public static Produced<TBatch> Build(Func<TBatch> make, object? note = null)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = Tensor.NewDisposeScope();
        var batch = make();
        var owned = Collate.Tensors(batch).Where(t => ReferenceEquals(t.OwningDisposeScope, scope)).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToArray();
        foreach (var t in owned) t.DetachFromDisposeScope();
        return new Produced<TBatch>(batch, owned, note);
    }

    /// <summary>
    /// On the consuming thread: a batch for another device is copied there (the copies are created here, so this
    /// thread's dispose scope takes them) and the host batch released; otherwise the scope, if one is active, adopts the
    /// batch's tensors, so that a training step's scope releases its batch.
    /// </summary>
    private TBatch HandOver(Produced<TBatch> produced)
    {
        if (_device is { } device && device != Device.Cpu)
        {
            var moved = Collate.Map(produced.Batch, t => t.To(device));
            foreach (var t in produced.Owned) t.Dispose();
            return moved;
        }
        if (DisposeScope.Current is { } scope)
            foreach (var t in produced.Owned) scope.Track(t);
        return produced.Batch;
    }

    /// <summary>Stops the workers and releases the batches built ahead that were never handed out.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _queue?.CompleteAdding();
        foreach (var thread in _threads) thread.Join();
        foreach (var job in _pending)
            if (job.Done.IsSet && job.Error is null && !job.Taken && job.Result.Owned is { } owned)
                foreach (var t in owned) t.Dispose();
        _pending.Clear();
        _queue?.Dispose();
    }
}
