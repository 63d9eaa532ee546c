// GPT-2 checkpoints in the layout of the Hugging Face `gpt2` safetensors: read one into a Gpt (the shapes give the
// model's size) and write a Gpt back in that layout, Conv1D transpositions and fused q|k|v included.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// Reads and writes GPT-2 weights as Hugging Face stores them (<c>model.safetensors</c> of the <c>gpt2</c> models):
/// <code>
/// wte.weight                 [V, D]        the token embedding; the output head is tied to it
/// wpe.weight                 [ctx, D]      learned positions
/// h.{i}.ln_1.{weight, bias}  [D]
/// h.{i}.attn.c_attn.weight   [D, 3D]       q | k | v side by side, Conv1D layout [in, out]: y = x W + b
/// h.{i}.attn.c_attn.bias     [3D]
/// h.{i}.attn.c_proj.weight   [D, D]        [in, out]
/// h.{i}.ln_2.{weight, bias}  [D]
/// h.{i}.mlp.c_fc.weight      [D, 4D]       [in, out]
/// h.{i}.mlp.c_proj.weight    [4D, D]       [in, out]
/// ln_f.{weight, bias}        [D]
/// </code>
/// GPT-2's Conv1D keeps its weight [in, out], the transpose of <c>nn.Linear</c>'s [out, in], so each matrix is
/// transposed on the way in and out; c_attn is split into the <see cref="MultiHeadAttention"/>'s query, key and value.
/// Files saved from <c>GPT2LMHeadModel</c> prefix every key with <c>transformer.</c> and may hold <c>lm_head.weight</c>
/// (a copy of wte); some also carry the causal-mask buffers <c>h.{i}.attn.bias</c> and <c>h.{i}.attn.masked_bias</c>.
/// All of these are accepted; the masks are ignored (the model builds its own).
/// <para>The model is GPT-2 exactly: learned positions, pre-norm LayerNorm (eps 1e-5) with biases, biases on every
/// projection, the tanh GELU (Hugging Face's "gelu_new"), the head tied to wte.</para>
/// </summary>
public static class Gpt2Checkpoints
{
    /// <summary>GPT-2's head size: without a config.json, Heads = Width / 64 (12 heads for the 768 wide 124M model).</summary>
    public const int DefaultHeadDim = 64;

    /// <summary>
    /// Loads a GPT-2 checkpoint into a new <see cref="Gpt"/> of <paramref name="dtype"/> on <paramref name="device"/>.
    /// V, ContextLength, Width, Depth and the MLP width come from the tensors' shapes. The number of heads is
    /// <paramref name="heads"/> when given, else <c>n_head</c> of a <c>config.json</c> beside the file, else Width / 64
    /// as in GPT-2; the same config.json gives <c>layer_norm_epsilon</c>, <c>activation_function</c> and the dropout
    /// rates (<c>embd_pdrop</c>, <c>attn_pdrop</c>, <c>resid_pdrop</c>) when present, and its sizes must agree with
    /// the tensors. F32, F64, F16 and BF16 tensors are read and converted. The model comes back in evaluation mode,
    /// as Hugging Face's <c>from_pretrained</c> leaves it. A file that does not fit raises
    /// <see cref="InvalidDataException"/> listing every missing, unexpected and mis-shaped key.
    /// </summary>
    public static Gpt LoadGpt2(string path, int? heads = null, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (heads is <= 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, "Gpt2Checkpoints.LoadGpt2: heads must be positive");
        var file = Safetensors.Load(path, Device.Cpu);
        try
        {
            var tensors = Normalise(file, path);
            var config = InferConfig(tensors, path, heads);
            var gpt = new Gpt(config, dtype: dtype, device: device);
            try
            {
                Load(gpt, tensors, path);
            }
            catch
            {
                gpt.Dispose();
                throw;
            }
            gpt.Eval();
            return gpt;
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Loads a GPT-2 checkpoint into an existing <paramref name="gpt"/>, whose configuration must be GPT-2's (see
    /// <see cref="SaveGpt2"/>) and whose sizes must match the file's (the error names each mis-shaped key).
    /// </summary>
    public static void LoadGpt2Weights(this Gpt gpt, string path)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckExpressible(gpt.Config, "LoadGpt2Weights");
        var file = Safetensors.Load(path, Device.Cpu);
        try
        {
            Load(gpt, Normalise(file, path), path);
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Writes <paramref name="gpt"/>'s weights to <paramref name="path"/> in the Hugging Face <c>gpt2</c> layout (no
    /// key prefix, no mask buffers, no lm_head: the head is wte), as F32 for a Float32 model and F64 for Float64,
    /// with the metadata <c>format: pt</c> that Hugging Face's loader asks for. The file is written atomically
    /// (<see cref="Safetensors.Save"/>). Only a GPT-2-shaped model fits the layout: learned positions, tied head,
    /// pre-norm LayerNorm with biases, biases everywhere, a plain MLP, one key/value head per query head, no QK-norm,
    /// no logit caps, the standard residual and scale; otherwise the error lists what differs. The activation and
    /// the LayerNorm eps are not in the tensors: <see cref="WriteConfig"/> writes them (with the head count) to a
    /// config.json, and a file without one is read back with GPT-2's tanh GELU, eps 1e-5 and Width / 64 heads.
    /// </summary>
    public static void SaveGpt2(this Gpt gpt, string path)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckExpressible(gpt.Config, "SaveGpt2");
        var state = new OrderedDictionary<string, Tensor>();
        try
        {
            using (Autograd.NoGrad())
            {
                void Add(string name, Tensor value) => state.Add(name, value.Detach().Contiguous().DetachFromDisposeScope());
                Add("wte.weight", gpt.TokenEmbedding.Weight);                                     // [V, D]
                Add("wpe.weight", gpt.PositionEmbedding!.Weight);                                 // [ctx, D]
                for (int i = 0; i < gpt.Blocks.Count; i++)
                {
                    var block = gpt.Blocks[i];
                    var attention = block.Attention;
                    var (ln1, ln2) = ((LayerNorm)block.Norm1!, (LayerNorm)block.Norm2!);
                    string h = $"h.{i}.";
                    Add(h + "ln_1.weight", ln1.Weight);
                    Add(h + "ln_1.bias", ln1.Bias!);
                    // Conv1D [in, out]: W^T of each Linear; q | k | v side by side along the output dim.
                    Add(h + "attn.c_attn.weight", Tensor.Cat([attention.Query.Weight.MT, attention.Key.Weight.MT, attention.Value.Weight.MT], 1)); // [D, 3D]
                    Add(h + "attn.c_attn.bias", Tensor.Cat([attention.Query.Bias!, attention.Key.Bias!, attention.Value.Bias!], 0));            // [3D]
                    Add(h + "attn.c_proj.weight", attention.Out.Weight.MT);                       // [D, D]
                    Add(h + "attn.c_proj.bias", attention.Out.Bias!);
                    Add(h + "ln_2.weight", ln2.Weight);
                    Add(h + "ln_2.bias", ln2.Bias!);
                    Add(h + "mlp.c_fc.weight", block.Mlp.Fc!.Weight.MT);                          // [D, H]
                    Add(h + "mlp.c_fc.bias", block.Mlp.Fc.Bias!);
                    Add(h + "mlp.c_proj.weight", block.Mlp.Output.Weight.MT);                     // [H, D]
                    Add(h + "mlp.c_proj.bias", block.Mlp.Output.Bias!);
                }
                var lnf = (LayerNorm)gpt.FinalNorm!;
                Add("ln_f.weight", lnf.Weight);
                Add("ln_f.bias", lnf.Bias!);
            }
            Safetensors.Save(path, state, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Writes a Hugging Face style <c>config.json</c> for <paramref name="gpt"/> to <paramref name="path"/>
    /// (atomically): model_type gpt2, vocab_size, n_positions, n_ctx, n_embd, n_layer, n_head, n_inner (null for 4D),
    /// layer_norm_epsilon, activation_function and the three dropout rates. Beside a file written by
    /// <see cref="SaveGpt2"/> it lets <see cref="LoadGpt2"/> rebuild the model exactly.
    /// </summary>
    public static void WriteConfig(this Gpt gpt, string path)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var c = gpt.Config;
        CheckExpressible(c, "WriteConfig");
        int hidden = c.MlpHidden ?? 4 * c.Width;
        var json = new JsonObject
        {
            ["model_type"] = "gpt2",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["vocab_size"] = c.VocabSize,
            ["n_positions"] = c.ContextLength,
            ["n_ctx"] = c.ContextLength,
            ["n_embd"] = c.Width,
            ["n_layer"] = c.Depth,
            ["n_head"] = c.Heads,
            ["n_inner"] = hidden == 4 * c.Width ? null : hidden,
            ["layer_norm_epsilon"] = c.NormEps,
            ["activation_function"] = ActivationName(c.Activation),
            ["embd_pdrop"] = c.EmbeddingDropout,
            ["attn_pdrop"] = c.AttentionDropout,
            ["resid_pdrop"] = c.ResidualDropout,
            ["tie_word_embeddings"] = true,
        };
        WriteAtomically(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The path of the config.json that <see cref="LoadGpt2"/> reads beside <paramref name="checkpoint"/>.</summary>
    public static string ConfigPath(string checkpoint) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, "config.json");

    // ---- reading ----

    /// <summary>The causal-mask buffers some files carry: h.{i}.attn.bias [1, 1, ctx, ctx] and h.{i}.attn.masked_bias.</summary>
    private static readonly Regex MaskBuffer = new(@"^h\.(\d+)\.attn\.(bias|masked_bias)$", RegexOptions.CultureInvariant);

    /// <summary>A key of block i: h.{i}.*.</summary>
    private static readonly Regex BlockKey = new(@"^h\.(\d+)\.", RegexOptions.CultureInvariant);

    /// <summary>The file's tensors under GPT-2's own names: the <c>transformer.</c> prefix removed, the mask buffers dropped.</summary>
    private static Dictionary<string, Tensor> Normalise(IReadOnlyDictionary<string, Tensor> file, string path)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in file)
        {
            string name = key.StartsWith("transformer.", StringComparison.Ordinal) ? key["transformer.".Length..] : key;
            if (MaskBuffer.IsMatch(name)) continue;                    // the causal mask: rebuilt by the model
            if (!result.TryAdd(name, value))
                throw Bad(path, $"the key '{name}' appears both with and without the 'transformer.' prefix");
        }
        return result;
    }

    /// <summary>The GptConfig the tensors' shapes describe, with the heads, eps, activation and dropout of config.json.</summary>
    private static GptConfig InferConfig(Dictionary<string, Tensor> tensors, string path, int? heads)
    {
        if (!tensors.TryGetValue("wte.weight", out var wte) || wte.Rank != 2)
            throw Bad(path, tensors.ContainsKey("wte.weight")
                ? $"'wte.weight' must be [V, D], got {Module.Format(wte!.Shape)}"
                : $"the key 'wte.weight' (the token embedding [V, D]) is missing; keys found: {Listing(tensors.Keys)}");
        if (!tensors.TryGetValue("wpe.weight", out var wpe) || wpe.Rank != 2)
            throw Bad(path, tensors.ContainsKey("wpe.weight")
                ? $"'wpe.weight' must be [ctx, D], got {Module.Format(wpe!.Shape)}"
                : "the key 'wpe.weight' (the position embedding [ctx, D]) is missing");
        int V = wte.Size(0), D = wte.Size(1), ctx = wpe.Size(0);
        var indices = tensors.Keys.Select(k => BlockKey.Match(k)).Where(m => m.Success)
                             .Select(m => int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : -1).ToHashSet();
        if (indices.Count == 0) throw Bad(path, "no block weights (keys h.0.*, h.1.*, ...) were found");
        int depth = indices.Max() + 1;
        if (indices.Contains(-1) || indices.Count != depth)
            throw Bad(path, $"the blocks must be numbered h.0 .. h.{depth - 1} without gaps, found {string.Join(", ", indices.Order().Select(i => $"h.{i}"))}");
        int hidden = tensors.TryGetValue("h.0.mlp.c_fc.weight", out var fc) && fc.Rank == 2 ? fc.Size(1) : 4 * D;
        CheckKeys(tensors, path, V, ctx, D, depth, hidden);                 // a foreign layout shows as its keys, before the heads

        var json = ReadJson(ConfigPath(path));
        int? fileHeads = JsonInt(json, "n_head");
        int nh = heads ?? fileHeads ?? (D % DefaultHeadDim == 0 ? D / DefaultHeadDim
            : throw Bad(path, $"the number of heads is not in the file: Width {D} is not a multiple of GPT-2's head size {DefaultHeadDim}, " +
                              $"and there is no config.json with n_head beside it ({ConfigPath(path)}); pass the number of heads"));
        if (D % nh != 0) throw Bad(path, $"{nh} heads do not divide the width {D} (each head gets Width / Heads dims)");
        foreach (var (key, value) in new[] { ("vocab_size", V), ("n_positions", ctx), ("n_embd", D), ("n_layer", depth) })
            if (JsonInt(json, key) is { } given && given != value)
                throw Bad(path, $"{ConfigPath(path)} says {key} = {given}, but the tensors give {value}");
        string activationName = json?["activation_function"]?.GetValue<string>() ?? "gelu_new";
        var activation = ParseActivation(activationName)
            ?? throw Bad(path, $"{ConfigPath(path)} names activation_function '{activationName}'; DotGrad's Gpt has gelu_new, gelu_pytorch_tanh, gelu, relu and silu");
        double eps = JsonDouble(json, "layer_norm_epsilon") ?? 1e-5;
        return new GptConfig(V, ctx, D, depth, nh, MlpHidden: hidden == 4 * D ? null : hidden, Activation: activation, NormEps: eps,
                             EmbeddingDropout: JsonDouble(json, "embd_pdrop") ?? 0, AttentionDropout: JsonDouble(json, "attn_pdrop") ?? 0,
                             ResidualDropout: JsonDouble(json, "resid_pdrop") ?? 0);
    }

    /// <summary>GPT-2's keys and shapes for these sizes, in the order Hugging Face writes them.</summary>
    private static List<(string Key, int[] Shape)> ExpectedKeys(int vocab, int context, int D, int depth, int H)
    {
        var expected = new List<(string Key, int[] Shape)> { ("wte.weight", [vocab, D]), ("wpe.weight", [context, D]) };
        for (int i = 0; i < depth; i++)
        {
            string h = $"h.{i}.";
            expected.AddRange([
                (h + "ln_1.weight", [D]), (h + "ln_1.bias", [D]),
                (h + "attn.c_attn.weight", [D, 3 * D]), (h + "attn.c_attn.bias", [3 * D]),
                (h + "attn.c_proj.weight", [D, D]), (h + "attn.c_proj.bias", [D]),
                (h + "ln_2.weight", [D]), (h + "ln_2.bias", [D]),
                (h + "mlp.c_fc.weight", [D, H]), (h + "mlp.c_fc.bias", [H]),
                (h + "mlp.c_proj.weight", [H, D]), (h + "mlp.c_proj.bias", [D]),
            ]);
        }
        expected.AddRange([("ln_f.weight", [D]), ("ln_f.bias", [D])]);
        return expected;
    }

    /// <summary>Throws, listing every missing, unexpected and mis-shaped key, unless the file holds exactly GPT-2's tensors of this size.</summary>
    private static void CheckKeys(Dictionary<string, Tensor> tensors, string path, int vocab, int context, int D, int depth, int H)
    {
        var expected = ExpectedKeys(vocab, context, D, depth, H);
        var missing = expected.Where(e => !tensors.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        var known = expected.Select(e => e.Key).Append("lm_head.weight").ToHashSet();
        var unexpected = tensors.Keys.Where(k => !known.Contains(k)).ToList();
        var misshaped = expected.Where(e => tensors.TryGetValue(e.Key, out var t) && !t.Shape.SequenceEqual(e.Shape))
                                .Select(e => $"{e.Key}: file {Module.Format(tensors[e.Key].Shape)}, model {Module.Format(e.Shape)}").ToList();
        var wrongType = tensors.Where(t => known.Contains(t.Key) && !t.Value.DType.IsFloatingPoint())
                               .Select(t => $"{t.Key} is {Safetensors.DTypeName(t.Value.DType)}").ToList();
        if (tensors.TryGetValue("lm_head.weight", out var head) && tensors.TryGetValue("wte.weight", out var wte0) && !TiedCopy(head, wte0))
            misshaped.Add("lm_head.weight differs from wte.weight, but GPT-2's head is tied to the token embedding (an untied head does not fit this layout)");
        if (missing.Count + unexpected.Count + misshaped.Count + wrongType.Count > 0)
        {
            var message = new StringBuilder("the checkpoint does not fit a GPT-2 of this size " +
                                            $"(V {vocab}, ctx {context}, D {D}, {depth} blocks, MLP {H}).");
            if (missing.Count > 0) message.Append($"\n  missing keys: {Listing(missing)}");
            if (unexpected.Count > 0) message.Append($"\n  unexpected keys: {Listing(unexpected)}");
            if (misshaped.Count > 0) message.Append($"\n  mis-shaped keys: {string.Join("; ", misshaped)}");
            if (wrongType.Count > 0) message.Append($"\n  not floating point: {string.Join(", ", wrongType)}");
            throw Bad(path, message.ToString());
        }
    }


    /// <summary>Checks every key and shape against <paramref name="gpt"/>, then copies the converted tensors into it.</summary>
    private static void Load(Gpt gpt, Dictionary<string, Tensor> tensors, string path)
    {
        var c = gpt.Config;
        int D = c.Width;
        CheckKeys(tensors, path, c.VocabSize, c.ContextLength, D, c.Depth, c.MlpHidden ?? 4 * D);
        // GPT-2 name -> DotGrad name, with each Conv1D matrix transposed to Linear's [out, in] and c_attn split in three.
        var state = new Dictionary<string, Tensor>();
        try
        {
            using (Autograd.NoGrad())
            {
                void Put(string name, Tensor value) => state.Add(name, value.DetachFromDisposeScope());
                Put("wte.weight", tensors["wte.weight"].Alias());
                Put("wpe.weight", tensors["wpe.weight"].Alias());
                for (int i = 0; i < c.Depth; i++)
                {
                    string h = $"h.{i}.";
                    var qkv = tensors[h + "attn.c_attn.weight"];                                  // [D, 3D] = [Wq^T | Wk^T | Wv^T]
                    var qkvBias = tensors[h + "attn.c_attn.bias"];                                // [3D]
                    string[] parts = ["query", "key", "value"];
                    for (int p = 0; p < 3; p++)
                    {
                        Put(h + $"attn.{parts[p]}.weight", qkv.Narrow(1, p * D, D).MT);           // [D, D] slice, transposed to [out, in]
                        Put(h + $"attn.{parts[p]}.bias", qkvBias.Narrow(0, p * D, D));            // [D]
                    }
                    Put(h + "attn.out.weight", tensors[h + "attn.c_proj.weight"].MT);             // [D, D] -> [out, in]
                    Put(h + "attn.out.bias", tensors[h + "attn.c_proj.bias"].Alias());
                    Put(h + "mlp.fc.weight", tensors[h + "mlp.c_fc.weight"].MT);                  // [D, H] -> [H, D]
                    Put(h + "mlp.fc.bias", tensors[h + "mlp.c_fc.bias"].Alias());
                    Put(h + "mlp.proj.weight", tensors[h + "mlp.c_proj.weight"].MT);              // [H, D] -> [D, H]
                    Put(h + "mlp.proj.bias", tensors[h + "mlp.c_proj.bias"].Alias());
                    foreach (var norm in new[] { "ln_1", "ln_2" })
                        foreach (var part in new[] { "weight", "bias" })
                            Put(h + $"{norm}.{part}", tensors[h + $"{norm}.{part}"].Alias());
                }
                Put("ln_f.weight", tensors["ln_f.weight"].Alias());
                Put("ln_f.bias", tensors["ln_f.bias"].Alias());
            }
            gpt.LoadStateDict(state);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Whether lm_head.weight is the same matrix as wte.weight (a tied head saved twice).</summary>
    private static bool TiedCopy(Tensor head, Tensor wte)
    {
        if (!head.Shape.SequenceEqual(wte.Shape) || !head.DType.IsFloatingPoint() || !wte.DType.IsFloatingPoint()) return false;
        using var scope = Tensor.NewDisposeScope();
        var other = wte.DType == head.DType ? wte : wte.To(head.DType);
        return (head - other).Abs().Max().Item() == 0;                      // NaN anywhere gives NaN: not a copy
    }

    // ---- what fits the layout ----

    /// <summary>Throws, listing every switch of <paramref name="c"/> that GPT-2's layout cannot hold.</summary>
    private static void CheckExpressible(GptConfig c, string operation)
    {
        var problems = new List<string>();
        if (c.Positions != GptPositions.Learned) problems.Add($"Positions = {c.Positions} (GPT-2 learns a position table)");
        if (!c.TiedHead) problems.Add("TiedHead = false (GPT-2 ties the head to wte)");
        if (c.Norm != NormPlacement.Pre) problems.Add($"Norm = {c.Norm} (GPT-2 is pre-norm)");
        if (c.NormKind != NormKind.LayerNorm) problems.Add($"NormKind = {c.NormKind} (GPT-2 uses LayerNorm)");
        if (c.Parallel) problems.Add("Parallel = true (GPT-2's blocks are serial)");
        if (c.Residual != ResidualKind.Standard) problems.Add($"Residual = {c.Residual}");
        if (c.Mlp != MlpKind.Plain) problems.Add($"Mlp = {c.Mlp} (GPT-2's MLP is c_fc, activation, c_proj)");
        if (!c.Bias) problems.Add("Bias = false (GPT-2 has biases everywhere)");
        if (c.KvHeads is { } kv && kv != c.Heads) problems.Add($"KvHeads = {kv} (c_attn holds as many key/value heads as query heads)");
        if (c.QkNorm) problems.Add("QkNorm = true");
        if (c.Scale != AttentionScale.InverseSqrt) problems.Add($"Scale = {c.Scale} (GPT-2 scales by 1/sqrt(hs))");
        if (c.AttentionOutputScale != 1.0) problems.Add($"AttentionOutputScale = {c.AttentionOutputScale}");
        if (c.LogitCap is not null || c.AttentionLogitCap is not null) problems.Add("a logit cap");
        if (ActivationName(c.Activation) is null) problems.Add($"Activation = {c.Activation} (no Hugging Face name)");
        if (problems.Count > 0)
            throw new ArgumentException($"Gpt2Checkpoints.{operation}: this Gpt does not fit GPT-2's layout: {string.Join("; ", problems)}. " +
                                        "GPT-2 is new GptConfig(V, ctx, D, depth, heads, Activation: Activation.GeluTanh).", "gpt");
    }

    /// <summary>Hugging Face's name of an activation (its ACT2FN key), or null where it has none.</summary>
    private static string? ActivationName(Activation a) => a switch
    {
        Activation.GeluTanh => "gelu_new",
        Activation.Gelu => "gelu",
        Activation.Relu => "relu",
        Activation.Silu => "silu",
        _ => null,
    };

    private static Activation? ParseActivation(string name) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" => Activation.GeluTanh,
        "gelu" => Activation.Gelu,
        "relu" => Activation.Relu,
        "silu" or "swish" => Activation.Silu,
        _ => null,
    };

    // ---- small helpers ----

    private static JsonNode? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Gpt2Checkpoints: '{path}' is not valid JSON ({e.Message})", e);
        }
    }

    private static int? JsonInt(JsonNode? json, string key) =>
        json?[key] is JsonValue v ? v.TryGetValue(out int i) ? i : throw new InvalidDataException($"Gpt2Checkpoints: config.json's {key} must be an integer, got {v.ToJsonString()}") : null;

    private static double? JsonDouble(JsonNode? json, string key) =>
        json?[key] is JsonValue v ? v.TryGetValue(out double d) ? d : throw new InvalidDataException($"Gpt2Checkpoints: config.json's {key} must be a number, got {v.ToJsonString()}") : null;

    private static string Listing(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        return list.Count <= 12 ? string.Join(", ", list) : string.Join(", ", list.Take(12)) + $", ... ({list.Count} in all)";
    }

    private static void WriteAtomically(string path, string text)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } // best effort; the original error is what matters
            throw;
        }
    }

    private static InvalidDataException Bad(string path, string problem) =>
        new($"Gpt2Checkpoints: '{path}' is not a GPT-2 checkpoint DotGrad can load: {problem}");
}
