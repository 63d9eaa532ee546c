// A chain of modules run one after another (PyTorch's nn.Sequential), registered as "0", "1", ... or under given names.
using System.Globalization;

namespace DotGrad.Models;

/// <summary>
/// Runs its modules in order, each on the previous one's output, as <c>torch.nn.Sequential</c>: <c>Call(x)</c> is
/// <c>m_{n-1}.Call(... m_1.Call(m_0.Call(x)))</c>, so every module's hooks and the summary see each step. Built from
/// modules, they are registered under their positions "0", "1", ..., so a <c>Linear</c> first is <c>0.weight</c> in
/// <see cref="Module.StateDict"/>, as in PyTorch; built from (name, module) pairs (PyTorch's <c>OrderedDict</c> form), under
/// those names. Indexing (<c>seq[0]</c>, <c>seq[^1]</c>, <c>seq["fc"]</c>), <see cref="Count"/>, <see cref="Append"/> and
/// <c>foreach</c> work as on the Python object; a range (<c>seq[1..3]</c>) is a new Sequential of the same modules under
/// their original names, as slicing one is. An empty Sequential returns its input.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>, IReadOnlyList<Module<Tensor, Tensor>>
{
    private readonly List<(string Name, Module<Tensor, Tensor> Module)> _items = [];

    /// <summary>An empty Sequential, to <see cref="Append"/> to.</summary>
    public Sequential() { }

    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Append(m);
    }

    public Sequential(IEnumerable<Module<Tensor, Tensor>> modules) : this(modules?.ToArray() ?? throw new ArgumentNullException(nameof(modules))) { }

    /// <summary>Named entries, registered under their names in this order (names must be distinct and contain no '.').</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, m) in modules) Add(name, m);
    }

    /// <summary>Adds <paramref name="module"/> at the end under the name of its position (PyTorch: <c>append</c>, named <c>str(len(self))</c>).</summary>
    public Sequential Append(Module<Tensor, Tensor> module) =>
        Add(_items.Count.ToString(CultureInfo.InvariantCulture), module);

    /// <summary>Appends each of <paramref name="modules"/> in turn (PyTorch: <c>extend</c>).</summary>
    public Sequential Extend(IEnumerable<Module<Tensor, Tensor>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Append(m);
        return this;
    }

    private Sequential Add(string name, Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module, nameof(module));
        AddModule(name, module);
        _items.Add((name, module));
        return this;
    }

    public int Count => _items.Count;

    /// <summary>The module at <paramref name="index"/> (0-based; <c>seq[^1]</c> is the last).</summary>
    public Module<Tensor, Tensor> this[int index] =>
        (uint)index < (uint)_items.Count ? _items[index].Module
            : throw new ArgumentOutOfRangeException(nameof(index), $"Sequential: index {index} is out of range for {_items.Count} modules");

    /// <summary>The module registered as <paramref name="name"/>.</summary>
    public Module<Tensor, Tensor> this[string name] =>
        _items.FirstOrDefault(e => e.Name == name).Module
        ?? throw new KeyNotFoundException($"Sequential: no module named '{name}'; the names are {string.Join(", ", _items.Select(e => $"'{e.Name}'"))}");

    /// <summary>
    /// A new Sequential of <paramref name="length"/> modules from <paramref name="start"/>, keeping their names (what
    /// <c>seq[a..b]</c> calls). It shares the modules, parameters included: dispose the original or the slice, not both.
    /// </summary>
    public Sequential Slice(int start, int length)
    {
        if (start < 0 || length < 0 || start + length > _items.Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Sequential.Slice: [{start}, {start + length}) is out of range for {_items.Count} modules");
        return new Sequential(_items.GetRange(start, length).ToArray());
    }

    /// <summary>The names in order ("0", "1", ... unless given).</summary>
    public IEnumerable<string> Names => _items.Select(e => e.Name);

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var (_, module) in _items) x = module.Call(x);
        return x;
    }

    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => _items.Select(e => e.Module).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
