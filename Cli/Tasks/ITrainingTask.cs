// What the trainer needs from a task: batches, a loss, an evaluation, and what to write in run.json to rebuild it.
// A language task (the built-in sort task, char-level text) also gives its vocabulary and context length, from
// which the GPT is built; an image task (MNIST) gives its image shape and classes to the vision models.
using System.Text.Json.Nodes;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Cli.Tasks;

/// <summary>One batch: the model's input and the targets the task's loss compares its output with.</summary>
internal sealed record Batch(Tensor Input, Tensor Target);

/// <summary>An evaluation: its value (the metric the task names) and a sentence for people.</summary>
internal sealed record Evaluation(double Value, string Summary);

/// <summary>The settings a task trains well with when the user gives none.</summary>
internal sealed record TaskDefaults(int Steps, int Batch, double Lr, int Warmup, string Schedule, double? Clip, int EvalEvery);

/// <summary>A training task: where the data comes from and how a model is judged on it.</summary>
internal interface ITrainingTask
{
    /// <summary>The name in run.json, file names and messages ("sort", "text").</summary>
    string Name { get; }

    /// <summary>One line saying what the task is.</summary>
    string Description { get; }

    TaskDefaults Defaults { get; }

    /// <summary>What throughput counts ("tok" for tokens, "img" for images) and how many of them one example has.</summary>
    (string Unit, int PerExample) Throughput { get; }

    /// <summary>The evaluation metric's name ("accuracy", "val_loss") and whether larger is better.</summary>
    (string Name, bool HigherIsBetter) Metric { get; }

    /// <summary>
    /// The training batches, drawn from the data generator at <paramref name="data"/> only, so that the data order is
    /// fixed by the generator's state (saved in checkpoints: a resumed run sees the same batches as an uninterrupted
    /// one), built through the library's data loading (DotGrad.Data) <paramref name="prefetch"/> batches ahead (0: when asked).
    /// </summary>
    TrainingBatches Batches(int batchSize, (ulong Seed, ulong Offset) data, Device device, int prefetch);


    /// <summary>The scalar training loss of the model's <paramref name="output"/> against <paramref name="target"/>.</summary>
    Tensor Loss(Tensor output, Tensor target);

    /// <summary>Judges the model on held-out data (more of it when <paramref name="final"/>); runs without gradients.</summary>
    Evaluation Evaluate(Module<Tensor, Tensor> model, Device device, bool final);

    /// <summary>What run.json records so the task can be rebuilt for --resume and sampling.</summary>
    JsonObject ToJson();
}

/// <summary>A task whose examples are character sequences, modelled by a GPT.</summary>
internal interface ILanguageTask : ITrainingTask
{
    CharVocab Vocab { get; }

    /// <summary>The longest sequence the model sees (its GptConfig.ContextLength).</summary>
    int ContextLength { get; }

    /// <summary>The model shape this task trains well with: width, depth and heads.</summary>
    (int Width, int Depth, int Heads) DefaultShape { get; }

    /// <summary>A prompt to suggest for 'dotgrad sample' after training.</summary>
    string SuggestedPrompt { get; }
}

/// <summary>A task whose examples are square NHWC images [B, ImageSize, ImageSize, Channels] with a class label each.</summary>
internal interface IImageTask : ITrainingTask
{
    /// <summary>The side of the square images, in pixels.</summary>
    int ImageSize { get; }

    int Channels { get; }

    /// <summary>How many classes the labels run over (0 .. Classes - 1).</summary>
    int Classes { get; }
}
