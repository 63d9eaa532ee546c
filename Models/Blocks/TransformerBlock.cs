// One transformer block whose config flips every variant the field argues about: where the norms go, which norm,
// serial or parallel sub-layers, how the residual is added, and which MLP.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// A transformer block from a <see cref="BlockConfig"/>, [B, T, C] -> [B, T, C]. With A = attention, M = MLP, N a
/// norm (LayerNorm or RmsNorm, eps NormEps; LayerNorm has a bias when Bias) and R(x, f) the residual join:
/// <code>
/// residual   Standard  R(x, f) = x + f
///            ReZero    R(x, f) = x + alpha f          alpha a learned scalar per branch, initialised to 0; no norms
///            Scaled    R(x, f) = (1 - s) x + s f      s = 1 / (2 Depth)
///
/// serial     Pre       x = R(x, A(N1 x));              x = R(x, M(N2 x))          (GPT-2, ViT; the model adds a final norm)
///            Post      x = N1 R(x, A x);               x = N2 R(x, M x)           (the original Transformer, BERT)
///            Double    x = R(x, N1' A(N1 x));          x = R(x, N2' M(N2 x))      (a norm on both sides of each sub-layer)
///
/// parallel   Pre       x = R(x, A(N1 x) + M(N1 x))                                (GPT-J, PaLM: one norm feeds both)
///            Post      x = N1 R(x, A x + M x)
///            Double    x = R(x, N1' A(N1 x) + N2' M(N1 x))
///
/// ReZero     serial    x = x + alpha1 A(x);            x = x + alpha2 M(x)        (Norm and NormKind are ignored)
///            parallel  x = x + alpha1 (A(x) + M(x))
/// </code>
/// Parameter names follow GPT-2 where it has them: <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>; the norms after
/// the sub-layers of the double placement are <c>ln_1_post</c> and <c>ln_2_post</c>; the ReZero scalars
/// <c>alpha_1</c> and <c>alpha_2</c> (shape [1]).
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor>
{
    public TransformerBlock(BlockConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        Config = config;
        int C = config.Width;
        bool norms = config.Residual != ResidualKind.ReZero;

        Module<Tensor, Tensor> Norm() => config.NormKind == NormKind.LayerNorm
            ? new LayerNorm(C, config.NormEps, config.Bias, dtype, device)
            : new RmsNorm(C, config.NormEps, dtype, device);

        bool serial = !config.Parallel, twice = config.Norm == NormPlacement.Double;
        if (norms) Norm1 = AddModule("ln_1", Norm());
        Attention = AddModule("attn", new MultiHeadAttention(config.Attention, generator, dtype, device));
        if (norms && twice) Norm1Post = AddModule("ln_1_post", Norm());
        if (norms && serial) Norm2 = AddModule("ln_2", Norm());
        Mlp = AddModule("mlp", new Mlp(C, config.MlpHidden, config.Mlp, config.Activation, config.Bias, generator, dtype, device));
        if (norms && twice) Norm2Post = AddModule("ln_2_post", Norm());
        if (!norms)
        {
            Alpha1 = AddParameter("alpha_1", Tensor.Zeros([1], dtype, device));
            if (!config.Parallel) Alpha2 = AddParameter("alpha_2", Tensor.Zeros([1], dtype, device));
        }
        if (config.Residual == ResidualKind.Scaled) ResidualScale = 1.0 / (2 * config.Depth);
    }

    public BlockConfig Config { get; }
    public MultiHeadAttention Attention { get; }
    public Mlp Mlp { get; }
    /// <summary>The norm before attention (Pre, Double; both branches when Parallel) or after its residual (Post).</summary>
    public Module<Tensor, Tensor>? Norm1 { get; }
    /// <summary>The norm before the MLP (Pre, Double) or after its residual (Post); absent when Parallel.</summary>
    public Module<Tensor, Tensor>? Norm2 { get; }
    /// <summary>The norms after attention and after the MLP in the Double placement.</summary>
    public Module<Tensor, Tensor>? Norm1Post { get; }
    public Module<Tensor, Tensor>? Norm2Post { get; }
    /// <summary>ReZero's scalars ([1], initialised to 0); Alpha2 is absent when Parallel (one branch, one scalar).</summary>
    public Tensor? Alpha1 { get; }
    public Tensor? Alpha2 { get; }
    /// <summary>s = 1 / (2 Depth) of the Scaled residual; 0 for the other kinds.</summary>
    public double ResidualScale { get; }

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Size(-1) != Config.Width)
            throw new ArgumentException($"TransformerBlock: expected input [B, T, C] with C = Width = {Config.Width}, got shape {Format(x.Shape)}", nameof(x));
        Tensor A(Tensor h) => Attention.Call(h);                         // [B, T, C]
        Tensor M(Tensor h) => Mlp.Call(h);                               // [B, T, C]

        if (Config.Residual == ResidualKind.ReZero)
        {
            if (Config.Parallel) return x + Alpha1! * (A(x) + M(x));
            x = x + Alpha1! * A(x);
            return x + Alpha2! * M(x);
        }

        Tensor N1(Tensor h) => Norm1!.Call(h);
        Tensor N2(Tensor h) => Norm2!.Call(h);
        Tensor N1Post(Tensor h) => Norm1Post!.Call(h);
        Tensor N2Post(Tensor h) => Norm2Post!.Call(h);
        switch (Config.Norm, Config.Parallel)
        {
            case (NormPlacement.Pre, false):
                x = Join(x, A(N1(x)));
                return Join(x, M(N2(x)));
            case (NormPlacement.Pre, true):
            {
                var h = N1(x);
                return Join(x, A(h) + M(h));
            }
            case (NormPlacement.Post, false):
                x = N1(Join(x, A(x)));
                return N2(Join(x, M(x)));
            case (NormPlacement.Post, true):
                return N1(Join(x, A(x) + M(x)));
            case (NormPlacement.Double, false):
                x = Join(x, N1Post(A(N1(x))));
                return Join(x, N2Post(M(N2(x))));
            case (NormPlacement.Double, true):
            {
                var h = N1(x);
                return Join(x, N1Post(A(h)) + N2Post(M(h)));
            }
            default:
                throw new InvalidOperationException($"TransformerBlock: unknown NormPlacement {Config.Norm}");
        }
    }

    /// <summary>R(x, f): the residual join of a branch f into the stream x.</summary>
    private Tensor Join(Tensor x, Tensor f) => Config.Residual == ResidualKind.Scaled
        ? x * (1 - ResidualScale) + f * ResidualScale
        : x + f;

    private static void Validate(BlockConfig c)
    {
        if (c.MlpHidden <= 0) throw new ArgumentException($"BlockConfig.MlpHidden must be positive, got {c.MlpHidden}", nameof(c));
        if (c.Depth <= 0) throw new ArgumentException($"BlockConfig.Depth must be positive (the scaled residual uses s = 1 / (2 Depth)), got {c.Depth}", nameof(c));
        if (!(c.NormEps > 0)) throw new ArgumentException($"BlockConfig.NormEps must be positive, got {c.NormEps}", nameof(c));
        MultiHeadAttention.Validate(c.Attention);
    }
}
