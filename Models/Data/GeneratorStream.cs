// Batches generated on the fly from a random-number generator (synthetic tasks), built ahead on a worker, resumable
// from the generator's state.
using DotGrad.Backends;

namespace DotGrad.Data;

/// <summary>
/// An endless stream of batches that <c>draw(generator)</c> generates one after another from one
/// <see cref="Generator"/> (PyTorch: an <c>IterableDataset</c> that draws from its own <c>torch.Generator</c>, with
/// automatic batching off). Each draw may take as many random numbers as it likes (redrawing an example it rejects,
/// say), so the position is the generator's state, not a batch count: <see cref="State"/> is the state after the
/// batches handed out so far, what a checkpoint saves; a stream started from it continues identically. With
/// <c>prefetch</c> &gt; 0 one worker thread draws that many batches ahead, in order, on a generator of its own, so the
/// batches are the same as with none. Hand-over, devices and dispose scopes as for <see cref="DataLoader{TItem, TBatch}"/>.
/// </summary>
public sealed class GeneratorStream<TBatch> : IEnumerator<TBatch>, IEnumerable<TBatch>
{
    private readonly BatchPipeline<TBatch> _pipeline;
    private (ulong Seed, ulong Offset) _state;

    public GeneratorStream(Func<Generator, TBatch> draw, (ulong Seed, ulong Offset) state, int prefetch = 0, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(draw);
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), $"GeneratorStream: prefetch must be 0 (draw when asked) or more, got {prefetch}");
        _state = state;
        // The generator is the worker's alone (or the caller's thread's, without prefetch): draws run one at a time, in order.
        var generator = new Generator(state.Seed);
        generator.SetState(state);
        _pipeline = new BatchPipeline<TBatch>(
            _ => () => BatchPipeline<TBatch>.Build(() => draw(generator), note: null) with { Note = generator.GetState() },
            0, long.MaxValue, workers: prefetch == 0 ? 0 : 1, depth: prefetch, device);
    }

    /// <summary>The generator's (seed, offset) after the batches handed out: start a stream there to continue.</summary>
    public (ulong Seed, ulong Offset) State => _state;

    /// <summary>How many batches have been handed out.</summary>
    public long Count => _pipeline.Next;

    public TBatch Current => _pipeline.Current.Batch;

    object? System.Collections.IEnumerator.Current => Current;

    public bool MoveNext()
    {
        _pipeline.MoveNext();
        _state = ((ulong Seed, ulong Offset))_pipeline.Current.Note!;
        return true;
    }

    /// <summary>The next batch.</summary>
    public TBatch Take()
    {
        MoveNext();
        return Current;
    }

    public void Reset() => throw new NotSupportedException("GeneratorStream: start a new stream from the state you want");

    public void Dispose() => _pipeline.Dispose();

    public IEnumerator<TBatch> GetEnumerator() => this;

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => this;
}
