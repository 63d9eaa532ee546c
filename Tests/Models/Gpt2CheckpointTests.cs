// GPT-2 checkpoints in the Hugging Face layout: a random Gpt saved and loaded back gives the same logits; a file whose
// bytes the test writes itself (header JSON + little-endian floats, Conv1D weights [in, out]) loads into the expected
// weights and gives the logits of GPT-2's forward written out by hand; prefixed keys, mask buffers, lm_head, F16; and
// errors that name the key.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Models;

public class Gpt2CheckpointTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dotgrad-gpt2-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    /// <summary>GPT-2 in miniature, with an MLP width other than 4D (n_inner), eps 1e-6 and dropout rates, to see them round-trip.</summary>
    private static readonly GptConfig Tiny = new(VocabSize: 11, ContextLength: 8, Width: 8, Depth: 2, Heads: 2, MlpHidden: 24,
                                                 Activation: Activation.GeluTanh, NormEps: 1e-6, EmbeddingDropout: 0.1, AttentionDropout: 0.2, ResidualDropout: 0.3);

    /// <summary>Every parameter (biases and norms too, which GPT-2's init leaves at 0 and 1) drawn N(0, 0.5), so a transposition or a swapped slice shows.</summary>
    private static Gpt RandomGpt(GptConfig config, ulong seed)
    {
        var gpt = new Gpt(config, new Generator(seed));
        var generator = new Generator(seed + 100);
        using var noGrad = AG.NoGrad();
        foreach (var p in gpt.Parameters())
        {
            using var value = Tensor.Randn(p.Shape, generator) * 0.5;
            p.Detach()[TensorIndex.Ellipsis] = value;
        }
        return gpt;
    }

    [Test]
    public void SaveThenLoad_RandomGpt_SameConfigAndIdenticalLogits()
    {
        using var gpt = RandomGpt(Tiny, 1);
        string path = Path.Combine(_dir, "model.safetensors");
        gpt.SaveGpt2(path);
        gpt.WriteConfig(Gpt2Checkpoints.ConfigPath(path));
        using var loaded = Gpt2Checkpoints.LoadGpt2(path);
        Assert.That(loaded.Config, Is.EqualTo(Tiny), "sizes from the shapes; heads, eps, activation and dropout from config.json");
        Assert.That(loaded.Training, Is.False, "loaded in eval mode, as from_pretrained");
        gpt.Eval();
        using var tokens = Tensor.FromArray(new[] { 1, 5, 9, 2, 6, 5, 3, 10, 0, 4, 7, 7 }, [2, 6]);
        Assert.That(loaded.Call(tokens).ToArray<float>(), Is.EqualTo(gpt.Call(tokens).ToArray<float>()));
    }

    [Test]
    public void SavedFile_HasGpt2sKeysShapesAndConv1DLayout()
    {
        using var gpt = RandomGpt(Tiny with { Depth = 1 }, 2);
        string path = Path.Combine(_dir, "model.safetensors");
        gpt.SaveGpt2(path);
        var file = Safetensors.Load(path, Device.Cpu);
        try
        {
            // D = 8, H = 24.
            var expected = new (string, int[])[]
            {
                ("wte.weight", [11, 8]), ("wpe.weight", [8, 8]), ("h.0.ln_1.weight", [8]), ("h.0.ln_1.bias", [8]),
                ("h.0.attn.c_attn.weight", [8, 24]), ("h.0.attn.c_attn.bias", [24]), ("h.0.attn.c_proj.weight", [8, 8]), ("h.0.attn.c_proj.bias", [8]),
                ("h.0.ln_2.weight", [8]), ("h.0.ln_2.bias", [8]), ("h.0.mlp.c_fc.weight", [8, 24]), ("h.0.mlp.c_fc.bias", [24]),
                ("h.0.mlp.c_proj.weight", [24, 8]), ("h.0.mlp.c_proj.bias", [8]), ("ln_f.weight", [8]), ("ln_f.bias", [8]),
            };
            Assert.That(file.Select(e => (e.Key, e.Value.Shape)), Is.EqualTo(expected));
            Assert.That(Safetensors.ReadMetadata(path)["format"], Is.EqualTo("pt"), "Hugging Face's loader asks for format pt");
            // c_attn [in, out] = [Wq^T | Wk^T | Wv^T]: column D + o, row i is the key projection's weight [o, i].
            var cAttn = file["h.0.attn.c_attn.weight"].ToArray<float>();
            var key = gpt.Blocks[0].Attention.Key.Weight.ToArray<float>();
            var value = gpt.Blocks[0].Attention.Value.Weight.ToArray<float>();
            var fc = gpt.Blocks[0].Mlp.Fc!.Weight.ToArray<float>();           // [24, 8]
            var cFc = file["h.0.mlp.c_fc.weight"].ToArray<float>();            // [8, 24]
            for (int i = 0; i < 8; i++)
                for (int o = 0; o < 8; o++)
                {
                    Assert.That(cAttn[i * 24 + 8 + o], Is.EqualTo(key[o * 8 + i]), $"c_attn[{i}, 8 + {o}]");
                    Assert.That(cAttn[i * 24 + 16 + o], Is.EqualTo(value[o * 8 + i]), $"c_attn[{i}, 16 + {o}]");
                }
            for (int i = 0; i < 8; i++)
                for (int o = 0; o < 24; o++)
                    Assert.That(cFc[i * 24 + o], Is.EqualTo(fc[o * 8 + i]), $"c_fc[{i}, {o}]");
            var qkvBias = file["h.0.attn.c_attn.bias"].ToArray<float>();
            Assert.That(qkvBias[8..16], Is.EqualTo(gpt.Blocks[0].Attention.Key.Bias!.ToArray<float>()));
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    // ---- a file written byte by byte ----

    // V 3, ctx 4, D 4, one block of 2 heads (hs 2), MLP 16.
    private const int V = 3, Ctx = 4, D = 4, Hs = 2, H = 16;

    /// <summary>The tensors of the hand-built checkpoint: GPT-2's names and shapes, deterministic values of both signs.</summary>
    private static List<(string Name, int[] Shape, float[] Data)> HandTensors()
    {
        var list = new List<(string, int[], float[])>();
        int serial = 0;
        void Add(string name, params int[] shape)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            int s = ++serial;
            // sin of distinct arguments: every entry differs, so a transposition or a wrong slice changes the logits.
            list.Add((name, shape, Enumerable.Range(0, count).Select(i => (float)(0.8 * Math.Sin(1.3 * s + 0.37 * i + 0.11 * i * i))).ToArray()));
        }
        Add("wte.weight", V, D);
        Add("wpe.weight", Ctx, D);
        Add("h.0.ln_1.weight", D);
        Add("h.0.ln_1.bias", D);
        Add("h.0.attn.c_attn.weight", D, 3 * D);
        Add("h.0.attn.c_attn.bias", 3 * D);
        Add("h.0.attn.c_proj.weight", D, D);
        Add("h.0.attn.c_proj.bias", D);
        Add("h.0.ln_2.weight", D);
        Add("h.0.ln_2.bias", D);
        Add("h.0.mlp.c_fc.weight", D, H);
        Add("h.0.mlp.c_fc.bias", H);
        Add("h.0.mlp.c_proj.weight", H, D);
        Add("h.0.mlp.c_proj.bias", D);
        Add("ln_f.weight", D);
        Add("ln_f.bias", D);
        return list;
    }

    /// <summary>
    /// Writes a safetensors file from scratch: an 8-byte little-endian header length, the header JSON padded with
    /// spaces to a multiple of 8, then each tensor's elements back to back, little-endian (F32, or F16 as IEEE halves).
    /// </summary>
    private static void WriteFile(string path, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, string dtype = "F32")
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        foreach (var (name, shape, values) in tensors)
        {
            long begin = data.Count;
            foreach (var v in values)
            {
                var bytes = new byte[dtype == "F16" ? 2 : 4];
                if (dtype == "F16") BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)v);
                else BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
                data.AddRange(bytes);
            }
            if (header.Length > 1) header.Append(',');
            header.Append(CultureInfo.InvariantCulture, $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        header.Append('}');
        while (header.Length % 8 != 0) header.Append(' ');
        var json = Encoding.UTF8.GetBytes(header.ToString());
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        File.WriteAllBytes(path, [.. length, .. json, .. data]);
    }

    private string WriteHand(string name, IEnumerable<(string, int[], float[])> tensors, string dtype = "F32", bool config = true)
    {
        string path = Path.Combine(_dir, name);
        WriteFile(path, tensors, dtype);
        if (config) File.WriteAllText(Gpt2Checkpoints.ConfigPath(path), "{\"n_head\": 2, \"n_embd\": 4, \"activation_function\": \"gelu_new\"}");
        return path;
    }

    /// <summary>
    /// GPT-2's forward for one sequence, written out in doubles straight from the file's arrays (Conv1D: y = x W + b with
    /// W [in, out] row-major), independent of the loader: embeddings, pre-norm block (LayerNorm eps 1e-5, causal 2-head
    /// attention, tanh GELU MLP), final norm, logits against wte.
    /// </summary>
    private static double[,] HandLogits(Dictionary<string, float[]> w, int[] tokens)
    {
        int T = tokens.Length;
        var x = new double[T, D];
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++) x[t, d] = (double)w["wte.weight"][tokens[t] * D + d] + w["wpe.weight"][t * D + d]; // in double, not float

        double[,] Norm(double[,] a, string name)
        {
            var y = new double[T, D];
            for (int t = 0; t < T; t++)
            {
                double mean = 0, var = 0;
                for (int d = 0; d < D; d++) mean += a[t, d] / D;
                for (int d = 0; d < D; d++) var += (a[t, d] - mean) * (a[t, d] - mean) / D;   // biased, as LayerNorm
                for (int d = 0; d < D; d++)
                    y[t, d] = (a[t, d] - mean) / Math.Sqrt(var + 1e-5) * w[name + ".weight"][d] + w[name + ".bias"][d];
            }
            return y;
        }
        double[,] Conv1D(double[,] a, string name, int nin, int nout)
        {
            var y = new double[T, nout];
            for (int t = 0; t < T; t++)
                for (int o = 0; o < nout; o++)
                {
                    double s = w[name + ".bias"][o];
                    for (int i = 0; i < nin; i++) s += a[t, i] * w[name + ".weight"][i * nout + o];
                    y[t, o] = s;
                }
            return y;
        }

        var qkv = Conv1D(Norm(x, "h.0.ln_1"), "h.0.attn.c_attn", D, 3 * D);   // [T, 3D]: q | k | v
        var merged = new double[T, D];
        for (int head = 0; head < D / Hs; head++)
            for (int t = 0; t < T; t++)
            {
                var scores = new double[t + 1];                                  // causal: keys 0 .. t
                for (int s = 0; s <= t; s++)
                {
                    double dot = 0;
                    for (int j = 0; j < Hs; j++) dot += qkv[t, head * Hs + j] * qkv[s, D + head * Hs + j];
                    scores[s] = dot / Math.Sqrt(Hs);
                }
                double max = scores.Max(), sum = scores.Sum(e => Math.Exp(e - max));
                for (int j = 0; j < Hs; j++)
                    for (int s = 0; s <= t; s++)
                        merged[t, head * Hs + j] += Math.Exp(scores[s] - max) / sum * qkv[s, 2 * D + head * Hs + j];
            }
        var attn = Conv1D(merged, "h.0.attn.c_proj", D, D);
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++) x[t, d] += attn[t, d];
        var hidden = Conv1D(Norm(x, "h.0.ln_2"), "h.0.mlp.c_fc", D, H);
        for (int t = 0; t < T; t++)
            for (int j = 0; j < H; j++)
            {
                double u = hidden[t, j];                                        // gelu_new: 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3)))
                hidden[t, j] = 0.5 * u * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
            }
        var mlp = Conv1D(hidden, "h.0.mlp.c_proj", H, D);
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++) x[t, d] += mlp[t, d];
        var final = Norm(x, "ln_f");
        var logits = new double[T, V];
        for (int t = 0; t < T; t++)
            for (int v = 0; v < V; v++)
                for (int d = 0; d < D; d++) logits[t, v] += final[t, d] * w["wte.weight"][v * D + d];   // head tied to wte
        return logits;
    }

    private static readonly int[] HandTokens = [2, 0, 1, 2];

    private static void AssertHandLogits(Gpt gpt, Dictionary<string, float[]> weights, double tolerance)
    {
        var expected = HandLogits(weights, HandTokens);
        using var tokens = Tensor.FromArray(HandTokens, [1, HandTokens.Length]);
        using var noGrad = AG.NoGrad();
        var actual = gpt.Call(tokens).To(DType.Float64).ToArray<double>();      // [1, 4, 3]
        for (int t = 0; t < HandTokens.Length; t++)
            for (int v = 0; v < V; v++)
                Assert.That(actual[t * V + v], Is.EqualTo(expected[t, v]).Within(tolerance), $"logit [{t}, {v}]");
    }

    [Test]
    public void HandBuiltFile_LoadsIntoTheExpectedWeights_AndGivesTheHandComputedLogits()
    {
        var tensors = HandTensors();
        var w = tensors.ToDictionary(e => e.Name, e => e.Data);
        using var gpt = Gpt2Checkpoints.LoadGpt2(WriteHand("model.safetensors", tensors), dtype: DType.Float64);
        Assert.That(gpt.Config, Is.EqualTo(new GptConfig(V, Ctx, D, 1, 2, Activation: Activation.GeluTanh)));

        // Conv1D [in, out] -> Linear [out, in]: query.weight[o, i] = c_attn[i, o], value.weight[o, i] = c_attn[i, 2D + o].
        var attention = gpt.Blocks[0].Attention;
        var query = attention.Query.Weight.ToArray<double>();
        var value = attention.Value.Weight.ToArray<double>();
        var proj = gpt.Blocks[0].Mlp.Output.Weight.ToArray<double>();          // [D, H]
        for (int o = 0; o < D; o++)
            for (int i = 0; i < D; i++)
            {
                Assert.That(query[o * D + i], Is.EqualTo(w["h.0.attn.c_attn.weight"][i * 3 * D + o]), $"query.weight[{o}, {i}]");
                Assert.That(value[o * D + i], Is.EqualTo(w["h.0.attn.c_attn.weight"][i * 3 * D + 2 * D + o]), $"value.weight[{o}, {i}]");
            }
        for (int o = 0; o < D; o++)
            for (int i = 0; i < H; i++)
                Assert.That(proj[o * H + i], Is.EqualTo(w["h.0.mlp.c_proj.weight"][i * D + o]), $"mlp.proj.weight[{o}, {i}]");
        Assert.That(attention.Key.Bias!.ToArray<double>(), Is.EqualTo(w["h.0.attn.c_attn.bias"][D..(2 * D)].Select(v => (double)v)));
        // Float64 model, float inputs exact in double: only the order of additions differs from the hand loop.
        AssertHandLogits(gpt, w, 1e-12);
    }

    [Test]
    public void HandBuiltFile_Float32Model_GivesTheHandComputedLogitsToFloatPrecision()
    {
        var tensors = HandTensors();
        using var gpt = Gpt2Checkpoints.LoadGpt2(WriteHand("model.safetensors", tensors));
        AssertHandLogits(gpt, tensors.ToDictionary(e => e.Name, e => e.Data), 1e-5);
    }

    [Test]
    public void TransformerPrefix_MaskBuffers_AndATiedLmHead_AreAccepted()
    {
        // As GPT2LMHeadModel saves it: every key under transformer., the causal-mask buffers, and lm_head.weight = wte.
        var tensors = HandTensors();
        var w = tensors.ToDictionary(e => e.Name, e => e.Data);
        var variant = tensors.Select(e => ("transformer." + e.Name, e.Shape, e.Data)).ToList();
        var mask = new float[Ctx * Ctx];
        for (int i = 0; i < Ctx; i++)
            for (int j = 0; j <= i; j++) mask[i * Ctx + j] = 1;
        variant.Insert(3, ("transformer.h.0.attn.bias", [1, 1, Ctx, Ctx], mask));
        variant.Insert(4, ("transformer.h.0.attn.masked_bias", [], [-1e4f]));
        variant.Add(("lm_head.weight", [V, D], w["wte.weight"]));
        using var gpt = Gpt2Checkpoints.LoadGpt2(WriteHand("prefixed.safetensors", variant), dtype: DType.Float64);
        AssertHandLogits(gpt, w, 1e-12);
    }

    [Test]
    public void Float16File_IsReadAndConverted()
    {
        var tensors = HandTensors();
        // The values the file holds: each float rounded to the nearest half.
        var halves = tensors.Select(e => (e.Name, e.Shape, e.Data.Select(v => (float)(Half)v).ToArray())).ToList();
        using var gpt = Gpt2Checkpoints.LoadGpt2(WriteHand("half.safetensors", tensors, "F16"), dtype: DType.Float64);
        Assert.That(gpt.TokenEmbedding.Weight.ToArray<double>(), Is.EqualTo(halves[0].Item3.Select(v => (double)v)));
        AssertHandLogits(gpt, halves.ToDictionary(e => e.Name, e => e.Item3), 1e-12);
    }

    [Test]
    public void Heads_FromConfigJson_ElseWidthOver64_ElseTheArgument()
    {
        // Width 64 without a config.json: 64 / 64 = 1 head, as GPT-2 counts them; the argument overrides both.
        using (var wide = RandomGpt(new GptConfig(5, 4, 64, 1, 4, Activation: Activation.GeluTanh), 3))
        {
            string path = Path.Combine(_dir, "wide.safetensors");
            wide.SaveGpt2(path);
            using (var one = Gpt2Checkpoints.LoadGpt2(path)) Assert.That(one.Config.Heads, Is.EqualTo(1));
            using var four = Gpt2Checkpoints.LoadGpt2(path, heads: 4);
            Assert.That(four.Config.Heads, Is.EqualTo(4));
            wide.Eval();
            using var tokens = Tensor.FromArray(new[] { 1, 2, 3, 4 }, [1, 4]);
            Assert.That(four.Call(tokens).ToArray<float>(), Is.EqualTo(wide.Call(tokens).ToArray<float>()));
        }
        // Width 4 and no config.json: the head count cannot be inferred.
        string small = WriteHand("small.safetensors", HandTensors(), config: false);
        Assert.That(() => Gpt2Checkpoints.LoadGpt2(small), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("pass the number of heads"));
        using var given = Gpt2Checkpoints.LoadGpt2(small, heads: 2);
        Assert.That(given.Config.Heads, Is.EqualTo(2));
    }

    public static IEnumerable<TestCaseData> BrokenFiles()
    {
        static List<(string, int[], float[])> Without(string key) => [.. HandTensors().Where(e => e.Name != key)];
        yield return new TestCaseData(Without("h.0.ln_2.bias"), "missing keys: h.0.ln_2.bias").SetName("BrokenFile_IsRefusedNamingTheKey(missing)");
        yield return new TestCaseData(HandTensors().Append(("h.0.attn.rotary", new[] { 2 }, new float[2])).ToList(), "unexpected keys: h.0.attn.rotary")
            .SetName("BrokenFile_IsRefusedNamingTheKey(unexpected)");
        yield return new TestCaseData(HandTensors().Select(e => e.Name == "h.0.mlp.c_fc.bias" ? (e.Name, new[] { 15 }, e.Data[..15]) : e).ToList(),
                                      "h.0.mlp.c_fc.bias: file [15], model [16]").SetName("BrokenFile_IsRefusedNamingTheKey(mis-shaped)");
        yield return new TestCaseData(HandTensors().Select(e => e.Name == "h.0.attn.c_attn.weight" ? (e.Name, new[] { 3 * D, D }, e.Data) : e).ToList(),
                                      "h.0.attn.c_attn.weight: file [12, 4], model [4, 12]").SetName("BrokenFile_IsRefusedNamingTheKey(Linear layout, not Conv1D)");
        yield return new TestCaseData(HandTensors().Append(("lm_head.weight", new[] { V, D }, new float[V * D])).ToList(), "lm_head.weight differs from wte.weight")
            .SetName("BrokenFile_IsRefusedNamingTheKey(untied head)");
        yield return new TestCaseData(HandTensors().Append(("transformer.ln_f.bias", new[] { D }, new float[D])).ToList(), "'ln_f.bias' appears both")
            .SetName("BrokenFile_IsRefusedNamingTheKey(prefixed and not)");
        yield return new TestCaseData(Without("wte.weight"), "'wte.weight'").SetName("BrokenFile_IsRefusedNamingTheKey(no wte)");
    }

    [TestCaseSource(nameof(BrokenFiles))]
    public void BrokenFile_IsRefusedNamingTheKey(List<(string, int[], float[])> tensors, string message)
    {
        string path = WriteHand("broken.safetensors", tensors);
        Assert.That(() => Gpt2Checkpoints.LoadGpt2(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains(message).And.Message.Contains(path));
    }

    [Test]
    public void ConfigJson_DisagreeingWithTheTensors_OrWithAnUnknownActivation_IsRefused()
    {
        string path = WriteHand("model.safetensors", HandTensors());
        File.WriteAllText(Gpt2Checkpoints.ConfigPath(path), "{\"n_head\": 2, \"n_embd\": 768}");
        Assert.That(() => Gpt2Checkpoints.LoadGpt2(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("n_embd = 768").And.Message.Contains("4"));
        File.WriteAllText(Gpt2Checkpoints.ConfigPath(path), "{\"n_head\": 2, \"activation_function\": \"quick_gelu\"}");
        Assert.That(() => Gpt2Checkpoints.LoadGpt2(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("quick_gelu"));
    }

    [Test]
    public void Save_AGptOutsideGpt2sLayout_IsRefusedListingWhatDiffers()
    {
        using var gpt = new Gpt(new GptConfig(10, 8, 8, 1, 2, Positions: GptPositions.Rope, Bias: false), new Generator(4));
        Assert.That(() => gpt.SaveGpt2(Path.Combine(_dir, "x.safetensors")),
                    Throws.ArgumentException.With.Message.Contains("Positions = Rope").And.Message.Contains("Bias = false"));
        Assert.That(File.Exists(Path.Combine(_dir, "x.safetensors")), Is.False);
    }

    [Test]
    public void WriteConfig_WritesHuggingFacesKeys()
    {
        using var gpt = new Gpt(Tiny, new Generator(5));
        string path = Path.Combine(_dir, "config.json");
        gpt.WriteConfig(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.That(json["model_type"]!.GetValue<string>(), Is.EqualTo("gpt2"));
        Assert.That((json["n_embd"]!.GetValue<int>(), json["n_layer"]!.GetValue<int>(), json["n_head"]!.GetValue<int>(), json["n_positions"]!.GetValue<int>()),
                    Is.EqualTo((8, 2, 2, 8)));
        Assert.That(json["n_inner"]!.GetValue<int>(), Is.EqualTo(24));
        Assert.That(json["activation_function"]!.GetValue<string>(), Is.EqualTo("gelu_new"));
        Assert.That(json["layer_norm_epsilon"]!.GetValue<double>(), Is.EqualTo(1e-6));
    }
}
