// Checkpoints: a directory RUN/checkpoints/step-NNNNNN holding model.safetensors (the weights), optimizer.safetensors
// (the optimizer's buffers, step counts and options, written by OptimizerState.Save) and run.json (task, model
// config, settings, step, elapsed time and the data generator's state). A checkpoint is written into a hidden
// temporary directory and renamed into place, so it appears complete or not at all.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Cli.Training;

/// <summary>
/// What run.json holds besides the tensors. <see cref="ModelConfig"/> is the model's config record as JSON (a
/// GptConfig for "gpt", a VitConfig for "vit", ...), so that each model kind reads its own (see <see cref="ModelKind"/>).
/// </summary>
internal sealed record RunState(
    string ModelKind,
    JsonObject Task,
    JsonObject ModelConfig,
    TrainSettings Settings,
    int Step,
    double ElapsedSeconds,
    ulong DataSeed,
    ulong DataOffset,
    double? Loss,
    string? Evaluation,
    double? EvaluationValue = null);

internal static partial class Checkpoint
{
    public const string RunFile = "run.json", ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors";
    private const string Format = "dotgrad.run";
    private const int Version = 1;

    /// <summary>How run.json is written and read: indented, enums by name, NaN allowed.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The directory of the checkpoint at <paramref name="step"/> in <paramref name="runDir"/>.</summary>
    public static string PathFor(string runDir, int step) =>
        Path.Combine(runDir, "checkpoints", $"step-{step.ToString("D6", CultureInfo.InvariantCulture)}");

    /// <summary>Writes a checkpoint atomically (see the file comment) and returns its directory.</summary>
    public static string Save(string runDir, RunState state, Module model, Optimizer optimizer)
    {
        string final = PathFor(runDir, state.Step);
        string parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(final)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            model.SaveSafetensors(Path.Combine(temp, ModelFile), new Dictionary<string, string>
            {
                ["format"] = "dotgrad.model",
                ["model"] = state.ModelKind,
                ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            });
            using (var optimizerState = optimizer.StateDict()) optimizerState.Save(Path.Combine(temp, OptimizerFile));
            File.WriteAllText(Path.Combine(temp, RunFile), ToJson(state, optimizer).ToJsonString(Json));
            if (Directory.Exists(final))
            {
                // Replacing an older checkpoint of the same step (a rerun into the same directory): move it aside first.
                string old = Path.Combine(parent, $".{Path.GetFileName(final)}.old-{Guid.NewGuid():N}");
                Directory.Move(final, old);
                Directory.Move(temp, final);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, final);
            }
            return final;
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static JsonObject ToJson(RunState s, Optimizer optimizer) => new()
    {
        ["format"] = Format,
        ["version"] = Version,
        ["model"] = s.ModelKind,
        ["task"] = s.Task.DeepClone(),
        ["config"] = s.ModelConfig.DeepClone(),
        ["settings"] = JsonSerializer.SerializeToNode(s.Settings, Json),
        ["step"] = s.Step,
        ["elapsed_seconds"] = s.ElapsedSeconds,
        ["data_rng"] = new JsonObject { ["seed"] = s.DataSeed, ["offset"] = s.DataOffset },
        ["loss"] = s.Loss is { } l && double.IsFinite(l) ? l : null,
        ["evaluation"] = s.Evaluation,
        ["evaluation_value"] = s.EvaluationValue is { } v && double.IsFinite(v) ? v : null,
        ["weights"] = ModelFile,
        ["optimizer"] = new JsonObject { ["name"] = optimizer.Name, ["file"] = OptimizerFile, ["state_bytes"] = optimizer.StateBytes() },
        ["saved_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The checkpoint directory <paramref name="path"/> names: a checkpoint itself (it holds run.json), or a run
    /// directory, whose latest complete checkpoint is taken. Anything else is a <see cref="UserError"/>.
    /// </summary>
    public static string Resolve(string path, string option)
    {
        if (File.Exists(path) && Path.GetFileName(path) == RunFile) path = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(path))
            throw new UserError($"{option} '{path}' does not exist; pass a run directory (runs/NAME) or one of its checkpoints/step-N directories");
        if (File.Exists(Path.Combine(path, RunFile))) return path;
        string checkpoints = Path.Combine(path, "checkpoints");
        if (Directory.Exists(checkpoints))
        {
            var latest = Directory.GetDirectories(checkpoints, "step-*")
                .Where(d => File.Exists(Path.Combine(d, RunFile)))
                .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d)["step-".Length..], CultureInfo.InvariantCulture, out var step), Step: step))
                .Where(c => c.Ok)
                .OrderBy(c => c.Step)
                .Select(c => c.Dir)
                .LastOrDefault();
            if (latest is not null) return latest;
        }
        throw new UserError($"{option} '{path}' is not a dotgrad checkpoint: it has no {RunFile} and no checkpoints/step-N directory with one " +
                            $"(a checkpoint holds {RunFile}, {ModelFile} and {OptimizerFile}, as 'dotgrad train' writes them)");
    }

    /// <summary>Reads run.json of checkpoint <paramref name="dir"/>; a damaged or foreign file is a <see cref="UserError"/>.</summary>
    public static RunState Read(string dir)
    {
        string file = Path.Combine(dir, RunFile);
        UserError Bad(string why, Exception? inner = null) =>
            new($"'{file}' is not a usable dotgrad checkpoint: {why}", inner ?? new InvalidDataException(why));
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw Bad("it is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"it is not valid JSON ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw Bad(e.Message, e);
        }
        if (root["format"]?.GetValueKind() != JsonValueKind.String || root["format"]!.GetValue<string>() != Format)
            throw Bad($"it has no \"format\": \"{Format}\"");
        try
        {
            int version = root["version"]!.GetValue<int>();
            if (version > Version) throw Bad($"it was written by a newer dotgrad (version {version}; this one reads {Version})");
            var rng = root["data_rng"]!.AsObject();
            return new RunState(
                root["model"]!.GetValue<string>(),
                root["task"]!.AsObject(),
                root["config"]!.AsObject(),
                root["settings"].Deserialize<TrainSettings>(Json) ?? throw Bad("its settings are null"),
                root["step"]!.GetValue<int>(),
                root["elapsed_seconds"]!.GetValue<double>(),
                rng["seed"]!.GetValue<ulong>(),
                rng["offset"]!.GetValue<ulong>(),
                root["loss"]?.GetValue<double>(),
                root["evaluation"]?.GetValue<string>(),
                root["evaluation_value"]?.GetValue<double>());
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or JsonException or KeyNotFoundException)
        {
            throw Bad($"a field is missing or has the wrong type ({ParseMessages.JsonReadable(e.Message)})", e);
        }
    }

    /// <summary>
    /// Deletes the checkpoints of <paramref name="runDir"/> beyond the <paramref name="keep"/> most recent ones, except
    /// the one with the best evaluation (by <paramref name="higherIsBetter"/>) among those that recorded one; 0 keeps all.
    /// Returns the steps it deleted.
    /// </summary>
    public static List<int> Prune(string runDir, int keep, bool higherIsBetter)
    {
        var deleted = new List<int>();
        string dir = Path.Combine(runDir, "checkpoints");
        if (keep <= 0 || !Directory.Exists(dir)) return deleted;
        var steps = new List<(int Step, string Path)>();
        foreach (var path in Directory.GetDirectories(dir))
            if (StepDir().Match(Path.GetFileName(path)) is { Success: true } m)
                steps.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), path));
        steps.Sort((a, b) => a.Step.CompareTo(b.Step));
        if (steps.Count <= keep) return deleted;
        int? best = null;
        double bestValue = double.NaN;
        foreach (var (step, path) in steps)
        {
            double? value;
            try
            {
                value = Read(path).EvaluationValue;
            }
            catch (UserError)
            {
                continue;   // an unreadable checkpoint is no candidate for the best, and is pruned by age like the rest
            }
            if (value is { } v && (best is null || (higherIsBetter ? v > bestValue : v < bestValue)))
                (best, bestValue) = (step, v);
        }
        foreach (var (step, path) in steps.Take(steps.Count - keep))
        {
            if (step == best) continue;
            Directory.Delete(path, recursive: true);
            deleted.Add(step);
        }
        return deleted;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^step-(\d+)$")]
    private static partial System.Text.RegularExpressions.Regex StepDir();

    /// <summary>
    /// Loads the weights of checkpoint <paramref name="dir"/> into <paramref name="model"/>, after checking that they are
    /// the weights of the step run.json names (<paramref name="step"/>): the model file records its step as it is written.
    /// </summary>
    public static void LoadWeights(string dir, Module model, int step) =>
        Guard(Path.Combine(dir, ModelFile), "weights", () =>
        {
            string file = Path.Combine(dir, ModelFile);
            if (Safetensors.ReadMetadata(file).TryGetValue("step", out var saved) && saved != step.ToString(CultureInfo.InvariantCulture))
                throw new UserError($"the checkpoint '{dir}' is inconsistent: {RunFile} says step {step}, but its weights are from step {saved} " +
                                    $"({ModelFile} records the step it was saved at); restore the original {RunFile} or resume another checkpoint");
            model.LoadSafetensors(file);
        });

    /// <summary>Restores the optimizer state of checkpoint <paramref name="dir"/> into <paramref name="optimizer"/>.</summary>
    public static void LoadOptimizer(string dir, Optimizer optimizer, Device device) =>
        Guard(Path.Combine(dir, OptimizerFile), "optimizer state", () =>
        {
            using var state = OptimizerState.Load(Path.Combine(dir, OptimizerFile), device);
            optimizer.LoadStateDict(state);
        });

    private static void Guard(string file, string what, Action load)
    {
        if (!File.Exists(file)) throw new UserError($"the checkpoint's {what} file '{file}' is missing; the checkpoint is incomplete or not a dotgrad checkpoint");
        try
        {
            load();
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or JsonException or FormatException)
        {
            throw new UserError($"the checkpoint's {what} in '{file}' cannot be loaded (truncated, damaged or from another model): {Brief(e)}", e);
        }
    }

    /// <summary>
    /// A library exception's message for a one-paragraph CLI error: without ArgumentException's "(Parameter 'x')" tail,
    /// and with each list of state-dict keys cut to its first three and a count (a foreign checkpoint misses every key).
    /// </summary>
    internal static string Brief(Exception e)
    {
        string message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
        return KeyList().Replace(message, m =>
        {
            var keys = m.Groups["keys"].Value.Split(m.Groups["what"].Value == "mis-shaped" ? "; " : ", ");
            string shown = string.Join(m.Groups["what"].Value == "mis-shaped" ? "; " : ", ", keys.Take(3));
            return $" {keys.Length} {m.Groups["what"].Value} {(keys.Length == 1 ? "key" : "keys")} ({shown}{(keys.Length > 3 ? ", ..." : "")});";
        }).TrimEnd(';');
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*(?<what>missing|unexpected|mis-shaped) keys: (?<keys>[^\n]+)")]
    private static partial System.Text.RegularExpressions.Regex KeyList();
}
