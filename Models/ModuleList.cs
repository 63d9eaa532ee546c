// An indexed list of submodules (PyTorch's nn.ModuleList), so that a stack of blocks is named blocks.0, blocks.1, ...
namespace DotGrad.Models;

/// <summary>
/// Holds submodules registered under their index ("0", "1", ...), so their parameters are named
/// <c>blocks.0.norm1.weight</c> inside a model that registers the list as "blocks". It has no forward of its own:
/// loop over it (<c>foreach (var block in Blocks) x = block.Call(x);</c>).
/// </summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = [];

    public ModuleList() { }

    public ModuleList(IEnumerable<T> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends <paramref name="module"/> under the name of its index.</summary>
    public void Add(T module)
    {
        AddModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
    }

    public T this[int index] => _items[index];

    public int Count => _items.Count;

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
