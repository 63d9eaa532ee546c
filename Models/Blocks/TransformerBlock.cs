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
/// Forward is these equations written once: serial is two residual steps (attention, then the MLP), parallel one step
/// whose branch is A + M; each step is <c>PostNorm(R(x, f(PreNorm x)))</c>, where the placement decides which of
/// PreNorm and PostNorm is the norm and which the identity, and Double's output norms sit inside the branches.
/// Parameter names follow GPT-2 where it has them: <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>; the norms after
/// the sub-layers of the double placement are <c>ln_1_post</c> and <c>ln_2_post</c>; the ReZero scalars
/// <c>alpha_1</c> and <c>alpha_2</c> (shape [1]).
/// <para>Residual dropout (<see cref="BlockConfig.ResidualDropout"/>, GPT-2's <c>resid_pdrop</c>): in training mode each
/// branch's output, A(.) and M(.) above (after Double's output norm), goes through dropout before it joins the stream,
/// as nanoGPT's <c>resid_dropout(c_proj(y))</c> and <c>dropout(c_proj(x))</c>. Masks come from the construction
/// generator (<see cref="Generator.Default"/> when none).</para>
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor>
{
    public TransformerBlock(BlockConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        Config = config;
        DropoutGenerator = generator;
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
    /// <summary>Where residual-dropout masks are drawn from (the construction generator; null: <see cref="Generator.Default"/>).</summary>
    public Generator? DropoutGenerator { get; }

    public override Tensor Forward(Tensor x) => Forward(x, cache: null);

    /// <summary>
    /// The block on new positions x [B, T, C]; with a <paramref name="cache"/>, attention appends their keys and values
    /// to it and attends to every cached position too (see <see cref="KvCache"/>).
    /// </summary>
    internal Tensor Forward(Tensor x, KvCache.Layer? cache)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Size(-1) != Config.Width)
            throw new ArgumentException($"TransformerBlock: expected input [B, T, C] with C = Width = {Config.Width}, got shape {Format(x.Shape)}", nameof(x));
        Func<Tensor, Tensor> attend = h => Attend(h, cache);
        if (Config.Parallel)
            return Residual(x, h => attend(h) + FeedForward(h), Norm1, Alpha1);    // [B, T, C]: both branches read one input
        x = Residual(x, attend, Norm1, Alpha1);                                    // [B, T, C]
        return Residual(x, FeedForward, Norm2, Alpha2);                             // [B, T, C]
    }

    /// <summary>The attention branch, [B, T, C] -> [B, T, C], with the Double placement's norm on its output, then residual dropout.</summary>
    private Tensor Attend(Tensor h, KvCache.Layer? cache) =>
        Drop(OutputNorm(Norm1Post, cache is null ? Attention.Call(h) : Attention.CallWith(h, a => Attention.AttendCached(a, cache))));

    /// <summary>The MLP branch, [B, T, C] -> [B, T, C], with the Double placement's norm on its output, then residual dropout.</summary>
    private Tensor FeedForward(Tensor h) => Drop(OutputNorm(Norm2Post, Mlp.Call(h)));

    /// <summary>Residual dropout on a branch's output: the identity in evaluation mode or with a rate of 0.</summary>
    private Tensor Drop(Tensor f) => Dropout.Apply(f, Config.ResidualDropout, DropoutGenerator, Training);

    /// <summary>One residual step with the norm placement around it: <c>PostNorm(R(x, branch(PreNorm(x))))</c>.</summary>
    private Tensor Residual(Tensor x, Func<Tensor, Tensor> branch, Module<Tensor, Tensor>? norm, Tensor? alpha)
    {
        var h = PreNorm(norm, x);                                                   // [B, T, C]
        var f = branch(h);                                                          // [B, T, C]
        return PostNorm(norm, Join(x, f, alpha));                                   // [B, T, C]
    }

    /// <summary>Pre and Double normalise the branch's input; Post does not (and ReZero has no norms).</summary>
    private Tensor PreNorm(Module<Tensor, Tensor>? norm, Tensor x) =>
        norm is null || Config.Norm == NormPlacement.Post ? x : norm.Call(x);

    /// <summary>Post normalises the stream after the residual add.</summary>
    private Tensor PostNorm(Module<Tensor, Tensor>? norm, Tensor x) =>
        norm is not null && Config.Norm == NormPlacement.Post ? norm.Call(x) : x;

    /// <summary>Double's second norm, on a branch's output (<c>ln_1_post</c>, <c>ln_2_post</c>; absent otherwise).</summary>
    private static Tensor OutputNorm(Module<Tensor, Tensor>? norm, Tensor f) => norm is null ? f : norm.Call(f);

    /// <summary>R(x, f): the residual join of a branch f into the stream x (alpha: ReZero's scalar for this step).</summary>
    private Tensor Join(Tensor x, Tensor f, Tensor? alpha) => Config.Residual switch
    {
        ResidualKind.ReZero => x + alpha! * f,
        ResidualKind.Scaled => x * (1 - ResidualScale) + f * ResidualScale,
        _ => x + f,
    };

    private static void Validate(BlockConfig c)
    {
        if (c.MlpHidden <= 0) throw new ArgumentException($"BlockConfig.MlpHidden must be positive, got {c.MlpHidden}", nameof(c));
        if (c.Depth <= 0) throw new ArgumentException($"BlockConfig.Depth must be positive (the scaled residual uses s = 1 / (2 Depth)), got {c.Depth}", nameof(c));
        if (c.ResidualDropout is not (>= 0 and <= 1))
            throw new ArgumentException($"BlockConfig.ResidualDropout must be a probability in [0, 1], got {c.ResidualDropout}", nameof(c));
        if (!(c.NormEps > 0)) throw new ArgumentException($"BlockConfig.NormEps must be positive, got {c.NormEps}", nameof(c));
        if (!Enum.IsDefined(c.Norm)) throw new ArgumentException($"BlockConfig.Norm: unknown NormPlacement {c.Norm}", nameof(c));
        MultiHeadAttention.Validate(c.Attention);
    }
}
