// The module system: named parameters, buffers and submodules, training mode, device moves, state dicts and a
// summary table, in the manner of torch.nn.Module.
using System.Text;
using DotGrad.Autodiff;
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>
/// A piece of a model with named parameters, buffers and submodules, registered in the constructor with
/// <see cref="AddParameter"/>, <see cref="AddBuffer"/> and <see cref="AddModule{T}"/>. Names are joined with dots
/// (<c>blocks.0.attn.qkv.weight</c>) in <see cref="NamedParameters"/> and <see cref="StateDict"/>, in
/// registration order, as in PyTorch. Parameters are leaves that require grad and belong to no dispose scope;
/// <see cref="Dispose"/> releases them.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value, bool Persistent)> _buffers = [];
    private readonly List<(string Name, Module Value)> _modules = [];

    /// <summary>Training mode (dropout active); <see cref="Eval"/> turns it off everywhere below.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a parameter: it becomes a leaf that requires grad, owned by this module (not by any dispose scope).</summary>
    protected Tensor AddParameter(string name, Tensor value)
    {
        CheckName(name);
        if (!value.DType.IsFloatingPoint())
            throw new ArgumentException($"{GetType().Name}.AddParameter('{name}'): parameters must be floating point, got {value.DType}", nameof(value));
        value.DetachFromDisposeScope();
        if (!value.RequiresGrad) value.RequireGrad();
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a buffer: state that is not trained (a mask, running statistics). Persistent buffers go into the state dict.</summary>
    protected Tensor AddBuffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        value.DetachFromDisposeScope();
        _buffers.Add((name, value, persistent));
        return value;
    }

    /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
    protected T AddModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(module);
        _modules.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: a member name must be non-empty and contain no '.', got '{name}'", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _modules.Any(m => m.Name == name))
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered", nameof(name));
    }

    /// <summary>The direct submodules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules;

    /// <summary>This module ("") and every module below it, depth first, with dotted names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _modules)
            foreach (var entry in child.NamedModules(Join(prefix, name)))
                yield return entry;
    }

    /// <summary>Every parameter with its dotted name, this module's first, then each submodule's in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, p) in module._parameters)
                yield return (Join(prefix, name), p);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, b, _) in module._buffers)
                yield return (Join(prefix, name), b);
    }

    /// <summary>The number of parameter elements (PyTorch: <c>sum(p.numel() for p in m.parameters())</c>).</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Count);

    /// <summary>Sets training mode here and below (dropout is active only in training mode).</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, module) in NamedModules()) module.Training = training;
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>Moves every parameter (with its gradient) and buffer to <paramref name="device"/>, in place: layers keep their references.</summary>
    public Module To(Device device) => Convert(t => t.To(device));

    /// <summary>Converts every floating-point parameter and buffer to <paramref name="dtype"/>, in place.</summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Module.To: parameters must stay floating point, got {dtype}", nameof(dtype));
        return Convert(t => t.DType.IsFloatingPoint() ? t.To(dtype) : t.Alias());
    }

    private Module Convert(Func<Tensor, Tensor> convert)
    {
        using var _ = Autograd.NoGrad();
        foreach (var t in Parameters().Concat(NamedBuffers().Select(b => b.Buffer)))
        {
            using (var moved = convert(t)) t.SetData(moved);
            if (t.Grad is { } g)
            {
                t.Grad = null;
                using var movedGrad = convert(g);
                g.SetData(movedGrad);
                t.Grad = g;
            }
        }
        return this;
    }

    /// <summary>
    /// Parameters and persistent buffers by dotted name, as detached views sharing their storage (PyTorch's
    /// <c>state_dict()</c>): saving them saves the model; changing them changes it.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new OrderedDictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) state.Add(name, p.Detach().DetachFromDisposeScope());
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, b, persistent) in module._buffers)
                if (persistent) state.Add(Join(prefix, name), b.Detach().DetachFromDisposeScope());
        return state;
    }

    /// <summary>
    /// Copies values from a state dict into the parameters and persistent buffers (converting dtype and device).
    /// Strict (the default, as in PyTorch): every key must be present, none extra, and every shape must match; the
    /// error lists all missing, unexpected and mis-shaped keys at once. Non-strict loads what matches by name and
    /// still refuses a mis-shaped entry. Nothing is changed when the check fails.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var targets = StateDict();
        var missing = targets.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        var misshaped = targets.Where(t => state.TryGetValue(t.Key, out var v) && !v.Shape.SequenceEqual(t.Value.Shape))
            .Select(t => $"{t.Key}: checkpoint {Format(state[t.Key].Shape)}, model {Format(t.Value.Shape)}").ToList();
        if (misshaped.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var message = new StringBuilder($"{GetType().Name}.LoadStateDict: the state dict does not fit the model.");
            if (missing.Count > 0) message.Append($"\n  missing keys: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) message.Append($"\n  unexpected keys: {string.Join(", ", unexpected)}");
            if (misshaped.Count > 0) message.Append($"\n  mis-shaped keys: {string.Join("; ", misshaped)}");
            foreach (var t in targets.Values) t.Dispose();
            throw new ArgumentException(message.ToString(), nameof(state));
        }
        using (Autograd.NoGrad())
            foreach (var (name, target) in targets)
            {
                if (state.TryGetValue(name, out var value))
                {
                    using var converted = value.To(target.Device);
                    using var typed = converted.To(target.DType);
                    target[TensorIndex.Ellipsis] = typed;
                }
                target.Dispose();
            }
    }

    /// <summary>Disposes every parameter, its gradient and every buffer here and below.</summary>
    public void Dispose()
    {
        foreach (var (_, module) in NamedModules())
        {
            foreach (var (_, p) in module._parameters)
            {
                p.ZeroGrad();
                p.Dispose();
            }
            foreach (var (_, b, _) in module._buffers) b.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";

    public override string ToString() => $"{GetType().Name}({ParameterCount():N0} parameters)";
}
