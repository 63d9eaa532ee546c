// dotgrad probe: few-shot transfer of a trained image model's frozen features, as "Scaling Vision Transformers"
// measures its representations: n MNIST training images per probed digit, a ridge-regression linear classifier on
// their features, its accuracy on every test image of those digits; mean and range over seeded draws.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Data;
using DotGrad.Cli.Output;
using DotGrad.Cli.Study;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;
using MathNet.Numerics.LinearAlgebra;

namespace DotGrad.Cli.Commands;

internal static class ProbeCommand
{
    /// <summary>Images per forward pass when computing features: bounded memory for the 10,000 test images.</summary>
    private const int Chunk = 500;

    public static Command Create(CliContext context)
    {
        var checkpoint = new Option<string>("--checkpoint") { HelpName = "DIR", Description = "A vit, mixer or gmlp run directory (its latest checkpoint) or a checkpoints/step-N directory", Required = true };
        var mnist = new Option<string?>("--mnist") { HelpName = "DIR", Description = "The MNIST directory (default: the one the checkpoint was trained on)" };
        var labels = new Option<string>("--labels") { HelpName = "LIST", Description = "The digits to probe, e.g. 5-9, 5,6,7 or 0-2,7 (independent of the digits the model was trained on)", DefaultValueFactory = _ => "0-9" };
        var shots = new Option<string>("--shots") { HelpName = "LIST", Description = "Training images per digit, comma-separated", DefaultValueFactory = _ => "1,5,10" };
        var draws = new Option<int>("--draws") { Description = "Random draws of the training images per shot count", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the draws; the same seed draws the same images", DefaultValueFactory = _ => 1 };
        var l2 = new Option<double>("--l2") { Description = "The ridge penalty, on features scaled so the average training image has norm 1 (fixed, never tuned on the test images)", DefaultValueFactory = _ => FewShotProbe.DefaultL2 };
        var output = new Option<string?>("--out") { HelpName = "FILE.json", Description = "Also write the results as JSON" };
        var device = DeviceChoice.CreateOption();
        var command = new Command("probe", "Few-shot linear probe: how well a trained vit, mixer or gmlp's frozen features classify digits from a few examples each")
        {
            checkpoint, mnist, labels, shots, draws, seed, l2, output, device,
        };
        command.SetAction(p => Run(context, new Request(p.GetValue(checkpoint)!, p.GetValue(mnist), p.GetValue(labels)!, p.GetValue(shots)!,
                                                        p.GetValue(draws), p.GetValue(seed), p.GetValue(l2), p.GetValue(output)),
                                   DeviceChoice.Resolve(p.GetValue(device))));
        return command;
    }

    private sealed record Request(string Checkpoint, string? Mnist, string Labels, string Shots, int Draws, ulong Seed, double L2, string? Out);

    private static int Run(CliContext context, Request r, Device device)
    {
        var digits = DigitList.Parse(r.Labels, "--labels");
        if (digits.Length < 2) throw new UserError($"--labels '{r.Labels}' names one digit; a classifier needs at least two (e.g. 5-9)");
        var shots = ParseShots(r.Shots);
        if (r.Draws < 1) throw new UserError($"--draws must be at least 1, got {r.Draws}");
        if (!(r.L2 > 0) || !double.IsFinite(r.L2)) throw new UserError($"--l2 must be a finite number > 0, got {r.L2.ToString(CultureInfo.InvariantCulture)}");

        string dir = Checkpoint.Resolve(r.Checkpoint, "--checkpoint");
        var state = Checkpoint.Read(dir);
        var kind = ModelKinds.Find(state.ModelKind);
        if (kind is not { Data: TrainingData.Images })
            throw new UserError($"--checkpoint '{dir}' holds a {state.ModelKind}, which does not classify images; probe measures the features of " +
                                "an image model, so it needs a vit, mixer or gmlp checkpoint (from 'dotgrad train vit --mnist DIR')");
        var task = MnistTask.Load(r.Mnist ?? MnistPath(state, dir));
        int imageSize = ConfigInt(state, "ImageSize", dir), channels = ConfigInt(state, "Channels", dir);
        if (imageSize != task.ImageSize || channels != task.Channels)
            throw new UserError($"--checkpoint '{dir}': the {kind.Name} takes {imageSize} x {imageSize} x {channels} images, but the MNIST images are " +
                                $"{task.ImageSize} x {task.ImageSize} x {task.Channels}");

        // Each probed digit becomes a class 0 .. K-1 in the order given; other digits (-1) are left out.
        int[] classOf = Enumerable.Repeat(-1, 10).ToArray();
        for (int k = 0; k < digits.Length; k++) classOf[digits[k]] = k;
        var trainClasses = task.FileLabels(test: false).Select(d => classOf[d]).ToArray();
        var testIndices = Enumerable.Range(0, task.TestCount).Where(i => classOf[task.FileLabels(test: true)[i]] >= 0).ToArray();
        var testClasses = testIndices.Select(i => classOf[task.FileLabels(test: true)[i]]).ToArray();
        if (testIndices.Length == 0) throw new UserError($"--labels {DigitList.Format(digits)}: the test images of '{task.Directory}' hold none of these digits");
        for (int k = 0; k < digits.Length; k++)
        {
            int available = trainClasses.Count(c => c == k);
            if (available < shots.Max())
                throw new UserError($"--shots {shots.Max()}: the training images of '{task.Directory}' hold only {available} of digit {digits[k]}; " +
                                    $"give at most {available} shots");
        }

        using var model = kind.Build(state.ModelConfig, state.Settings.Seed, device, dir);
        Checkpoint.LoadWeights(dir, model, state.Step);
        model.Eval();
        var body = model as IImageFeatures ?? throw new InvalidOperationException($"probe: the {kind.Name} model ({model.GetType().Name}) has no Features");

        var testFeatures = Features(body, task, test: true, testIndices, device);   // (M, D)
        var results = FewShotProbe.Run(trainClasses, digits.Length, chosen => Features(body, task, test: false, chosen, device),
                                       testFeatures, testClasses, shots, r.Draws, r.Seed, r.L2);

        var w = context.Out;
        w.WriteLine($"probe     {kind.Name} features (width {body.FeatureWidth}) of {dir}");
        w.WriteLine($"digits    {DigitList.Format(digits)}: {digits.Length} classes, chance {100.0 / digits.Length:F1}%; {testIndices.Length:N0} test images");
        w.WriteLine($"method    ridge regression onto +-1 one-hot targets, l2 {r.L2.ToString("G3", CultureInfo.InvariantCulture)}; {r.Draws} draw{(r.Draws == 1 ? "" : "s")} of the training images, seed {r.Seed}");
        var table = Tables.Create(context, ">shots", ">draws", ">mean accuracy", ">min", ">max");
        foreach (var p in results)
            Tables.Row(table, p.Shots.ToString(CultureInfo.InvariantCulture), r.Draws.ToString(CultureInfo.InvariantCulture), Percent(p.Mean), Percent(p.Min), Percent(p.Max));
        context.Console.Write(table);
        if (r.Out is { } outPath)
        {
            WriteJson(outPath, ToJson(dir, kind.Name, body.FeatureWidth, digits, r, testIndices.Length, results));
            w.WriteLine($"results   {outPath}");
        }
        w.Flush();
        return ExitCodes.Success;
    }

    /// <summary>The shot counts of "1,5,10": positive, in increasing order without repeats.</summary>
    private static int[] ParseShots(string text)
    {
        var shots = new SortedSet<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new UserError($"--shots '{text}': '{part.Trim()}' is not a positive whole number; write the shot counts comma-separated, e.g. 1,5,10");
            shots.Add(n);
        }
        return shots.ToArray();
    }

    private static string MnistPath(RunState state, string dir) =>
        state.Task["name"]?.ToString() == MnistTask.TaskName && state.Task["path"]?.GetValue<string>() is { } path
            ? path
            : throw new UserError($"--checkpoint '{dir}' does not say where its MNIST files are; pass --mnist DIR");

    private static int ConfigInt(RunState state, string field, string dir)
    {
        try
        {
            return state.ModelConfig[field]?.GetValue<int>() ?? throw new InvalidOperationException($"no {field}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new UserError($"'{dir}' is not a usable dotgrad checkpoint: its model config has no whole-number {field} ({e.Message})", e);
        }
    }

    /// <summary>The frozen features [indices, D] of the training or test images at <paramref name="indices"/>, without gradients.</summary>
    private static Matrix<double> Features(IImageFeatures body, MnistTask task, bool test, IReadOnlyList<int> indices, Device device)
    {
        int D = body.FeatureWidth;
        var features = Matrix<double>.Build.Dense(indices.Count, D);
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < indices.Count; start += Chunk)
        {
            using var scope = Tensor.NewDisposeScope();
            var chunk = indices.Skip(start).Take(Chunk).ToArray();
            var f = body.Features(task.Images(test, chunk, device)).ToArray<float>();  // [B, H, W, C] -> [B, D]
            for (int i = 0; i < chunk.Length; i++)
                for (int j = 0; j < D; j++) features[start + i, j] = f[i * D + j];
        }
        return features;
    }

    private static JsonObject ToJson(string dir, string model, int width, int[] digits, Request r, int testImages, IReadOnlyList<ProbeResult> results) => new()
    {
        ["checkpoint"] = Path.GetFullPath(dir),
        ["model"] = model,
        ["feature_width"] = width,
        ["labels"] = new JsonArray(digits.Select(d => (JsonNode)d).ToArray()),
        ["chance"] = 1.0 / digits.Length,
        ["test_images"] = testImages,
        ["l2"] = r.L2,
        ["seed"] = r.Seed,
        ["results"] = new JsonArray(results.Select(p => (JsonNode)new JsonObject
        {
            ["shots"] = p.Shots,
            ["draws"] = p.Accuracies.Length,
            ["mean"] = p.Mean,
            ["min"] = p.Min,
            ["max"] = p.Max,
            ["accuracies"] = new JsonArray(p.Accuracies.Select(a => (JsonNode)a).ToArray()),
        }).ToArray()),
    };

    /// <summary>Writes <paramref name="json"/> to a temporary file beside <paramref name="path"/>, then renames it: the file is complete or absent.</summary>
    private static void WriteJson(string path, JsonObject json)
    {
        try
        {
            string full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            string temp = full + ".tmp";
            File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserError($"--out '{path}' cannot be written: {e.Message}", e);
        }
    }

    private static string Percent(double v) => $"{(v * 100).ToString("F1", CultureInfo.InvariantCulture)}%";
}
