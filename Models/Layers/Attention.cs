// Multi-head attention written out as in nanoGPT: project, split into heads, (QK-norm, RoPE), q k^T * scale,
// causal mask, softmax, weighted sum of values, merge heads, project back.
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Multi-head attention from an <see cref="AttentionConfig"/>; input and output [B, T, C] with C = Width.
/// <code>
/// q, k, v = x Wq^T, x Wk^T, x Wv^T                 split into heads of size hs = Width / Heads
/// q, k    = RmsNorm(q), RmsNorm(k)                 QkNorm: one learned scale per head dim, shared by the heads
/// q, k    = rope(q), rope(k)                       Rope (half-split, see <see cref="Models.Rope"/>)
/// att     = softmax(q k^T * scale + mask) v        scale 1/sqrt(hs) or 1/hs; mask -inf above the diagonal when Causal;
///                                                  LogitCap: q k^T * scale -> cap * tanh(q k^T * scale / cap) first
///         = softmax(...) -> dropout(softmax(...)) Dropout > 0, in training mode only (GPT-2's attn_dropout)
/// y       = OutputScale * (merge(att) Wo^T)
/// </code>
/// <para>The projections are separate Linear layers (<c>query</c>, <c>key</c>, <c>value</c>, <c>out</c>, weights
/// [out, in] as in PyTorch, names as in flax's MultiHeadDotProductAttention) rather than one fused qkv matrix: with
/// grouped-query heads the key and value projections are narrower than the query's (KvHeads * hs columns), and
/// cross-attention (<see cref="Attend"/>, used by <see cref="MultiHeadAttentionPooling"/>) projects queries and
/// keys from different tensors. A fused projection computes the same thing with one matmul instead of three.</para>
/// <para>Grouped-query attention: KvHeads key/value heads, each shared by Heads / KvHeads consecutive query heads
/// (query head h reads key/value head h / (Heads / KvHeads)); KvHeads = 1 is multi-query attention. The shared heads
/// are repeated with an expand and a reshape, as Llama's repeat_kv does.</para>
/// <para>Attention dropout zeroes each probability with probability <see cref="AttentionConfig.Dropout"/> and scales
/// the rest by 1 / (1 - p), as <c>nn.Dropout</c> on the attention matrix in GPT-2 and nanoGPT; the masks come from the
/// generator the module was built with (<see cref="Generator.Default"/> when none). The fused kernel has no dropout,
/// so training with it takes the written-out path.</para>
/// </summary>
public sealed class MultiHeadAttention : Module<Tensor, Tensor>
{
    public MultiHeadAttention(AttentionConfig config, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        Config = config;
        DropoutGenerator = generator;
        Heads = config.Heads;
        KvHeads = config.KvHeads ?? config.Heads;
        HeadDim = config.Width / config.Heads;
        int C = config.Width;
        Query = AddModule("query", new Linear(C, Heads * HeadDim, config.Bias, generator, dtype, device));
        Key = AddModule("key", new Linear(C, KvHeads * HeadDim, config.Bias, generator, dtype, device));
        Value = AddModule("value", new Linear(C, KvHeads * HeadDim, config.Bias, generator, dtype, device));
        Out = AddModule("out", new Linear(Heads * HeadDim, C, config.Bias, generator, dtype, device));
        if (config.QkNorm)
        {
            QueryNorm = AddModule("query_norm", new RmsNorm(HeadDim, dtype: dtype, device: device));
            KeyNorm = AddModule("key_norm", new RmsNorm(HeadDim, dtype: dtype, device: device));
        }
        if (config.Rope) Rope = AddModule("rope", new Rope(HeadDim, config.RopeBase));
    }

    public AttentionConfig Config { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    /// <summary>The output projection: the one that writes into the residual stream (GPT-2 scales its init).</summary>
    public Linear Out { get; }
    public RmsNorm? QueryNorm { get; }
    public RmsNorm? KeyNorm { get; }
    /// <summary>The rotary embedding applied to queries and keys (no parameters), when <see cref="AttentionConfig.Rope"/>.</summary>
    public Rope? Rope { get; }
    /// <summary>Where attention-dropout masks are drawn from (the construction generator; null: <see cref="Generator.Default"/>).</summary>
    public Generator? DropoutGenerator { get; }

    /// <summary>The factor on the attention logits: 1/sqrt(hs), or 1/hs for <see cref="AttentionScale.Inverse"/>.</summary>
    public double LogitScale => Config.Scale == AttentionScale.Inverse ? 1.0 / HeadDim : 1.0 / Math.Sqrt(HeadDim);

    /// <summary>Self-attention: queries, keys and values all from <paramref name="x"/> [B, T, C].</summary>
    public override Tensor Forward(Tensor x) => Attend(x, x);

    /// <summary>
    /// Queries from <paramref name="query"/> [B, Tq, C], keys and values from <paramref name="context"/> [B, Tk, C];
    /// returns [B, Tq, C]. RoPE numbers both sequences from position 0; the causal mask lets query i see keys j &lt;= i.
    /// </summary>
    public Tensor Attend(Tensor query, Tensor context) => AttendWith(query, context, cache: null);

    /// <summary>
    /// Self-attention of Tn new positions <paramref name="x"/> [B, Tn, C] that follow the <c>cache.Length</c> positions
    /// already in <paramref name="cache"/>: their keys and values are appended to it, their queries attend to every
    /// cached key up to their own position, and RoPE numbers them from <c>cache.Length</c>. Returns [B, Tn, C].
    /// </summary>
    internal Tensor AttendCached(Tensor x, KvCache.Layer cache) => AttendWith(x, x, cache);

    private Tensor AttendWith(Tensor query, Tensor context, KvCache.Layer? cache)
    {
        CheckInput(query, nameof(query));
        CheckInput(context, nameof(context));
        int B = query.Size(0), Tq = query.Size(1), Tk = context.Size(1), C = Config.Width;
        int nh = Heads, nkv = KvHeads, hs = HeadDim;
        if (context.Size(0) != B)
            throw new ArgumentException($"MultiHeadAttention: query and context must have the same batch size, got {Format(query.Shape)} and {Format(context.Shape)}", nameof(context));

        var q = Query.Call(query).View(B, Tq, nh, hs).Transpose(1, 2);     // [B, Tq, C] -> [B, Tq, nh, hs] -> [B, nh, Tq, hs]
        var k = Key.Call(context).View(B, Tk, nkv, hs).Transpose(1, 2);    // [B, Tk, nkv*hs] -> [B, Tk, nkv, hs] -> [B, nkv, Tk, hs]
        var v = Value.Call(context).View(B, Tk, nkv, hs).Transpose(1, 2);  // [B, Tk, nkv*hs] -> [B, Tk, nkv, hs] -> [B, nkv, Tk, hs]

        if (QueryNorm is not null && KeyNorm is not null)
        {
            q = QueryNorm.Call(q);                                          // [B, nh, Tq, hs], normalised over hs, per head and position
            k = KeyNorm.Call(k);                                            // [B, nkv, Tk, hs]
        }
        int offset = cache?.Length ?? 0;                                    // the position of the first query
        if (Rope is not null)
        {
            q = cache is null ? Rope.Call(q) : Rope.Apply(q, offset);       // [B, nh, Tq, hs], positions offset .. offset+Tq-1
            k = cache is null ? Rope.Call(k) : Rope.Apply(k, offset);       // [B, nkv, Tk, hs], positions offset .. offset+Tk-1
        }
        if (cache is not null)
        {
            (k, v) = cache.Append(k, v);                                    // [B, nkv, offset + Tq, hs] each: the past and the new
            Tk = k.Size(2);
        }
        if (nkv != nh)
        {
            // Each key/value head serves nh / nkv consecutive query heads: repeat it that many times.
            k = RepeatHeads(k, nh / nkv);                                   // [B, nkv, Tk, hs] -> [B, nh, Tk, hs]
            v = RepeatHeads(v, nh / nkv);                                   // [B, nkv, Tk, hs] -> [B, nh, Tk, hs]
        }

        // The fused kernel computes the lines below in one node, without a [B, nh, Tq, Tk] tensor, and lays its result
        // out as [B, Tq, nh, hs] so the merge of the heads is a free reshape. The written-out path runs when the soft
        // cap changes the logits, someone records the attention maps (they need the probabilities), dropout acts on
        // the probabilities, or several new queries follow cached keys (the kernel's mask starts at key 0).
        // One new query after the cache sees every key, so it needs no mask at all.
        bool drop = Training && Config.Dropout > 0;
        bool causal = Config.Causal && !(offset > 0 && Tq == 1);
        var y = Config.LogitCap is null && AttentionMaps.Current is null && !drop && (offset == 0 || !causal)
            ? Functional.ScaledDotProductAttention(q, k, v, causal, scale: LogitScale) // [B, nh, Tq, hs]
            : Written(q, k, v, Tq, Tk, offset, drop);
        y = y.Transpose(1, 2).Reshape(B, Tq, nh * hs);                       // [B, nh, Tq, hs] -> [B, Tq, nh, hs] -> [B, Tq, C]
        y = Out.Call(y);                                                     // [B, Tq, C]
        return Config.OutputScale == 1.0 ? y : y * Config.OutputScale;      // [B, Tq, C]
    }

    /// <summary>
    /// softmax(q k^T * scale + mask) v written out, with the soft cap, the attention maps and dropout: [B, nh, Tq, hs].
    /// Query i is at position <paramref name="offset"/> + i (the causal mask lets it see keys j &lt;= offset + i).
    /// </summary>
    private Tensor Written(Tensor q, Tensor k, Tensor v, int Tq, int Tk, int offset, bool drop)
    {
        var att = q.MatMul(k.Transpose(-2, -1)) * LogitScale;               // [B, nh, Tq, hs] @ [B, nh, hs, Tk] -> [B, nh, Tq, Tk]
        if (Config.LogitCap is { } cap) att = Functional.SoftCap(att, cap);  // |att| < cap: no one key can take all the weight
        if (Config.Causal)
        {
            var rows = Tensor.Arange(offset, offset + Tq, 1, DType.Int32, q.Device).Unsqueeze(1); // [Tq, 1]
            var cols = Tensor.Arange(0, Tk, 1, DType.Int32, q.Device);               // [Tk]
            att = att.MaskedFill(cols.Gt(rows), double.NegativeInfinity);           // [B, nh, Tq, Tk]; query i does not see keys j > i
        }
        att = att.Softmax(-1);                                               // [B, nh, Tq, Tk], stable: subtracts the row max first
        AttentionMaps.Current?.Add(this, att);                               // only while someone records the maps (a picture)
        if (drop) att = Dropout.Apply(att, Config.Dropout, DropoutGenerator);  // [B, nh, Tq, Tk], rows no longer sum to 1
        return att.MatMul(v);                                                // [B, nh, Tq, Tk] @ [B, nh, Tk, hs] -> [B, nh, Tq, hs]
    }

    /// <summary>[B, nkv, T, hs] -> [B, nkv * n, T, hs], each head repeated n times in a row (no copy until the reshape).</summary>
    private static Tensor RepeatHeads(Tensor x, int n)
    {
        int B = x.Size(0), nkv = x.Size(1), T = x.Size(2), hs = x.Size(3);
        return x.Unsqueeze(2)                                                // [B, nkv, 1, T, hs]
                .Expand(B, nkv, n, T, hs)                                    // [B, nkv, n, T, hs], stride 0 on n
                .Reshape(B, nkv * n, T, hs);                                 // [B, nh, T, hs] (copies)
    }

    private void CheckInput(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Rank != 3 || x.Size(-1) != Config.Width)
            throw new ArgumentException($"MultiHeadAttention: expected {name} [B, T, C] with C = Width = {Config.Width}, got shape {Format(x.Shape)}", name);
    }

    /// <summary>Throws with the name of the field that is wrong.</summary>
    internal static void Validate(AttentionConfig c)
    {
        if (c.Width <= 0) throw new ArgumentException($"AttentionConfig.Width must be positive, got {c.Width}", nameof(c));
        if (c.Heads <= 0) throw new ArgumentException($"AttentionConfig.Heads must be positive, got {c.Heads}", nameof(c));
        if (c.Width % c.Heads != 0)
            throw new ArgumentException($"AttentionConfig.Heads = {c.Heads} must divide Width = {c.Width} (each head gets Width / Heads dims)", nameof(c));
        if (c.KvHeads is { } kv && (kv <= 0 || c.Heads % kv != 0))
            throw new ArgumentException($"AttentionConfig.KvHeads = {kv} must be positive and divide Heads = {c.Heads} (each key/value head serves Heads / KvHeads query heads)", nameof(c));
        if (c.Rope && c.Width / c.Heads % 2 != 0)
            throw new ArgumentException($"AttentionConfig.Rope needs an even head dim, but Width / Heads = {c.Width} / {c.Heads} = {c.Width / c.Heads}", nameof(c));
        if (c.Rope && !(c.RopeBase > 1))
            throw new ArgumentException($"AttentionConfig.RopeBase must be greater than 1, got {c.RopeBase}", nameof(c));
        if (c.LogitCap is { } cap && !(cap > 0 && double.IsFinite(cap)))
            throw new ArgumentException($"AttentionConfig.LogitCap must be a positive number (30 or 50 is typical), got {cap}", nameof(c));
        if (c.Dropout is not (>= 0 and <= 1))
            throw new ArgumentException($"AttentionConfig.Dropout must be a probability in [0, 1], got {c.Dropout}", nameof(c));
        if (!double.IsFinite(c.OutputScale))
            throw new ArgumentException($"AttentionConfig.OutputScale must be finite, got {c.OutputScale}", nameof(c));
    }
}
