// Lesson 9: the transformer block and its variants (norm placement, LayerNorm or RMSNorm, SwiGLU, parallel
// sub-layers, RoPE), built from BlockConfig; parameter counts by hand, the residual stream through depth, and RoPE's
// relative positions checked.
// Run it from the repository root: dotnet run --file docs/course/09-transformer-block.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using DotGrad.Models;

var g = new Generator(seed: 5);
const int C = 64, nh = 4, H = 4 * C;                  // width, heads, MLP hidden width (4C, as in GPT-2)
var x = Tensor.Randn([2, 8, C], g);                   // [B, T, C]: two sequences of eight positions

// region: by-hand
// A pre-norm block (GPT-2's) and a post-norm block (the original Transformer's), recomputed from their parts.
using var pre = new TransformerBlock(new BlockConfig(Width: C, Heads: nh, MlpHidden: H), g);
var h = x + pre.Attention.Call(pre.Norm1!.Call(x));          // [B, T, C]: x + A(N1(x))
var yPre = h + pre.Mlp.Call(pre.Norm2!.Call(h));             // [B, T, C]: h + M(N2(h))

using var post = new TransformerBlock(new BlockConfig(Width: C, Heads: nh, MlpHidden: H, Norm: NormPlacement.Post), g);
var hPost = post.Norm1!.Call(x + post.Attention.Call(x));   // [B, T, C]: N1(x + A(x))
var yPost = post.Norm2!.Call(hPost + post.Mlp.Call(hPost));  // [B, T, C]: N2(h + M(h))
// endregion
Console.WriteLine($"pre-norm block:  max |by hand - Call(x)| = {MaxDiff(yPre, pre.Call(x)):0.0e+00}");
Console.WriteLine($"post-norm block: max |by hand - Call(x)| = {MaxDiff(yPost, post.Call(x)):0.0e+00}");

// region: norms
// LayerNorm subtracts the mean and divides by the standard deviation; RMSNorm only divides by the root mean square.
// Both then multiply by a learned gain (LayerNorm also adds a learned bias); at initialisation gain 1 and bias 0.
var row = Tensor.Randn([1, C], g) + 3;                      // [1, C]: a vector whose mean is far from 0
var layerNormed = new LayerNorm(C).Call(row);               // (x - mean) / sqrt(var + eps) * w + b
var rmsNormed = new RmsNorm(C).Call(row);                   // x / sqrt(mean(x^2) + eps) * w
// endregion
foreach (var (name, t) in new[] { ("input", row), ("LayerNorm", layerNormed), ("RMSNorm", rmsNormed) })
    Console.WriteLine($"{name,-10} mean {t.Mean().Item(),6:F3}  rms {t.Square().Mean().Sqrt().Item(),6:F3}");

// region: count
// The parameters of a block, counted from its equations: attention has four C x C projections (q, k, v, out) with a
// bias each; the plain MLP two matrices C x H, a gated one three; each norm C gains (+ C biases for LayerNorm).
static long CountByHand(BlockConfig c)
{
    long C = c.Width, H = c.MlpHidden, b = c.Bias ? 1 : 0;
    long attention = 4 * (C * C + b * C);
    long mlp = c.Mlp == MlpKind.Plain
        ? (C * H + b * H) + (H * C + b * C)                       // fc, proj
        : 2 * (C * H + b * H) + (H * C + b * C);                  // gate, up, down
    long perNorm = c.NormKind == NormKind.LayerNorm && c.Bias ? 2 * C : C;
    bool twice = c.Norm == NormPlacement.Double;
    int norms = c.Parallel ? (twice ? 3 : 1) : (twice ? 4 : 2);  // parallel: one norm feeds both branches
    return attention + mlp + norms * perNorm;
}
// endregion

// region: variants
// SwiGLU has three matrices instead of two, so its hidden width is cut to about 8C/3 (rounded up to a multiple of
// 16 here) to spend about the same number of parameters as the plain MLP with 4C.
int gatedHidden = (8 * C / 3 + 15) / 16 * 16;
var baseline = new BlockConfig(Width: C, Heads: nh, MlpHidden: H);
var variants = new (string Name, BlockConfig Config)[]
{
    ("pre-norm, LayerNorm (GPT-2)", baseline),
    ("post-norm (Transformer, BERT)", baseline with { Norm = NormPlacement.Post }),
    ("double norm", baseline with { Norm = NormPlacement.Double }),
    ("pre-norm, RMSNorm", baseline with { NormKind = NormKind.RmsNorm }),
    ($"SwiGLU, hidden {gatedHidden}", baseline with { Mlp = MlpKind.SwiGlu, MlpHidden = gatedHidden }),
    ("parallel (GPT-J, PaLM)", baseline with { Parallel = true }),
    ("RoPE", baseline with { Rope = true }),
    ("Llama: RMSNorm, SwiGLU, RoPE, no bias", baseline with { NormKind = NormKind.RmsNorm, Mlp = MlpKind.SwiGlu, MlpHidden = gatedHidden, Rope = true, Bias = false }),
};
// endregion

Console.WriteLine();
Console.WriteLine($"{"variant (width 64, 4 heads)",-40} {"parameters",10} {"by hand",8}  output");
foreach (var (name, config) in variants)
{
    using var scope = Tensor.NewDisposeScope();
    using var block = new TransformerBlock(config, g);
    var y = block.Call(x);                                   // [B, T, C] -> [B, T, C], whatever the variant
    Console.WriteLine($"{name,-40} {block.ParameterCount(),10:N0} {CountByHand(config),8:N0}  [{string.Join(", ", y.Shape)}]");
}

// region: depth
// The residual stream through a stack of 12 freshly initialised blocks: the RMS of x after each block.
const int depth = 12;
double[] StreamRms(BlockConfig config)
{
    using var scope = Tensor.NewDisposeScope();
    using var noGrad = Autograd.NoGrad();
    var stream = Tensor.Randn([4, 16, C], new Generator(11));        // [B, T, C], RMS about 1
    var rms = new List<double> { stream.Square().Mean().Sqrt().Item() };
    for (int layer = 0; layer < depth; layer++)
    {
        using var block = new TransformerBlock(config with { Depth = depth }, new Generator((ulong)(100 + layer)));
        stream = block.Call(stream);                                 // [B, T, C]
        rms.Add(stream.Square().Mean().Sqrt().Item());
    }
    return rms.ToArray();
}
// endregion

var streams = new (string Name, BlockConfig Config)[]
{
    ("pre-norm", baseline), ("post-norm", variants[1].Config), ("double norm", variants[2].Config),
    ("parallel", variants[5].Config), ("scaled residual (pre)", baseline with { Residual = ResidualKind.Scaled }),
};
Console.WriteLine();
Console.WriteLine($"RMS of the residual stream after 0, 4, 8 and {depth} blocks:");
var layers = Enumerable.Range(0, depth + 1).Select(i => (double)i).ToArray();
var curves = new List<(string, double[], double[])>();
foreach (var (name, config) in streams)
{
    var rms = StreamRms(config);
    curves.Add((name, layers, rms));
    Console.WriteLine($"  {name,-22} {rms[0],6:F2} {rms[4],6:F2} {rms[8],6:F2} {rms[depth],6:F2}");
}
Console.WriteLine("figure: " + Lesson09.MarkedLines("09-residual-rms.png", "RMS of the residual stream through 12 new blocks (width 64)",
    "blocks applied", "RMS of x", curves.ToArray()));

// region: rope
// RoPE rotates each pair of a head's numbers by an angle proportional to the position. Rotate the same q and k as if
// they sat at positions (i, j), then at (i + s, j + s): the dot product should depend only on i - j.
const int D = 64;
var rope = new Rope(D);
var qv = Tensor.Randn([1, 1, 1, D], g, DType.Float64);             // [B, nh, T = 1, D]: one query vector
var kv = Tensor.Randn([1, 1, 1, D], g, DType.Float64);             // [B, nh, 1, D]: one key vector
double Score(int i, int j)
{
    using var qi = rope.Apply(qv, offset: i);                      // [1, 1, 1, D]: q at position i
    using var kj = rope.Apply(kv, offset: j);                      // [1, 1, 1, D]: k at position j
    using var dot = (qi * kj).Sum();
    return dot.Item();
}
// endregion

Console.WriteLine();
using (var unrotated = (qv * kv).Sum())
using (var atZero = rope.Apply(qv, offset: 0))
    Console.WriteLine($"RoPE, head dim {D}: q.k without rotation {unrotated.Item():F6}; position 0 changes q by {MaxDiff(atZero, qv):0.0e+00}");
foreach (var (i, j) in new[] { (7, 3), (3, 7) })
{
    double s0 = Score(i, j);
    Console.WriteLine($"  positions ({i}, {j}): score {s0:F6}");
    foreach (int s in new[] { 1, 10, 100, 1000 })
        Console.WriteLine($"  positions ({i + s}, {j + s}): score {Score(i + s, j + s):F6}, difference {Math.Abs(Score(i + s, j + s) - s0):0.0e+00}");
}

// region: rope-curve
// The score of q at position m with k at position 0, for m = 0 .. far - 1: with q = k = all ones, the RoPE paper's
// picture of how the score falls off, on average, with the distance between positions.
const int far = 512;
double[] ScoreByOffset(Tensor v)                                   // v: [1, 1, 1, D]
{
    using var scope = Tensor.NewDisposeScope();
    var rotated = rope.Call(v.Expand(1, 1, far, D));                 // [1, 1, far, D]: v at positions 0 .. far - 1
    var scores = (rotated * rotated[.., .., ..1]).Sum(-1);           // [1, 1, far]: (v at m) . (v at 0)
    return scores.ToArray<double>();
}
// endregion
var offsets = Enumerable.Range(0, far).Select(m => (double)m).ToArray();
var ones = ScoreByOffset(Tensor.Ones([1, 1, 1, D], DType.Float64));
var random = ScoreByOffset(qv);
Console.WriteLine($"q = k = ones: score {ones[0]:F2} at distance 0, {ones[16]:F2} at 16, {ones[far - 1]:F2} at {far - 1}");
Console.WriteLine("figure: " + Draw.Lines("09-rope-score.png", $"RoPE: q.k against the distance between positions (head dim {D})",
    "distance m - n", "q.k", ("q = k = ones", offsets, ones), ("q = k = a random vector", offsets, random)));

static double MaxDiff(Tensor a, Tensor b)
{
    using var d = (a - b).Abs().Max();
    return d.Item();
}
