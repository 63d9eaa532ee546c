// The three reference training steps DotGrad's performance is stated on: a small GPT, an MNIST-sized MLP and a small
// ViT, each with its optimizer and one fixed batch, defined exactly (shapes, hyperparameters, FLOPs per step).
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Benchmarks;

/// <summary>
/// Builds the reference steps. Conventions: Float32; <c>Linear(i, o)</c> is y = x W^T + b with W [o, i], bias on
/// unless stated; LayerNorm over the last dim, eps 1e-5, with weight and bias; GELU exact (erf); attention scale
/// 1/sqrt(head_dim); no dropout; cross-entropy with mean reduction; AdamW betas (0.9, 0.999), eps 1e-8, weight decay
/// on all parameters. The pre-norm block is <c>x += Proj(Attn(LN1(x)))</c>, <c>x += FC2(GELU(FC1(LN2(x))))</c>.
/// <list type="bullet">
/// <item><b>GPT</b>: tokens [32, 128] in [0, 65); Embedding(65, 128) + learned positions [128, 128]; 4 causal
/// blocks (width 128, 4 heads, MLP 512); final LayerNorm; untied head Linear(128, 65, bias: false); AdamW lr 1e-3,
/// wd 0.1. 826,368 parameters; 22.753 GFLOP of matrix multiplies per step.</item>
/// <item><b>MLP</b>: x [128, 784] ~ N(0, 1), labels in [0, 10); Linear(784, 512), ReLU, Linear(512, 512), ReLU,
/// Linear(512, 10); SGD lr 0.01, momentum 0.9. 669,706 parameters; 0.4108 GFLOP per step.</item>
/// <item><b>ViT</b>: images [128, 1, 28, 28]; 4x4 patches (a 7x7 grid of 16 pixels); Linear(16, 64); a class token;
/// learned positions [1, 50, 64] (the class token has one too); 4 non-causal blocks (64, 4 heads, 256); final
/// LayerNorm; the class token's output -> Linear(64, 10); AdamW lr 1e-3, wd 0.1. 205,066 parameters; 8.559 GFLOP
/// per step.</item>
/// </list>
/// The GPT is the library's <see cref="Gpt"/>: its attention holds the query, key and value projections as three
/// Linear(D, D) rather than one Linear(D, 3D); that is the same function (the three weights stacked are the qkv
/// weight), with the same parameters and FLOPs. The initialisation is each model's own (GPT-2's for the GPT,
/// PyTorch's Linear default elsewhere); the definition does not fix it. Batches are drawn from fixed seeds.
/// </summary>
public static class ReferenceSteps
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gpt", "mlp", "vit"];

    /// <summary>The reference step named <paramref name="name"/> ("gpt", "mlp" or "vit").</summary>
    public static ReferenceStep Create(string name, Device? device = null, ulong seed = 1) => name switch
    {
        "gpt" => Gpt(device, seed),
        "mlp" => Mlp(device, seed),
        "vit" => Vit(device, seed),
        _ => throw new ArgumentException($"ReferenceSteps.Create: expected one of {string.Join(", ", Names)}, got '{name}'", nameof(name)),
    };

    /// <summary>The GPT reference step (see the class summary).</summary>
    public static ReferenceStep Gpt(Device? device = null, ulong seed = 1)
    {
        const int B = 32, T = 128, V = 65, D = 128, Depth = 4, H = 4, M = 512;
        var g = new Generator(seed);
        var model = new Gpt(new GptConfig(V, T, D, Depth, H, MlpHidden: M, TiedHead: false), g, device: device);
        var tokens = Tensor.Randint(0, V, [B, T], g, device: device);           // [B, T]
        var targets = Tensor.Randint(0, V, [B * T], g, device: device);         // [B*T], the next token of a fixed batch
        var optimizer = new AdamW(model.Parameters(), new AdamOptions { Lr = 1e-3, WeightDecay = 0.1, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8 });
        return new ReferenceStep("gpt", model, optimizer, [tokens, targets],
            () => Functional.CrossEntropy(model.Call(tokens).Reshape(B * T, V), targets), GptFlops()); // [B, T, V] -> [B*T, V]
    }

    /// <summary>The GPT step's matrix products: 4 blocks on [32, 128, 128] and the head; 22.753 GFLOP.</summary>
    public static MatMulFlops GptFlops()
    {
        const int B = 32, T = 128, V = 65, D = 128, Depth = 4, H = 4, M = 512;
        var flops = new MatMulFlops();
        for (int i = 0; i < Depth; i++) flops.Block(B, T, D, H, M);
        return flops.Linear(B * T, D, V);                                       // the head
    }

    /// <summary>The MLP reference step (see the class summary).</summary>
    public static ReferenceStep Mlp(Device? device = null, ulong seed = 1)
    {
        const int B = 128;
        var g = new Generator(seed);
        var model = new ReferenceMlp(g, device);
        var x = Tensor.Randn([B, ReferenceMlp.Inputs], g, device: device);    // [B, 784] ~ N(0, 1)
        var labels = Tensor.Randint(0, ReferenceMlp.Classes, [B], g, device: device);
        var optimizer = new Sgd(model.Parameters(), new SgdOptions { Lr = 0.01, Momentum = 0.9 });
        return new ReferenceStep("mlp", model, optimizer, [x, labels], () => Functional.CrossEntropy(model.Call(x), labels), MlpFlops());
    }

    /// <summary>The MLP step's matrix products: three layers on 128 rows, the first on data; 0.4108 GFLOP.</summary>
    public static MatMulFlops MlpFlops()
    {
        const int B = 128;
        return new MatMulFlops()
            .Linear(B, ReferenceMlp.Inputs, ReferenceMlp.Hidden, onData: true)
            .Linear(B, ReferenceMlp.Hidden, ReferenceMlp.Hidden)
            .Linear(B, ReferenceMlp.Hidden, ReferenceMlp.Classes);
    }

    /// <summary>The ViT reference step (see the class summary).</summary>
    public static ReferenceStep Vit(Device? device = null, ulong seed = 1)
    {
        const int B = 128;
        var g = new Generator(seed);
        var model = new ReferenceVit(g, device);
        var images = Tensor.Randn([B, 1, ReferenceVit.ImageSize, ReferenceVit.ImageSize], g, device: device); // [B, 1, 28, 28]
        var labels = Tensor.Randint(0, ReferenceVit.Classes, [B], g, device: device);
        var optimizer = new AdamW(model.Parameters(), new AdamOptions { Lr = 1e-3, WeightDecay = 0.1, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8 });
        return new ReferenceStep("vit", model, optimizer, [images, labels], () => Functional.CrossEntropy(model.Call(images), labels), VitFlops());
    }

    /// <summary>The ViT step's matrix products: the patch projection (on data), 4 blocks on [128, 50, 64], the head; 8.559 GFLOP.</summary>
    public static MatMulFlops VitFlops()
    {
        const int B = 128;
        int patches = ReferenceVit.PatchCount, tokens = patches + 1, D = ReferenceVit.Width;
        var flops = new MatMulFlops().Linear(B * patches, ReferenceVit.PatchDim, D, onData: true);
        for (int i = 0; i < ReferenceVit.Depth; i++) flops.Block(B, tokens, D, ReferenceVit.Heads, ReferenceVit.MlpHidden);
        return flops.Linear(B, D, ReferenceVit.Classes);                        // the head, on the class token only
    }

    /// <summary>The matrix products of the step named <paramref name="name"/>, without building it.</summary>
    public static MatMulFlops Flops(string name) => name switch
    {
        "gpt" => GptFlops(),
        "mlp" => MlpFlops(),
        "vit" => VitFlops(),
        _ => throw new ArgumentException($"ReferenceSteps.Flops: expected one of {string.Join(", ", Names)}, got '{name}'", nameof(name)),
    };
}
