// Lesson 10: a GPT built from the library's layers, checked against Models.Gpt, trained on tiny Shakespeare, sampled.
// Run it from the repository root: dotnet run --file docs/course/10-gpt.cs (a few minutes; DOTGRAD_QUICK=1: seconds)
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using System.Diagnostics;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using DotGrad.Models;
using DotGrad.Optim;

// region: data
// Character-level: the vocabulary is the text's distinct characters, and a token is a character's index in it.
var text = File.ReadAllText(Lesson.Data("tinyshakespeare.txt"));
char[] vocab = text.Distinct().Order().ToArray();
var index = vocab.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
int[] ids = text.Select(c => index[c]).ToArray();
int split = ids.Length * 9 / 10;                                   // train on the first 90%, validate on the rest
// endregion
Console.WriteLine($"tiny Shakespeare: {ids.Length:N0} characters, {vocab.Length} distinct, {split:N0} for training");
Console.WriteLine($"vocabulary: {new string(vocab).Replace("\n", "\\n")}");

// region: model-config
var config = new Config(Vocab: vocab.Length, Context: 64, Width: 128, Depth: 4, Heads: 4);
using var gpt = new MiniGpt(config, new Generator(0));
// endregion
Console.WriteLine($"{config}: {gpt.ParameterCount():N0} parameters");
foreach (var (name, p) in gpt.NamedParameters().Where(p => !p.Name.StartsWith("h.") || p.Name.StartsWith("h.0.")))
    Console.WriteLine($"  {name,-22} [{string.Join(", ", p.Shape)}]");
Console.WriteLine($"  (h.1 to h.{config.Depth - 1} as h.0)");

// region: check
// The library's GPT with the same shape. Strict loading succeeds only if every name and shape agrees.
using var reference = new Gpt(new GptConfig(config.Vocab, config.Context, config.Width, config.Depth, config.Heads, TiedHead: false));
reference.LoadStateDict(gpt.StateDict());
var probe = Tensor.Randint(0, config.Vocab, [2, config.Context], new Generator(1));   // [B, T] random tokens
using (Autograd.NoGrad())
{
    var ours = gpt.Call(probe);                                     // [B, T, V]
    var theirs = reference.Call(probe);                             // [B, T, V]
    Console.WriteLine($"logits {Shape(ours)}, max |ours - Models.Gpt| = {(ours - theirs).Abs().Max().Item():0.0e+00}");
}
// endregion

// region: trace
// One forward pass of a one-block model on 2 sequences of 8 tokens, as the autograd graph records it.
using (var tiny = new MiniGpt(config with { Depth = 1 }, new Generator(2)))
using (var trace = ShapeTrace.Start())
{
    tiny.Call(probe[.., ..8]);                                      // [2, 8] -> [2, 8, V]
    string[] moves = ["Reshape", "Permute", "Expand"];              // rearrange numbers, compute nothing
    Console.WriteLine(ShapeTrace.Header);
    foreach (var op in trace.Ops.Where(op => !moves.Contains(op.Name))) Console.WriteLine(op);
    Console.WriteLine($"({trace.Ops.Count(op => moves.Contains(op.Name))} more rows are Reshape, Permute and Expand)");
}
// endregion

// region: train
int steps = Lesson.Steps(full: 800, quick: 6), B = 32, T = config.Context;
var decay = gpt.Parameters().Where(p => p.Rank == 2).ToList();     // matrices and embeddings decay...
var noDecay = gpt.Parameters().Where(p => p.Rank < 2).ToList();     // ...gains and biases do not
var opt = new AdamW(decay, new AdamOptions { Lr = 3e-3, WeightDecay = 0.1 });
opt.AddParamGroup(noDecay, opt.Defaults with { WeightDecay = 0 });
opt.Schedule = Schedules.Create(DecayKind.Cosine, total: steps, warmup: steps / 20);
var data = new Generator(3);
var losses = new double[steps];
var validation = new List<(int Step, double Loss)>();
var clock = Stopwatch.StartNew();
for (int step = 0; step < steps; step++)
{
    using var scope = Tensor.NewDisposeScope();                     // frees the step's tensors at its end
    var (x, y) = Batch(ids, 0, split, B, T, data);                  // [B, T] inputs, [B, T] next characters
    var logits = gpt.Call(x);                                       // [B, T, V]
    var loss = Functional.CrossEntropy(logits.Reshape(-1, config.Vocab), y.Reshape(-1)); // mean over B*T predictions
    opt.ZeroGrad();
    loss.Backward();
    Clipping.ClipGradNorm(gpt.Parameters(), maxNorm: 1.0);          // one bad batch cannot throw the weights far
    opt.Step();
    losses[step] = loss.Item();
    bool report = step == steps - 1 || step % (steps / 5) == 0;     // six lines of the log, in either mode
    if (report || step % 40 == 0) validation.Add((step, Validate(gpt, ids, split, T, Lesson.Quick ? 4 : 32)));
    if (report) Report(step);
}
// endregion
Console.WriteLine($"{steps} steps of {B} x {T} characters in {clock.Elapsed.TotalSeconds:F0} s");

void Report(int step)
{
    double val = validation[^1].Loss;
    Console.WriteLine($"step {step}: train loss {losses[step]:F3}  validation loss {val:F3} ({val / Math.Log(2):F2} bits per character)");
}

var smooth = new double[steps];
for (int i = 0; i < steps; i++) smooth[i] = i == 0 ? losses[0] : 0.95 * smooth[i - 1] + 0.05 * losses[i];
Console.WriteLine("figure: " + Draw.Lines("10-gpt-loss.png", "Tiny Shakespeare, char-level GPT", "step", "cross entropy (nats per character)",
    ("train (moving average)", Enumerable.Range(0, steps).Select(i => (double)i).ToArray(), smooth),
    ("validation", validation.Select(v => (double)v.Step).ToArray(), validation.Select(v => v.Loss).ToArray())));

// region: sample-call
string sample = Generate(gpt, Encode("ROMEO:"), count: 400, temperature: 0.8, new Generator(4));
// endregion
var lines = sample.Split('\n');
for (int i = 0; i < 10; i++)
    Console.WriteLine($"  | {(i < lines.Length ? lines[i] : "")}");

int[] Encode(string s) => s.Select(c => index[c]).ToArray();

// region: sample
// Feed the last Context tokens, take the logits of the last position, soften them by the temperature, and draw the
// next token from the softmax by inverting its cumulative distribution at a uniform number.
string Generate(MiniGpt model, int[] prompt, int count, double temperature, Generator g)
{
    var tokens = prompt.ToList();
    using var noGrad = Autograd.NoGrad();
    for (int n = 0; n < count; n++)
    {
        using var scope = Tensor.NewDisposeScope();
        int[] window = tokens.TakeLast(model.Config.Context).ToArray();
        var x = Tensor.FromArray(window, [1, window.Length]);                 // [1, t]
        var last = model.Call(x)[0, ^1];                                      // [1, t, V] -> [V]
        float[] p = (last / temperature).Softmax(-1).ToArray<float>();        // [V], sums to 1
        double u = Tensor.Rand([1], g, DType.Float64).Item(), cumulative = 0;
        int next = p.Length - 1;
        for (int i = 0; i < p.Length; i++)
            if ((cumulative += p[i]) > u) { next = i; break; }
        tokens.Add(next);
    }
    return new string(tokens.Select(t => vocab[t]).ToArray());
}
// endregion

// region: batch
// B random windows of T + 1 characters from ids[from .. to): the first T are the input, the last T the targets.
static (Tensor X, Tensor Y) Batch(int[] ids, int from, int to, int B, int T, Generator g)
{
    int[] starts = Tensor.Randint(from, to - T - 1, [B], g, DType.Int32).ToArray<int>();
    var x = new int[B * T];
    var y = new int[B * T];
    for (int b = 0; b < B; b++)
    {
        Array.Copy(ids, starts[b], x, b * T, T);
        Array.Copy(ids, starts[b] + 1, y, b * T, T);                   // shifted by one: the next character
    }
    return (Tensor.FromArray(x, [B, T]), Tensor.FromArray(y, [B, T]));
}
// endregion

// The mean loss over n windows spread evenly over the validation text: the same windows every time.
static double Validate(MiniGpt model, int[] ids, int split, int T, int n)
{
    using var noGrad = Autograd.NoGrad();
    using var scope = Tensor.NewDisposeScope();
    int span = ids.Length - split - T - 1;
    var x = new int[n * T];
    var y = new int[n * T];
    for (int i = 0; i < n; i++)
    {
        int start = split + (int)((long)span * i / n);
        Array.Copy(ids, start, x, i * T, T);
        Array.Copy(ids, start + 1, y, i * T, T);
    }
    var logits = model.Call(Tensor.FromArray(x, [n, T]));                // [n, T, V]
    return Functional.CrossEntropy(logits.Reshape(-1, model.Config.Vocab), Tensor.FromArray(y, [n * T])).Item();
}

static string Shape(Tensor t) => $"[{string.Join(", ", t.Shape)}]";

// region: config
/// <summary>The GPT's size: vocabulary, context length, width C, number of blocks, attention heads.</summary>
sealed record Config(int Vocab, int Context, int Width, int Depth, int Heads);
// endregion

// region: block
/// <summary>One pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(x)). Causal attention, a 4C GELU MLP.</summary>
sealed class Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm _ln1, _ln2;
    private readonly MultiHeadAttention _attn;
    private readonly Mlp _mlp;

    public Block(Config c, Generator g)
    {
        _ln1 = AddModule("ln_1", new LayerNorm(c.Width));
        _attn = AddModule("attn", new MultiHeadAttention(new AttentionConfig(c.Width, c.Heads, Causal: true), g));
        _ln2 = AddModule("ln_2", new LayerNorm(c.Width));
        _mlp = AddModule("mlp", new Mlp(c.Width, 4 * c.Width, generator: g));
    }

    public MultiHeadAttention Attention => _attn;
    public Mlp Mlp => _mlp;

    public override Tensor Forward(Tensor x)
    {
        x = x + _attn.Call(_ln1.Call(x));                               // [B, T, C]: tokens read from earlier tokens
        return x + _mlp.Call(_ln2.Call(x));                             // [B, T, C]: each token thinks on its own
    }
}
// endregion

// region: gpt
/// <summary>Token ids [B, T] -> next-token logits [B, T, V], named as GPT-2's checkpoints name it.</summary>
sealed class MiniGpt : Module<Tensor, Tensor>
{
    private readonly Embedding _wte, _wpe;
    private readonly ModuleList<Block> _h;
    private readonly LayerNorm _lnF;
    private readonly Linear _lmHead;

    public MiniGpt(Config c, Generator g)
    {
        Config = c;
        _wte = AddModule("wte", new Embedding(c.Vocab, c.Width, g));          // token embedding   [V, C]
        _wpe = AddModule("wpe", new Embedding(c.Context, c.Width, g));        // position embedding [Context, C]
        _h = AddModule("h", new ModuleList<Block>(Enumerable.Range(0, c.Depth).Select(_ => new Block(c, g))));
        _lnF = AddModule("ln_f", new LayerNorm(c.Width));
        _lmHead = AddModule("lm_head", new Linear(c.Width, c.Vocab, bias: false, g)); // [V, C]
        // GPT-2's initialisation: N(0, 0.02) everywhere, biases 0, and the two projections that add into the residual
        // stream N(0, 0.02 / sqrt(2 Depth)), so that 2 Depth additions keep the stream's variance near that of one.
        foreach (var (_, m) in NamedModules())
        {
            if (m is Linear linear)
            {
                Init.Normal(linear.Weight, 0.02, generator: g);
                if (linear.Bias is { } bias) Init.Zeros(bias);
            }
            else if (m is Embedding e) Init.Normal(e.Weight, 0.02, generator: g);
        }
        foreach (var block in _h)
        {
            Init.Normal(block.Attention.Out.Weight, 0.02 / Math.Sqrt(2 * c.Depth), generator: g);
            Init.Normal(block.Mlp.Output.Weight, 0.02 / Math.Sqrt(2 * c.Depth), generator: g);
        }
    }

    public Config Config { get; }

    public override Tensor Forward(Tensor tokens)
    {
        int T = tokens.Size(1);
        var positions = Tensor.Arange(0, T, 1, DType.Int32);               // [T]: 0, 1, ..., T-1
        var x = _wte.Call(tokens) + _wpe.Call(positions);                  // [B, T, C] + [T, C] -> [B, T, C]
        foreach (var block in _h) x = block.Call(x);                       // [B, T, C]
        x = _lnF.Call(x);                                                  // [B, T, C]
        return _lmHead.Call(x);                                            // [B, T, C] -> [B, T, V]
    }
}
// endregion
