// The built-in task of `dotgrad train`: sort a list of digits. Nothing to download, a few hundred steps to learn,
// and an unambiguous held-out test: greedy decoding must reproduce the whole sorted list.
using System.Text.Json.Nodes;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Cli.Tasks;

/// <summary>
/// Sorting n digits: the sequence <c>x1 .. xn &gt; y1 .. yn</c> (e.g. <c>83140276&gt;01234678</c>, one token per
/// character, vocabulary <c>0123456789&gt;</c>), where y is x sorted. The model reads the first 2n tokens and is
/// trained with cross entropy on the n answer tokens only; it is judged by exact match of greedy decodes on a
/// held-out set of lists that training never draws (training redraws any list that is in the held-out set).
/// </summary>
internal sealed class SortTask : ILanguageTask
{
    public const string TaskName = "sort";
    public const int DefaultDigits = 8;
    /// <summary>The digits, then the separator between a list and its sorted copy.</summary>
    public const string VocabChars = "0123456789>";
    private const int IgnoreIndex = -100;
    private const int HeldOutCount = 2000, IntermediateEvalCount = 500, DecodeChunk = 500;

    private readonly int[][] _heldOut;
    private readonly HashSet<string> _heldOutKeys;

    public SortTask(int digits, ulong heldOutSeed)
    {
        if (digits is < 2 or > 32) throw new UserError($"--digits must be between 2 and 32, got {digits}");
        Digits = digits;
        HeldOutSeed = heldOutSeed;
        Vocab = new CharVocab(VocabChars);
        var g = new Generator(heldOutSeed);
        var lists = Tensor.Randint(0, 10, [HeldOutCount, digits], g, DType.Int32, Device.Cpu).ToArray<int>();
        _heldOut = Enumerable.Range(0, HeldOutCount).Select(i => lists.AsSpan(i * digits, digits).ToArray()).ToArray();
        _heldOutKeys = _heldOut.Select(Key).ToHashSet();
    }

    public static SortTask FromJson(JsonObject json) =>
        new(json["digits"]?.GetValue<int>() ?? throw new UserError("run.json: the sort task has no 'digits'"),
            json["heldout_seed"]?.GetValue<ulong>() ?? throw new UserError("run.json: the sort task has no 'heldout_seed'"));

    public int Digits { get; }
    public ulong HeldOutSeed { get; }
    public string Name => TaskName;
    public string Description => $"sort {Digits} digits (e.g. {Example()}); exact match on {HeldOutCount} held-out lists";
    public CharVocab Vocab { get; }
    public int ContextLength => 2 * Digits;
    public string SuggestedPrompt => Example()[..(Digits + 1)];
    public (int Width, int Depth, int Heads) DefaultShape => (64, 2, 4);
    public TaskDefaults Defaults => new(Steps: 500, Batch: 64, Lr: 3e-3, Warmup: 25, Schedule: "cosine", Clip: 1.0, EvalEvery: 100);
    public (string Unit, int PerExample) Throughput => ("tok", ContextLength);
    public (string Name, bool HigherIsBetter) Metric => ("accuracy", true);

    public TrainingBatches Batches(int batchSize, (ulong Seed, ulong Offset) data, Device device, int prefetch) =>
        TrainingBatches.Generated(g => Draw(batchSize, g), data, device, prefetch);

    /// <summary>One batch drawn from <paramref name="generator"/>, which then holds the state after it.</summary>
    public Batch NextBatch(int batchSize, Generator generator, Device device) => TrainingBatches.One(this, batchSize, generator, device);

    /// <summary>
    /// B random lists (one draw of [B, n] digits, then a redraw of each list that is held out, in order), as input
    /// [B, T] and targets [B, T] on the CPU: the generator's state decides them all.
    /// </summary>
    private (Tensor Input, Tensor Target) Draw(int batchSize, Generator generator)
    {
        int n = Digits, T = ContextLength;
        var digits = Tensor.Randint(0, 10, [batchSize, n], generator, DType.Int32, Device.Cpu).ToArray<int>();
        var input = new int[batchSize * T];
        var target = new int[batchSize * T];
        for (int b = 0; b < batchSize; b++)
        {
            var list = digits.AsSpan(b * n, n).ToArray();
            while (_heldOutKeys.Contains(Key(list)))                    // keep the held-out lists unseen
                list = Tensor.Randint(0, 10, [n], generator, DType.Int32, Device.Cpu).ToArray<int>();
            var full = Sequence(list);                                   // 2n + 1 tokens
            for (int t = 0; t < T; t++)
            {
                input[b * T + t] = full[t];
                target[b * T + t] = t >= n ? full[t + 1] : IgnoreIndex; // only the answer is scored
            }
        }
        return (Tensor.FromArray(input, [batchSize, T], Device.Cpu), Tensor.FromArray(target, [batchSize, T], Device.Cpu));
    }

    public Tensor Loss(Tensor output, Tensor target) =>                  // output [B, T, V], target [B, T]
        Functional.CrossEntropy(output.Reshape(-1, Vocab.Size), target.Reshape(-1), ignoreIndex: IgnoreIndex);

    public Evaluation Evaluate(Module<Tensor, Tensor> model, Device device, bool final)
    {
        int count = final ? HeldOutCount : IntermediateEvalCount, correct = 0;
        for (int start = 0; start < count; start += DecodeChunk)
        {
            var lists = _heldOut[start..Math.Min(count, start + DecodeChunk)];
            var answers = GreedyAnswers(model, lists, device);
            for (int i = 0; i < lists.Length; i++)
                if (answers[i].SequenceEqual(lists[i].Order())) correct++;
        }
        double accuracy = (double)correct / count;
        return new Evaluation(accuracy, $"held-out exact match {accuracy * 100:F2}% ({correct} of {count} lists sorted correctly)");
    }

    /// <summary>Greedy decoding: feed <c>x &gt;</c>, append the argmax token n times; returns the n answer digits of each list.</summary>
    private int[][] GreedyAnswers(Module<Tensor, Tensor> model, int[][] lists, Device device)
    {
        int B = lists.Length, n = Digits, sep = Digits;
        var seq = new int[B][];
        for (int b = 0; b < B; b++) seq[b] = [.. lists[b], Vocab.Size - 1];
        using var noGrad = Autograd.NoGrad();
        for (int j = 0; j < n; j++)
        {
            using var scope = Tensor.NewDisposeScope();
            int T = seq[0].Length;
            var tokens = Tensor.FromArray(seq.SelectMany(s => s).ToArray(), [B, T], device);  // [B, T]
            var next = model.Call(tokens)[.., ^1].Argmax(dim: -1).To(DType.Int32).ToArray<int>(); // [B, T, V] -> [B, V] -> [B]
            for (int b = 0; b < B; b++) seq[b] = [.. seq[b], next[b]];
        }
        return seq.Select(s => s[(sep + 1)..]).ToArray();
    }

    public JsonObject ToJson() => new() { ["name"] = Name, ["digits"] = Digits, ["heldout_seed"] = HeldOutSeed };

    /// <summary>x, the separator, then x sorted: 2n + 1 token ids.</summary>
    private int[] Sequence(int[] list) => [.. list, Vocab.Size - 1, .. list.Order()];

    private string Example()
    {
        var list = Enumerable.Range(0, Digits).Select(i => (i * 7 + 3) % 10).ToArray();
        return Vocab.Decode(Sequence(list));
    }

    /// <summary>A list as a string of its digits, to look it up in the held-out set.</summary>
    private static string Key(int[] list) => string.Concat(list);
}
