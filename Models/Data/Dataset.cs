// Map-style datasets (PyTorch's torch.utils.data.Dataset): a count and an item at each index, what a DataLoader batches.
namespace DotGrad.Data;

/// <summary>
/// A map-style dataset, as PyTorch's <c>Dataset</c> with <c>__len__</c> and <c>__getitem__</c>: <see cref="Count"/>
/// items, item <c>i</c> for <c>0 &lt;= i &lt; Count</c>. A <see cref="DataLoader{TItem, TBatch}"/> with workers reads
/// items from several threads at once, so the indexer must be safe for concurrent reads (an in-memory dataset is) and
/// should return the same item for the same index every time (that is what makes a run reproducible).
/// </summary>
public interface IDataset<out TItem>
{
    int Count { get; }

    TItem this[int index] { get; }
}

/// <summary>Small datasets built from functions and lists.</summary>
public static class Dataset
{
    /// <summary><paramref name="count"/> items, item <c>i</c> being <c>item(i)</c> (computed on each read, on the reading thread).</summary>
    public static IDataset<TItem> From<TItem>(int count, Func<int, TItem> item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(item);
        return new FuncDataset<TItem>(count, item);
    }

    /// <summary>The items of <paramref name="items"/>, in order.</summary>
    public static IDataset<TItem> From<TItem>(IReadOnlyList<TItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new FuncDataset<TItem>(items.Count, i => items[i]);
    }

    /// <summary>
    /// The items of <paramref name="dataset"/> at <paramref name="indices"/>, in that order (PyTorch's <c>Subset</c>):
    /// a training split, the first N examples, or one class.
    /// </summary>
    public static IDataset<TItem> Subset<TItem>(IDataset<TItem> dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        for (int k = 0; k < indices.Count; k++)
            if ((uint)indices[k] >= (uint)dataset.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Dataset.Subset: index {indices[k]} (at position {k}) is outside the dataset of {dataset.Count} items");
        return new FuncDataset<TItem>(indices.Count, i => dataset[indices[i]]);
    }

    private sealed class FuncDataset<TItem>(int count, Func<int, TItem> item) : IDataset<TItem>
    {
        public int Count => count;

        public TItem this[int index] => (uint)index < (uint)count
            ? item(index)
            : throw new ArgumentOutOfRangeException(nameof(index), $"Dataset: index {index} is outside the {count} items");
    }
}
