// The options of `dotgrad train`: data, optimization, model switches and run control. Values are null when not
// given, so that each task's defaults apply and --resume can tell what the user tried to change.
using System.CommandLine;

namespace DotGrad.Cli.Commands;

internal sealed class TrainOptions
{
    public readonly Argument<string> Model = new("model")
    {
        Description = "The model to train: gpt (vit, mixer and gmlp on MNIST are coming)",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => "gpt",
    };
    // Data
    public readonly Option<string?> Task = new("--task") { Description = "The built-in task when no --text is given: sort (default)" };
    public readonly Option<string?> Text = new("--text") { HelpName = "FILE", Description = "Train a character-level GPT on this UTF-8 text file" };
    public readonly Option<int?> Digits = new("--digits") { Description = "Sort task: how many digits per list (default 8)" };
    public readonly Option<int?> Context = new("--context") { Description = "Text: the context length in characters (default 64)" };
    // Optimization
    public readonly Option<string?> Optimizer = new("--optimizer") { Description = "sgd, adam, adamw (default), adafactor, adafactor-bv, lion, sm3, muon, dualized" };
    public readonly Option<double?> Lr = new("--lr") { Description = "Peak learning rate (default: the task's, 3e-3 for sort and 2e-3 for text with Adam/AdamW; 0.1 for SGD)" };
    public readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "Weight decay on matrices and embeddings (default 0.01 for adamw, else 0)" };
    public readonly Option<string?> Schedule = new("--schedule") { Description = "Learning-rate decay after the warmup: constant, linear, cosine (default), rsqrt" };
    public readonly Option<int?> Warmup = new("--warmup") { Description = "Linear warmup steps (lr 0 at step 0)" };
    public readonly Option<int?> Cooldown = new("--cooldown") { Description = "Linear cooldown to 0 over the last N steps (default 0)" };
    public readonly Option<double?> Clip = new("--clip") { Description = "Clip the global gradient norm to this (default 1; 0 turns it off)" };
    public readonly Option<double?> Agc = new("--agc") { Description = "Adaptive gradient clipping with this factor (e.g. 0.01); off by default" };
    public readonly Option<int?> Steps = new("--steps") { Description = "Optimizer steps (default: sort 500, text 1000); with --resume, a larger N trains on past the saved run" };
    public readonly Option<int?> Batch = new("--batch") { Description = "Examples per step (default: sort 64, text 32)" };
    public readonly Option<ulong?> Seed = new("--seed") { Description = "Seed of the initial weights and the data order (default 1)" };
    // Model
    public readonly Option<int?> Width = new("--width") { Description = "Model width (sort 64, text 128)" };
    public readonly Option<int?> Depth = new("--depth") { Description = "Number of transformer blocks (sort 2, text 4)" };
    public readonly Option<int?> Heads = new("--heads") { Description = "Attention heads; must divide --width (default 4)" };
    public readonly Option<int?> KvHeads = new("--kv-heads") { Description = "Key/value heads: grouped-query (1 = multi-query); must divide --heads" };
    public readonly Option<int?> MlpHidden = new("--mlp-hidden") { Description = "MLP hidden width (default 4 x width)" };
    public readonly Option<string?> Norm = new("--norm") { Description = "Norm placement: pre (default), post, double" };
    public readonly Option<string?> NormKind = new("--norm-kind") { Description = "layernorm (default) or rmsnorm" };
    public readonly Option<bool> Parallel = new("--parallel") { Description = "Parallel blocks: x + Attn(N(x)) + MLP(N(x))" };
    public readonly Option<string?> Residual = new("--residual") { Description = "standard (default), rezero, scaled" };
    public readonly Option<string?> Mlp = new("--mlp") { Description = "plain (default), swiglu, geglu" };
    public readonly Option<string?> Activation = new("--activation") { Description = "gelu (default), gelu-tanh, scaled-gelu, relu, silu" };
    public readonly Option<string?> Positions = new("--positions") { Description = "learned (default) or rope" };
    public readonly Option<bool> Rope = new("--rope") { Description = "Rotary position embeddings (same as --positions rope)" };
    public readonly Option<string?> Head = new("--head") { Description = "Output head: tied (to the token embedding, default) or untied" };
    public readonly Option<bool> QkNorm = new("--qk-norm") { Description = "RMS-normalise queries and keys per head" };
    public readonly Option<bool> NoBias = new("--no-bias") { Description = "No biases in linear layers and layer norms" };
    // Run
    public readonly Option<string> Device = DeviceChoice.CreateOption();
    public readonly Option<string?> Out = new("--out") { HelpName = "DIR", Description = "Run directory (default runs/TASK-TIMESTAMP): metrics.csv, loss.png, checkpoints/" };
    public readonly Option<string?> Resume = new("--resume") { HelpName = "DIR", Description = "Continue a run from a checkpoint (or a run directory's latest one), exactly" };
    public readonly Option<int?> EvalEvery = new("--eval-every") { Description = "Evaluate every N steps (0: only at the end)" };
    public readonly Option<int?> SaveEvery = new("--save-every") { Description = "Write a checkpoint every N steps (0 default: only at the end)" };
    public readonly Option<int?> LogEvery = new("--log-every") { Description = "Without a terminal: print a progress line every N steps (default steps/20)" };

    public IEnumerable<Option> All() =>
    [
        Task, Text, Digits, Context, Optimizer, Lr, WeightDecay, Schedule, Warmup, Cooldown, Clip, Agc, Steps, Batch, Seed,
        Width, Depth, Heads, KvHeads, MlpHidden, Norm, NormKind, Parallel, Residual, Mlp, Activation, Positions, Rope, Head,
        QkNorm, NoBias, Device, Out, Resume, EvalEvery, SaveEvery, LogEvery,
    ];
}
