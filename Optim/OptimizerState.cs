// A snapshot of an optimizer (what StateDict returns and LoadStateDict takes), and its file form: one safetensors
// file whose tensors are the buffers and whose metadata holds the name, step counts and each group's options as JSON.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// An optimizer's state: which optimizer saved it, how many steps it had taken, every group's options and size,
/// each parameter's own step count (parameters numbered across groups in order), and the buffers keyed
/// <c>"{parameter}.{buffer}"</c> (for example <c>"3.exp_avg"</c>). Owns its tensors; dispose it when done.
/// </summary>
public sealed class OptimizerState : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public OptimizerState(string optimizer, int stepCount, IReadOnlyList<OptimizerOptions> groups, IReadOnlyList<int> groupSizes,
        IReadOnlyList<int> paramSteps, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(optimizer);
        if (groups.Count != groupSizes.Count)
            throw new ArgumentException($"OptimizerState: {groups.Count} group options but {groupSizes.Count} group sizes");
        if (groupSizes.Sum() != paramSteps.Count)
            throw new ArgumentException($"OptimizerState: the groups hold {groupSizes.Sum()} parameters but {paramSteps.Count} step counts were given");
        (Optimizer, StepCount, Groups, GroupSizes, ParamSteps, Tensors) = (optimizer, stepCount, groups, groupSizes, paramSteps, tensors);
    }

    /// <summary>The name of the optimizer that saved this state.</summary>
    public string Optimizer { get; }
    /// <summary>The optimizer's <see cref="DotGrad.Optim.Optimizer.StepCount"/>.</summary>
    public int StepCount { get; }
    /// <summary>Each group's options.</summary>
    public IReadOnlyList<OptimizerOptions> Groups { get; }
    /// <summary>How many parameters each group has.</summary>
    public IReadOnlyList<int> GroupSizes { get; }
    /// <summary>Each parameter's own step count.</summary>
    public IReadOnlyList<int> ParamSteps { get; }
    /// <summary>The buffers, keyed <c>"{parameter}.{buffer}"</c>.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>Writes the state to one safetensors file, atomically (see <see cref="Safetensors.Save"/>).</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "dotgrad.optimizer",
            ["optimizer"] = Optimizer,
            ["step_count"] = StepCount.ToString(CultureInfo.InvariantCulture),
            ["group_sizes"] = JsonSerializer.Serialize(GroupSizes),
            ["param_steps"] = JsonSerializer.Serialize(ParamSteps),
            ["group_types"] = JsonSerializer.Serialize(Groups.Select(g => g.GetType().FullName)),
            ["group_options"] = "[" + string.Join(",", Groups.Select(g => JsonSerializer.Serialize(g, g.GetType(), Json))) + "]",
        };
        Safetensors.Save(path, Tensors, metadata);
    }

    /// <summary>Reads a state written by <see cref="Save"/>; a file that is not one gives an <see cref="InvalidDataException"/> naming it.</summary>
    public static OptimizerState Load(string path, Device? device = null)
    {
        var metadata = Safetensors.ReadMetadata(path);
        InvalidDataException Bad(string what) => new($"OptimizerState.Load: '{path}' is not an optimizer state file: {what}");
        if (!metadata.TryGetValue("format", out var format) || format != "dotgrad.optimizer")
            throw Bad("its metadata has no \"format\": \"dotgrad.optimizer\" (is it a model checkpoint?)");
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw Bad($"the metadata has no '{key}'");
        OptimizerOptions[] groups;
        int stepCount;
        int[] sizes, steps;
        try
        {
            stepCount = int.Parse(Get("step_count"), CultureInfo.InvariantCulture);
            sizes = JsonSerializer.Deserialize<int[]>(Get("group_sizes")) ?? throw Bad("group_sizes is null");
            steps = JsonSerializer.Deserialize<int[]>(Get("param_steps")) ?? throw Bad("param_steps is null");
            var types = JsonSerializer.Deserialize<string[]>(Get("group_types")) ?? throw Bad("group_types is null");
            using var options = JsonDocument.Parse(Get("group_options"));
            var elements = options.RootElement.EnumerateArray().ToArray();
            if (elements.Length != types.Length) throw Bad($"{types.Length} group types but {elements.Length} group options");
            groups = new OptimizerOptions[types.Length];
            for (int g = 0; g < types.Length; g++)
            {
                var type = typeof(OptimizerOptions).Assembly.GetType(types[g]) ?? Type.GetType(types[g]);
                if (type is null || !typeof(OptimizerOptions).IsAssignableFrom(type))
                    throw Bad($"group {g} has options of unknown type '{types[g]}'");
                groups[g] = (OptimizerOptions)(elements[g].Deserialize(type, Json) ?? throw Bad($"group {g}'s options are null"));
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or InvalidOperationException)
        {
            throw Bad(e.Message);
        }
        var tensors = Safetensors.Load(path, device);
        try
        {
            return new OptimizerState(Get("optimizer"), stepCount, groups, sizes, steps, tensors);
        }
        catch (ArgumentException e)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw Bad(e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
