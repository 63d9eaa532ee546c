// A run's training batches through the library's data loading: a dataset sampled with replacement (MNIST images, text
// windows) or batches generated on the fly (the sort task), built ahead on a worker, resumable from the data generator.
using DotGrad.Backends;
using DotGrad.Data;

namespace DotGrad.Cli.Tasks;

/// <summary>
/// The batches a run trains on, from the data generator's state (seed, offset) on, and that state after the batches
/// taken so far (what a checkpoint saves as <c>data_rng</c>). Whatever the prefetch, the batches are those that drawing
/// each in turn from one <see cref="Generator"/> gives, so runs from before the loader existed resume unchanged.
/// </summary>
internal sealed class TrainingBatches : IDisposable
{
    private readonly Func<Batch> _next;
    private readonly Func<(ulong Seed, ulong Offset)> _state;
    private readonly IDisposable _stream;

    private TrainingBatches(Func<Batch> next, Func<(ulong, ulong)> state, IDisposable stream) => (_next, _state, _stream) = (next, state, stream);

    /// <summary>
    /// Batches of <paramref name="batchSize"/> examples drawn uniformly with replacement (<see cref="ReplacementSampler"/>,
    /// continuing the generator at <paramref name="data"/>), collated by stacking, <paramref name="prefetch"/> ahead on a worker.
    /// </summary>
    public static TrainingBatches Sampled(IDataset<(Tensor Input, Tensor Target)> examples, int batchSize, (ulong Seed, ulong Offset) data,
                                          Device device, int prefetch)
    {
        var sampler = new ReplacementSampler(examples.Count, batchSize, data.Seed, offset: data.Offset);
        var loader = prefetch == 0
            ? new DataLoader<(Tensor Input, Tensor Target)>(examples, device: device, sampler: sampler)
            : new DataLoader<(Tensor Input, Tensor Target)>(examples, workers: 1, prefetchFactor: prefetch, device: device, sampler: sampler);
        var stream = loader.Stream();
        return new TrainingBatches(() =>
        {
            var (input, target) = stream.Take();
            return new Batch(input, target);
        }, () => (data.Seed, sampler.OffsetAfter(stream.Position)), stream);
    }

    /// <summary>Batches that <paramref name="draw"/> makes from the generator in turn (<see cref="GeneratorStream{TBatch}"/>), <paramref name="prefetch"/> ahead.</summary>
    public static TrainingBatches Generated(Func<Generator, (Tensor Input, Tensor Target)> draw, (ulong Seed, ulong Offset) data, Device device, int prefetch)
    {
        var stream = new GeneratorStream<(Tensor Input, Tensor Target)>(draw, data, prefetch, device);
        return new TrainingBatches(() =>
        {
            var (input, target) = stream.Take();
            return new Batch(input, target);
        }, () => stream.State, stream);
    }

    /// <summary>One batch of <paramref name="task"/> drawn from <paramref name="generator"/>, which then holds the state after it.</summary>
    public static Batch One(ITrainingTask task, int batchSize, Generator generator, Device device)
    {
        using var batches = task.Batches(batchSize, generator.GetState(), device, prefetch: 0);
        var batch = batches.Next();
        generator.SetState(batches.State);
        return batch;
    }

    /// <summary>The next batch; its tensors join the dispose scope active on this thread (a training step's).</summary>
    public Batch Next() => _next();

    /// <summary>The data generator's (seed, offset) after the batches taken.</summary>
    public (ulong Seed, ulong Offset) State => _state();

    public void Dispose() => _stream.Dispose();
}
