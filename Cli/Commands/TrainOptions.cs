// The options of `dotgrad train`: data, optimization, model switches and run control. Values are null when not
// given, so that each task's defaults apply and --resume can tell what the user tried to change.
using System.CommandLine;
using DotGrad.Backends;

namespace DotGrad.Cli.Commands;

internal sealed class TrainOptions
{
    public readonly Argument<string> Model = new("model")
    {
        Description = "The model to train: gpt (default; the sort task or --text), or vit, mixer, gmlp (MNIST images, --mnist DIR)",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => "gpt",
    };
    // Data
    public readonly Option<string?> Task = new("--task") { Description = "gpt: the built-in task when no --text is given: sort (default)" };
    public readonly Option<string?> Text = new("--text") { HelpName = "FILE", Description = "gpt: train a character-level model of this UTF-8 text file" };
    public readonly Option<string?> Mnist = new("--mnist") { HelpName = "DIR", Description = "vit, mixer, gmlp: the MNIST directory (the four IDX files, gzip or raw)" };
    public readonly Option<string?> Labels = new("--labels")
    {
        HelpName = "LIST",
        Description = "vit, mixer, gmlp: train and evaluate on these digits only (\"0-4\", \"5,6,7\", \"0-2,7\"): a smaller problem " +
                      "whose classes are those digits relabelled 0..k-1 in ascending order",
    };
    public readonly Option<int?> TrainExamples = new("--train-examples")
    {
        HelpName = "N",
        Description = "vit, mixer, gmlp: train on the first N training images only (after --labels): the data size of a scaling sweep",
    };
    public readonly Option<int?> Digits = new("--digits") { Description = "Sort task: how many digits per list (default 8)" };
    public readonly Option<int?> Context = new("--context") { Description = "Text: the context length in characters (default 64)" };
    // Optimization
    public readonly Option<string?> Optimizer = new("--optimizer") { Description = "sgd, adam, adamw (default), adafactor, adafactor-paper (relative step, lr unused), adafactor-bv, lion, sm3, muon, dualized, rmsprop, adagrad, adamax, nadam, radam (PyTorch's, with their coupled decay)" };
    public readonly Option<double?> Lr = new("--lr") { Description = "Peak learning rate (default: the task's, 3e-3 for sort and MNIST, 2e-3 for text with Adam/AdamW; 0.1 for SGD)" };
    public readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "Weight decay on matrices and embeddings (default 0.01 for adamw, else 0)" };
    public readonly Option<double?> HeadWeightDecay = new("--head-weight-decay")
    {
        Description = "Weight decay of the output layer's weight, in a group of its own, while the body keeps --weight-decay " +
                      "(the Scaling-ViT paper's decoupled head decay); applied as the optimizer applies any decay. gpt: needs --head untied",
    };
    public readonly Option<string?> Schedule = new("--schedule") { Description = "Learning-rate decay after the warmup: constant, linear, cosine (default), rsqrt" };
    public readonly Option<int?> Warmup = new("--warmup") { Description = "Linear warmup steps (lr 0 at step 0)" };
    public readonly Option<int?> Cooldown = new("--cooldown") { Description = "Linear cooldown to 0 over the last N steps (default 0)" };
    public readonly Option<double?> Clip = new("--clip") { Description = "Clip the global gradient norm to this (default 1; 0 turns it off)" };
    public readonly Option<double?> Agc = new("--agc") { Description = "Adaptive gradient clipping with this factor (e.g. 0.01); off by default" };
    public readonly Option<string?> Sm3Momentum = new("--sm3-momentum") { Description = "sm3: the momentum rule: ema (default, the TensorFlow implementation's), heavy-ball, nesterov, none" };
    public readonly Option<string?> DualizedTargets = new("--dualized-targets") { Description = "dualized: per-layer (each parameter the target its modular norm gives it, modula's; default for vit --dualized) or uniform (one for all, as Muon; default elsewhere)" };
    public readonly Option<string?> DualizedVectors = new("--dualized-vectors") { Description = "dualized: dualized (default: biases momentum + L2-normalised step, norm gains momentum + sign) or adamw (every non-matrix parameter to AdamW at the task's lr, as Muon)" };
    public readonly Option<string?> DualizedFan = new("--dualized-fan") { Description = "dualized: raw (default, modula's sqrt(fan_out/fan_in)) or clipped (Muon's sqrt(max(1, fan_out/fan_in)))" };
    public readonly Option<int?> Steps = new("--steps") { Description = "Optimizer steps (default: sort 500, text 1000, MNIST 2000); with --resume, a larger N trains on past the saved run (see --extend)" };
    public readonly Option<int?> Batch = new("--batch") { Description = "Examples per step (default: sort 64, text 32, MNIST 128)" };
    public readonly Option<double?> ZLoss = new("--z-loss") { HelpName = "COEF", Description = "Add COEF * mean(logsumexp(logits)^2) to the loss (PaLM's z-loss, e.g. 1e-4); off by default" };
    public readonly Option<ulong?> Seed = new("--seed") { Description = "Seed of the initial weights and the data order (default 1)" };
    // Model
    public readonly Option<int?> Width = new("--width") { Description = "Model width (sort 64, text 128, MNIST 64)" };
    public readonly Option<int?> Depth = new("--depth") { Description = "Number of blocks (sort 2, text 4, MNIST 4)" };
    public readonly Option<int?> Heads = new("--heads") { Description = "gpt, vit: attention heads; must divide --width (default 4)" };
    public readonly Option<int?> KvHeads = new("--kv-heads") { Description = "gpt, vit: key/value heads: grouped-query (1 = multi-query); must divide --heads" };
    public readonly Option<int?> MlpHidden = new("--mlp-hidden") { Description = "MLP hidden width (gpt 4 x width, vit 128; mixer: the channel MLP, 256; gmlp: d_ffn, 256, even)" };
    public readonly Option<int?> TokenMlpHidden = new("--token-mlp-hidden") { Description = "mixer: the token-mixing MLP's hidden width (default 32)" };
    public readonly Option<int?> Patch = new("--patch") { Description = "vit, mixer, gmlp: the patch side in pixels; must divide 28 (default 7: 16 tokens)" };
    public readonly Option<string?> Norm = new("--norm") { Description = "gpt, vit: norm placement: pre (default), post, double" };
    public readonly Option<string?> NormKind = new("--norm-kind") { Description = "gpt, vit: layernorm (default) or rmsnorm" };
    public readonly Option<bool> Parallel = new("--parallel") { Description = "gpt, vit: parallel blocks: x + Attn(N(x)) + MLP(N(x))" };
    public readonly Option<string?> Residual = new("--residual") { Description = "gpt, vit: standard (default), rezero, scaled" };
    public readonly Option<string?> Mlp = new("--mlp") { Description = "gpt, vit: plain (default), swiglu, geglu" };
    public readonly Option<string?> Activation = new("--activation") { Description = "gpt, vit: gelu (gpt default), gelu-tanh (vit default), scaled-gelu, relu, silu" };
    public readonly Option<string?> Positions = new("--positions") { Description = "gpt: learned (default) or rope; vit: learned (default) or sincos2d" };
    public readonly Option<bool> Rope = new("--rope") { Description = "gpt: rotary position embeddings (same as --positions rope)" };
    public readonly Option<string?> Head = new("--head") { Description = "gpt: tied (to the token embedding, default) or untied; vit: tok (cls token, default), gap (mean) or map (attention pooling)" };
    public readonly Option<bool> QkNorm = new("--qk-norm") { Description = "gpt, vit: RMS-normalise queries and keys per head" };
    public readonly Option<double?> LogitCap = new("--logit-cap") { Description = "gpt: soft-cap the output logits, cap * tanh(logits / cap) (e.g. 30); off by default" };
    public readonly Option<double?> AttnLogitCap = new("--attn-logit-cap") { Description = "gpt: soft-cap the attention logits the same way (e.g. 50); off by default" };
    public readonly Option<bool> NoBias = new("--no-bias") { Description = "gpt, vit: no biases in linear layers and layer norms" };
    public readonly Option<bool> Dualized = new("--dualized") { Description = "vit: the modula port's blocks: gelu/1.1289, 1/d attention logits with the output x 1/3, residual (1-s) x + s f(x) with s = 1/(2 depth); sincos2d positions and gap head unless given" };
    public readonly Option<string?> Mixer = new("--mixer") { Description = "lm: the token mixer: attention (default), mixer, gmlp, gmlp-tanh, synthesizer-dense, synthesizer-random, container" };
    public readonly Option<int?> MixerHeads = new("--mixer-heads") { Description = "lm: the token mixer's heads (channel groups); must divide --width (default 4)" };
    public readonly Option<bool> ReZero = new("--rezero") { Description = "lm: no norms; each branch joins as x + alpha f(x), alpha starting at 0" };
    // Run
    public readonly Option<string> Device = DeviceChoice.CreateOption();
    public readonly Option<string?> Out = new("--out") { HelpName = "DIR", Description = "Run directory (default runs/TASK-MODEL-TIMESTAMP): metrics.csv, loss.png, checkpoints/" };
    public readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Train a new run into an --out that holds another run, replacing its metrics.csv, loss.png, profile.csv and checkpoints/ " +
                      "(without it such an --out is refused)",
    };
    public readonly Option<string?> Resume = new("--resume") { HelpName = "DIR", Description = "Continue a run from a checkpoint (or a run directory's latest one), exactly" };
    public readonly Option<string?> InitFrom = new("--init-from")
    {
        HelpName = "DIR",
        Description = "Start a new run from a checkpoint's weights (or a run directory's latest), with its model and task but a new optimizer, " +
                      "learning rate, schedule and data order",
    };
    public readonly Option<bool> Extend = new("--extend")
    {
        Description = "With --resume and a larger --steps: train on past the run's end at its schedule's final learning rate (0.1 x --lr " +
                      "for linear and cosine, which are laid over the run's --steps and cannot simply be stretched)",
    };
    public readonly Option<string?> Branch = new("--branch")
    {
        HelpName = "CHECKPOINT",
        Description = "Start a new run in --out DIR from a checkpoint of another run, exactly as --resume would, with a new --steps and " +
                      "--cooldown (a cooldown branched off a constant or rsqrt run); the rows of metrics.csv up to the checkpoint are copied, the source run is untouched",
    };
    public readonly Option<int?> EvalEvery = new("--eval-every") { Description = "Evaluate every N steps (0: only at the end)" };
    public readonly Option<int?> SaveEvery = new("--save-every") { Description = "Write a checkpoint every N steps (0 default: only at the end)" };
    public readonly Option<int?> Keep = new("--keep")
    {
        Description = "Keep the N most recent checkpoints and the one with the best evaluation, deleting older ones as new ones are written (default 3; 0 keeps all)",
    };
    public readonly Option<bool> Profile = new("--profile")
    {
        Description = "Profile the training steps after the first (a warm-up): print a table of ops (calls, time, share, GFLOP/s; forward " +
                      "and backward) and the memory peak at the end, and write it as profile.csv in the run directory",
    };
    public readonly Option<int?> LogEvery = new("--log-every") { Description = "Without a terminal: print a progress line every N steps (default steps/20)" };

    public IEnumerable<Option> All() =>
    [
        Task, Text, Mnist, Labels, TrainExamples, Digits, Context, Optimizer, Lr, WeightDecay, HeadWeightDecay, Schedule, Warmup, Cooldown, Clip, Agc,
        Sm3Momentum, DualizedTargets, DualizedVectors, DualizedFan, ZLoss, Steps, Batch, Seed,
        Width, Depth, Heads, KvHeads, MlpHidden, TokenMlpHidden, Patch, Norm, NormKind, Parallel, Residual, Mlp, Activation, Positions, Rope, Head,
        QkNorm, LogitCap, AttnLogitCap, NoBias, Dualized, Mixer, MixerHeads, ReZero, Device, Out, Overwrite, Resume, Extend, Branch, InitFrom, EvalEvery, SaveEvery, Keep, LogEvery, Profile,
    ];
}
