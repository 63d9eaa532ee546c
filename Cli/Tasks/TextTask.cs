// Character-level language modelling on a text file (tinyshakespeare, say): random windows of the first 90% for
// training, fixed windows of the last 10% for the validation loss.
using System.Text;
using System.Text.Json.Nodes;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Cli.Tasks;

/// <summary>
/// Next-character prediction on a UTF-8 text file, as nanoGPT's shakespeare_char: the vocabulary is the file's
/// distinct characters (kept in run.json), a training example is a random window of <see cref="ContextLength"/>
/// characters from the first 90% and the same window shifted by one as its targets.
/// </summary>
internal sealed class TextTask : ILanguageTask
{
    public const string TaskName = "text";
    public const int DefaultContext = 64;
    private const int MaxVocab = 2048, EvalBatch = 32;

    private readonly int[] _ids;
    private readonly int _trainLength;

    private TextTask(string path, string text, CharVocab vocab, int context)
    {
        Path = path;
        Vocab = vocab;
        ContextLength = context;
        _ids = vocab.Encode(text, $"--text '{path}'");
        _trainLength = (int)(_ids.Length * 0.9);
        if (_ids.Length - _trainLength < context + 1 || _trainLength < context + 1)
            throw new UserError($"--text '{path}' has {_ids.Length} characters; with --context {context} it needs at least {10 * (context + 1) + 1} " +
                                "(90% for training, 10% for validation, each longer than the context)");
    }

    /// <summary>Reads <paramref name="path"/>; a missing, unreadable, non-UTF-8 or too short file is a <see cref="UserError"/>.</summary>
    public static TextTask Load(string path, int context, CharVocab? vocab = null)
    {
        if (context < 1) throw new UserError($"--context must be at least 1, got {context}");
        var text = ReadText(path);
        if (text.Length == 0)
            throw new UserError($"--text '{path}' is empty; give a text file to learn from (tiny Shakespeare is in ../shared/data/tinyshakespeare.txt)");
        vocab ??= CharVocab.FromText(text);
        if (vocab.Size > MaxVocab)
            throw new UserError($"--text '{path}' has {vocab.Size} distinct characters; a character-level model here takes at most {MaxVocab}. Is it a text file?");
        return new TextTask(path, text, vocab, context);
    }

    /// <summary>Rebuilds the task of a checkpoint; <paramref name="textOverride"/> (--text) replaces a file that moved.</summary>
    public static TextTask FromJson(JsonObject json, string? textOverride)
    {
        string path = textOverride ?? json["path"]?.GetValue<string>() ?? throw new UserError("run.json: the text task has no 'path'; pass --text FILE");
        var vocab = new CharVocab(json["vocab"]?.GetValue<string>() ?? throw new UserError("run.json: the text task has no 'vocab'"));
        int context = json["context"]?.GetValue<int>() ?? throw new UserError("run.json: the text task has no 'context'");
        return Load(path, context, vocab);
    }

    private static string ReadText(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserError($"--text '{path}' does not exist; give the path of a UTF-8 text file (for example tinyshakespeare.txt)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserError($"--text '{path}' cannot be read: {e.Message}", e);
        }
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new UserError($"--text '{path}' is not UTF-8 text (byte {e.Index} is invalid); give a plain text file", e);
        }
    }

    public string Path { get; }
    public string Name => TaskName;
    public string Description => $"character-level text: {System.IO.Path.GetFileName(Path)}, {_ids.Length:N0} characters, vocabulary {Vocab.Size}, context {ContextLength}";
    public CharVocab Vocab { get; }
    public int ContextLength { get; }
    public string SuggestedPrompt => new string(Vocab.Decode(_ids.Take(16)).TakeWhile(c => c != '\n').ToArray()) is { Length: > 0 } p ? p : Vocab.Chars[..1];
    public (int Width, int Depth, int Heads) DefaultShape => (128, 4, 4);
    public TaskDefaults Defaults => new(Steps: 1000, Batch: 32, Lr: 2e-3, Warmup: 50, Schedule: "cosine", Clip: 1.0, EvalEvery: 200);
    public (string Unit, int PerExample) Throughput => ("tok", ContextLength);
    public (string Name, bool HigherIsBetter) Metric => ("val_loss", false);

    public Batch NextBatch(int batchSize, Generator generator, Device device)
    {
        int T = ContextLength;
        var starts = Tensor.Randint(0, _trainLength - T, [batchSize], generator, DType.Int32, Device.Cpu).ToArray<int>();
        return Windows(starts, device);
    }

    /// <summary>Input windows ids[s .. s+T) and targets ids[s+1 .. s+T], both [B, T].</summary>
    private Batch Windows(int[] starts, Device device)
    {
        int B = starts.Length, T = ContextLength;
        var input = new int[B * T];
        var target = new int[B * T];
        for (int b = 0; b < B; b++)
        {
            Array.Copy(_ids, starts[b], input, b * T, T);
            Array.Copy(_ids, starts[b] + 1, target, b * T, T);
        }
        return new Batch(Tensor.FromArray(input, [B, T], device), Tensor.FromArray(target, [B, T], device));
    }

    public Tensor Loss(Tensor output, Tensor target) =>                  // output [B, T, V], target [B, T]
        Functional.CrossEntropy(output.Reshape(-1, Vocab.Size), target.Reshape(-1));

    /// <summary>The mean loss over windows spread evenly over the validation split (the same windows every time).</summary>
    public Evaluation Evaluate(Module<Tensor, Tensor> model, Device device, bool final)
    {
        int batches = final ? 8 : 2, T = ContextLength, span = _ids.Length - _trainLength - T - 1, count = batches * EvalBatch;
        double sum = 0;
        using var noGrad = Autograd.NoGrad();
        for (int k = 0; k < batches; k++)
        {
            using var scope = Tensor.NewDisposeScope();
            var starts = Enumerable.Range(k * EvalBatch, EvalBatch).Select(i => _trainLength + (int)((long)span * i / Math.Max(1, count - 1))).ToArray();
            var batch = Windows(starts, device);
            sum += Loss(model.Call(batch.Input), batch.Target).Item();
        }
        double loss = sum / batches;
        return new Evaluation(loss, $"validation loss {loss:F4} ({loss / Math.Log(2):F3} bits per character) on {count} windows of {T}");
    }

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["path"] = System.IO.Path.GetFullPath(Path),
        ["context"] = ContextLength,
        ["vocab"] = Vocab.Chars,
    };
}
