// MNIST digit classification for the vision models: random training images drawn with the run's data generator,
// cross entropy on the digit classes, accuracy on the test images. The IDX files are read once per process. A run may
// keep some digits only (--labels: a smaller problem, its classes renumbered) and the first N training images.
using System.Globalization;
using System.Text.Json.Nodes;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Data;
using DotGrad.Models;

namespace DotGrad.Cli.Tasks;

/// <summary>
/// MNIST from a directory of the four IDX files (gzip or raw). A training batch is B images drawn uniformly, with
/// replacement, from the 60,000 training images by the run's generator (so a resumed run draws the same batches),
/// normalised with the training set's mean 0.1307 and standard deviation 0.3081 and shaped NHWC [B, 28, 28, 1].
/// Periodic evaluations use every fifth test image (2,000, from both halves of the test set, which were written by
/// different people); the final one all 10,000. With <see cref="Labels"/> both splits keep the images of those
/// digits only, whose classes are renumbered 0..k-1 in ascending digit order; with a training-example count, the
/// first N training images (of those digits) are the whole training set. Without either the task is the full one.
/// </summary>
internal sealed class MnistTask : IImageTask
{
    public const string TaskName = "mnist";
    public const float Mean = 0.1307f, Std = 0.3081f;
    private const int IntermediateEvalStride = 5, EvalChunk = 500;

    /// <summary>
    /// The directories read, normalised (at most <see cref="CacheSize"/>, about 220 MB each for the full set): a
    /// process that trains several times, a test run, reads its data once.
    /// </summary>
    private static readonly Dictionary<string, Data> Cache = [];
    private static readonly Lock CacheLock = new();
    private const int CacheSize = 2;

    private readonly Data _data;
    /// <summary>The images of the task in each split, as indices into the files' order, and each digit's class (-1: left out).</summary>
    private readonly int[] _train, _test, _classOf;

    private MnistTask(string directory, Data data, int[]? labels, int? trainExamples)
    {
        Directory = directory;
        _data = data;
        Labels = labels;
        _classOf = Enumerable.Repeat(-1, 10).ToArray();
        var digits = labels ?? Enumerable.Range(0, 10).ToArray();
        for (int c = 0; c < digits.Length; c++) _classOf[digits[c]] = c;
        _train = Keep(data.TrainLabels);
        _test = Keep(data.TestLabels);
        if (labels is not null && (_train.Length == 0 || _test.Length == 0))
            throw new UserError($"--labels {DigitList.Format(digits)}: the {(_train.Length == 0 ? "training" : "test")} images in '{directory}' hold none of those digits");
        if (trainExamples is { } n)
        {
            string of = labels is null ? "" : $" of digits {DigitList.Format(digits)}";
            if (n < 1 || n > _train.Length)
                throw new UserError($"--train-examples must be between 1 and the {_train.Length:N0} training images{of} there are, got {n}");
            _train = _train[..n];
            TrainExamples = n;
        }
    }

    /// <summary>The indices of the images whose digit the task keeps, in file order.</summary>
    private int[] Keep(int[] digits) =>
        Enumerable.Range(0, digits.Length).Where(i => digits[i] is >= 0 and < 10 && _classOf[digits[i]] >= 0).ToArray();

    /// <summary>The images and labels of both splits, normalised once.</summary>
    private sealed record Data(float[] TrainImages, int[] TrainLabels, float[] TestImages, int[] TestLabels, int Side);

    /// <summary>
    /// Reads (or takes from the cache) the MNIST files in <paramref name="directory"/>; a missing or damaged file is a
    /// <see cref="UserError"/>. <paramref name="labels"/> (from <see cref="ParseLabels"/>) keeps those digits only;
    /// <paramref name="trainExamples"/> the first N training images (after the label filter).
    /// </summary>
    public static MnistTask Load(string directory, int[]? labels = null, int? trainExamples = null)
    {
        string full;
        try
        {
            full = System.IO.Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserError($"--mnist '{directory}' is not a usable path: {e.Message}", e);
        }
        string key = CacheKey(full);
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(key, out var data))
            {
                data = Read(directory);
                if (Cache.Count >= CacheSize) Cache.Clear();
                Cache[key] = data;
            }
            return new MnistTask(full, data, labels, trainExamples);
        }
    }

    /// <summary>
    /// The digits of a --labels list ("0-4", "5,6,7", "0-2,7"; see <see cref="DigitList.Parse"/>), ascending; null when
    /// it names all ten (the full task). A single digit (nothing to tell apart) is a <see cref="UserError"/> too.
    /// </summary>
    public static int[]? ParseLabels(string list)
    {
        var digits = DigitList.Parse(list, "--labels");
        if (digits.Length < 2) throw new UserError($"--labels '{list}' keeps one digit only; a classification needs at least two");
        return digits.Length == 10 ? null : digits;
    }

    /// <summary>The directory and its files' sizes and write times, so that replaced files are read again.</summary>
    private static string CacheKey(string full)
    {
        if (!System.IO.Directory.Exists(full)) return full;
        var files = new DirectoryInfo(full).GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal);
        return string.Join("|", files.Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}").Prepend(full));
    }

    private static Data Read(string directory)
    {
        MnistSplit train, test;
        try
        {
            (train, test) = Mnist.Load(directory);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new UserError($"--mnist '{directory}' does not exist; give the directory that holds the four MNIST IDX files " +
                                "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz)", e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new UserError($"--mnist '{directory}' cannot be used: {e.Message.TrimEnd('.')}. The directory needs the four MNIST IDX files " +
                                "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz), complete", e);
        }
        if (train.Rows != train.Cols || test.Rows != train.Rows || test.Cols != train.Cols)
            throw new UserError($"--mnist '{directory}': the images must be square and the same size in both splits, " +
                                $"got {train.Rows} x {train.Cols} (training) and {test.Rows} x {test.Cols} (test)");
        return new Data(Normalise(train.Pixels), train.Labels, Normalise(test.Pixels), test.Labels, train.Rows);
    }

    /// <summary>
    /// (x - mean) / std, in place (the reader's arrays are ours; a copy would cost another 190 MB): inputs centred near 0
    /// with unit spread, which the patch layer's default initialisation expects.
    /// </summary>
    private static float[] Normalise(float[] pixels)
    {
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (pixels[i] - Mean) / Std;
        return pixels;
    }

    /// <summary>Rebuilds the task of a checkpoint; <paramref name="directoryOverride"/> (--mnist) replaces a directory that moved.</summary>
    public static MnistTask FromJson(JsonObject json, string? directoryOverride)
    {
        string dir = directoryOverride ?? json["path"]?.GetValue<string>() ?? throw new UserError("run.json: the mnist task has no 'path'; pass --mnist DIR");
        // Through the same checks as the option, so a hand-edited list fails as --labels would.
        var labels = json["labels"] is JsonArray a ? ParseLabels(string.Join(",", a.Select(d => d!.GetValue<int>()))) : null;
        return Load(dir, labels, json["train_examples"]?.GetValue<int>());
    }

    /// <summary>The directory the files were read from (full path).</summary>
    public string Directory { get; }
    public string Name => TaskName;
    public string Description =>
        (Labels is { } l
            ? $"MNIST digits {DigitList.Format(l)} only, a {l.Length}-class problem (the digits relabelled 0-{l.Length - 1} in ascending order), in {Directory}: "
            : $"MNIST digits in {Directory}: ") +
        $"{TrainCount:N0} training{(TrainExamples is { } n ? $" (the first {n:N0})" : "")} and {TestCount:N0} test images of {ImageSize} x {ImageSize}; accuracy on the test images";

    /// <summary>The digits the task keeps, ascending (digit Labels[c] is class c); null for all ten.</summary>
    public int[]? Labels { get; }

    /// <summary>The number of training images the task was limited to (--train-examples); null for all.</summary>
    public int? TrainExamples { get; }

    public int ImageSize => _data.Side;
    public int Channels => 1;
    public int Classes => Labels?.Length ?? 10;
    public int TrainCount => _train.Length;
    public int TestCount => _test.Length;

    /// <summary>
    /// The fallback settings (the model kinds give their own): AdamW at 3e-3 with a short warmup and a cosine decay,
    /// batches of 128, evaluations every 500 steps.
    /// </summary>
    public TaskDefaults Defaults => new(Steps: 2000, Batch: 128, Lr: 3e-3, Warmup: 100, Schedule: "cosine", Clip: 1.0, EvalEvery: 500);
    public (string Unit, int PerExample) Throughput => ("img", 1);
    public (string Name, bool HigherIsBetter) Metric => ("accuracy", true);

    /// <summary>The digit (0 to 9) of every training image, or of every test image, in the files' order (whatever --labels kept).</summary>
    public IReadOnlyList<int> FileLabels(bool test) => test ? _data.TestLabels : _data.TrainLabels;

    /// <summary>The normalised training (or test) images at <paramref name="indices"/>, NHWC [B, side, side, 1], as batches are made.</summary>
    public Tensor Images(bool test, IReadOnlyList<int> indices, Device device)
    {
        var batch = test ? Gather(_data.TestImages, _data.TestLabels, indices, device) : Gather(_data.TrainImages, _data.TrainLabels, indices, device);
        batch.Target.Dispose();
        return batch.Input;
    }

    public Batch NextBatch(int batchSize, Generator generator, Device device)
    {
        var picks = Tensor.Randint(0, TrainCount, [batchSize], generator, DType.Int32, Device.Cpu).ToArray<int>();
        return Gather(_data.TrainImages, _data.TrainLabels, picks.Select(i => _train[i]).ToArray(), device);
    }

    /// <summary>
    /// Images [B, side, side, 1] (NHWC; the IDX files hold rows of pixels, so each image is already H, W order) and
    /// classes [B], for the images at <paramref name="indices"/> in the files' order.
    /// </summary>
    private Batch Gather(float[] images, int[] labels, IReadOnlyList<int> indices, Device device)
    {
        int B = indices.Count, P = ImageSize * ImageSize;
        var x = new float[B * P];
        var y = new int[B];
        for (int b = 0; b < B; b++)
        {
            Array.Copy(images, (long)indices[b] * P, x, (long)b * P, P);
            y[b] = _classOf[labels[indices[b]]];
        }
        return new Batch(Tensor.FromArray(x, [B, ImageSize, ImageSize, Channels], device), Tensor.FromArray(y, [B], device));
    }

    public Tensor Loss(Tensor output, Tensor target) => Functional.CrossEntropy(output, target);  // output [B, Classes], target [B]

    public Evaluation Evaluate(Module<Tensor, Tensor> model, Device device, bool final)
    {
        int stride = final ? 1 : IntermediateEvalStride;
        var indices = Enumerable.Range(0, (TestCount + stride - 1) / stride).Select(i => _test[i * stride]).ToArray();
        int correct = 0;
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < indices.Length; start += EvalChunk)
        {
            using var scope = Tensor.NewDisposeScope();
            var chunk = indices[start..Math.Min(indices.Length, start + EvalChunk)];
            var batch = Gather(_data.TestImages, _data.TestLabels, chunk, device);
            var predicted = model.Call(batch.Input).Argmax(dim: -1).To(DType.Int32).ToArray<int>();  // [B, Classes] -> [B]
            for (int i = 0; i < chunk.Length; i++)
                if (predicted[i] == _classOf[_data.TestLabels[chunk[i]]]) correct++;
        }
        double accuracy = (double)correct / indices.Length;
        return new Evaluation(accuracy, $"test accuracy {accuracy * 100:F2}% ({correct} of {indices.Length} test images classified correctly)");
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["name"] = Name, ["path"] = Directory };
        if (Labels is { } l) json["labels"] = new JsonArray(l.Select(d => (JsonNode)d).ToArray());
        if (TrainExamples is { } n) json["train_examples"] = n;
        return json;
    }
}
