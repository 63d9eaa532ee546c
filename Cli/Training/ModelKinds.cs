// The kinds of model `dotgrad train` builds. A kind says which data it trains on, which model options it takes, how
// those options and the task become its config record, how that config is built, described and kept in run.json. The
// command, --resume and `sample` go through a kind and never name a model class themselves.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Tasks;
using DotGrad.Models;

namespace DotGrad.Cli.Training;

/// <summary>What a model kind learns from: character sequences (the sort task, --text) or labelled images (--mnist).</summary>
internal enum TrainingData
{
    Language,
    Images,
}

/// <summary>One kind of model, with its config handled as the JSON that run.json keeps (see <see cref="ModelKind{TConfig}"/>).</summary>
internal abstract class ModelKind
{
    /// <summary>The name on the command line and in run.json ("gpt", "vit", ...).</summary>
    public abstract string Name { get; }

    public abstract TrainingData Data { get; }

    /// <summary>The model options this kind takes (as typed: "--width"); any other given option is a usage error.</summary>
    public abstract IReadOnlyCollection<string> Switches { get; }

    /// <summary>The final classifier's parameters, which adaptive gradient clipping leaves alone (as the NFNet paper does).</summary>
    public abstract IReadOnlyCollection<string> OutputLayer { get; }

    /// <summary>The settings this kind trains well with on <paramref name="task"/> when the user gives none.</summary>
    public virtual TaskDefaults Defaults(ITrainingTask task) => task.Defaults;

    /// <summary>The config for <paramref name="task"/> with the user's <paramref name="switches"/>, as run.json keeps it.</summary>
    public abstract JsonObject Configure(ModelSwitches switches, ITrainingTask task);

    /// <summary>
    /// The model of <paramref name="config"/>, initialised from <paramref name="seed"/>; <paramref name="source"/> names
    /// where the config came from (a checkpoint directory) for the message when it cannot be read.
    /// </summary>
    public abstract Module<Tensor, Tensor> Build(JsonObject config, ulong seed, Device device, string source);

    /// <summary>A <see cref="UserError"/> when a checkpoint's model does not fit the task it is resumed on.</summary>
    public abstract void CheckTask(JsonObject config, ITrainingTask task, string source);

    /// <summary>One line on the model: its shape, its switches and its parameter count.</summary>
    public abstract string Describe(JsonObject config, Module model);

    /// <summary>
    /// How configs are kept in run.json: as <see cref="Checkpoint.Json"/>, but only the fields a config record is made
    /// from, not the properties it derives from them (a GptConfig's Block, a VitConfig's PatchCount), which would be
    /// noise in the file and could disagree with the fields after a hand edit.
    /// </summary>
    public static readonly JsonSerializerOptions ConfigJson = new(Checkpoint.Json)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Kind != JsonTypeInfoKind.Object) return;
                    var derived = info.Properties.Where(p => p.Set is null && p.AssociatedParameter is null).ToList();
                    foreach (var p in derived) info.Properties.Remove(p);
                },
            },
        },
    };

    /// <summary>
    /// Creates a model and runs one forward pass of <paramref name="probe"/> without gradients, so that a config the
    /// library rejects (heads not dividing the width, ...) is a <see cref="UserError"/> here, before anything is written.
    /// </summary>
    public static TModel Probe<TModel>(Func<TModel> create, Func<Tensor> probe) where TModel : Module<Tensor, Tensor>
    {
        TModel? model = null;
        try
        {
            model = create();
            using var noGrad = Autograd.NoGrad();
            using var scope = Tensor.NewDisposeScope();
            model.Call(probe());
            return model;
        }
        catch (ArgumentException e)
        {
            model?.Dispose();
            throw new UserError($"impossible model configuration: {UserError.MessageOf(e)}. Change the model options (see 'dotgrad train --help')", e);
        }
    }
}

/// <summary>A model kind with a typed config record: the JSON side of <see cref="ModelKind"/> written once for every kind.</summary>
internal abstract class ModelKind<TConfig> : ModelKind where TConfig : class
{
    /// <summary>The config from the switches that <see cref="ModelKind.Switches"/> allows and the task's data.</summary>
    protected abstract TConfig Resolve(ModelSwitches switches, ITrainingTask task);

    public abstract Module<Tensor, Tensor> Build(TConfig config, ulong seed, Device device);

    /// <summary>Why the model of <paramref name="config"/> cannot train on <paramref name="task"/>, or null when it can.</summary>
    protected abstract string? Mismatch(TConfig config, ITrainingTask task);

    /// <summary>The mismatch of a language model's vocabulary and context with a language task's, or null when they agree.</summary>
    protected static string? LanguageMismatch(int vocabSize, int contextLength, ITrainingTask task) =>
        task is ILanguageTask t && t.Vocab.Size == vocabSize && t.ContextLength == contextLength
            ? null
            : $"the task's vocabulary ({(task as ILanguageTask)?.Vocab.Size}) or context ({(task as ILanguageTask)?.ContextLength}) " +
              $"does not match the model's ({vocabSize}, {contextLength})";

    public abstract string Describe(TConfig config, Module model);

    public sealed override JsonObject Configure(ModelSwitches switches, ITrainingTask task)
    {
        switches.CheckApplies(Name, Switches);
        return ToJson(Resolve(switches, task));
    }

    public sealed override Module<Tensor, Tensor> Build(JsonObject config, ulong seed, Device device, string source) =>
        Build(FromJson(config, source), seed, device);

    public sealed override void CheckTask(JsonObject config, ITrainingTask task, string source)
    {
        if (Mismatch(FromJson(config, source), task) is { } why)
            throw new UserError($"'{source}': the checkpoint's {Name} does not fit its task: {why}");
    }

    public sealed override string Describe(JsonObject config, Module model) => Describe(FromJson(config, "the run"), model);

    public JsonObject ToJson(TConfig config) => JsonSerializer.SerializeToNode(config, ConfigJson)!.AsObject();

    /// <summary>The config a checkpoint's run.json holds; a damaged one is a <see cref="UserError"/>.</summary>
    public TConfig FromJson(JsonObject json, string source)
    {
        try
        {
            return json.Deserialize<TConfig>(ConfigJson) ?? throw new JsonException("the config is null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new UserError($"'{source}' is not a usable dotgrad checkpoint: its {Name} config cannot be read ({e.Message})", e);
        }
    }
}

/// <summary>Every kind `dotgrad train` knows, by name.</summary>
internal static class ModelKinds
{
    public static readonly IReadOnlyList<ModelKind> All = [GptModel.Instance, VisionModels.Vit, VisionModels.Mixer, VisionModels.GMlp, MixerLmModel.Instance];

    public static IEnumerable<string> Names => All.Select(k => k.Name);

    /// <summary>The kind called <paramref name="name"/> (any case), or null.</summary>
    public static ModelKind? Find(string name) =>
        All.FirstOrDefault(k => string.Equals(k.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
}
