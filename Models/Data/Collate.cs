// Turning a list of items into a batch (PyTorch's default_collate), and walking a batch's tensors to move or release them.
using System.Runtime.CompilerServices;

namespace DotGrad.Data;

/// <summary>
/// The default collate function and the helpers a loader uses on batches of known shape: a <see cref="Tensor"/>, an
/// array of tensors, or a value tuple whose elements are any of these (nested as deep as you like).
/// </summary>
public static class Collate
{
    /// <summary>
    /// PyTorch's <c>default_collate</c> for tensor items: tensors are stacked along a new dim 0 (items [..] -> [B, ..]);
    /// arrays and value tuples are collated element by element, so (image, label) items give (images, labels). Unlike
    /// PyTorch it does not turn numbers into tensors (the batch has the item's type): make scalars 0-d tensors, or pass a
    /// collate function of your own. Items must agree in shape; the error names the first that does not.
    /// </summary>
    public static TItem Stack<TItem>(IReadOnlyList<TItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new ArgumentException("Collate.Stack: a batch needs at least one item, got none", nameof(items));
        return (TItem)StackObjects(typeof(TItem), items.Cast<object?>().ToArray(), "item");
    }

    private static object StackObjects(Type type, object?[] items, string what)
    {
        if (items[0] is Tensor first)
        {
            var tensors = new Tensor[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                tensors[i] = items[i] as Tensor
                    ?? throw new ArgumentException($"Collate.Stack: {what} {i} is {Describe(items[i])} where item 0 is a tensor");
                if (!tensors[i].Shape.AsSpan().SequenceEqual(first.Shape) || tensors[i].DType != first.DType)
                    throw new ArgumentException($"Collate.Stack: stacking needs items of one shape and dtype; {what} 0 is {first.DType} " +
                                                $"{Format(first.Shape)} but {what} {i} is {tensors[i].DType} {Format(tensors[i].Shape)} (pad them in a collate function of your own)");
            }
            return Tensor.Stack(tensors);
        }
        if (items[0] is Tensor[] array)
        {
            var columns = new Tensor[array.Length];
            for (int k = 0; k < array.Length; k++)
                columns[k] = (Tensor)StackObjects(typeof(Tensor), items.Select((x, i) => Field(x, k, array.Length, i, what)).ToArray(), $"{what} [{k}] of item");
            return columns;
        }
        if (items[0] is ITuple tuple && IsValueTuple(type))
        {
            var fieldTypes = type.GetGenericArguments();
            var fields = new object[tuple.Length];
            for (int k = 0; k < tuple.Length; k++)
                fields[k] = StackObjects(fieldTypes[k], items.Select(x => ((ITuple)x!)[k]).ToArray(), $"field {k + 1} of item");
            return Activator.CreateInstance(type, fields)!;
        }
        throw new NotSupportedException($"Collate.Stack: cannot collate {Describe(items[0])}; the default collate stacks tensors, arrays of tensors and " +
                                        "value tuples of them; pass a collate function for other items");
    }

    private static object? Field(object? item, int k, int length, int i, string what) =>
        item is Tensor[] a && a.Length == length ? a[k]
            : throw new ArgumentException($"Collate.Stack: {what} {i} is {Describe(item)} where item 0 is an array of {length} tensors");

    /// <summary>Every tensor in <paramref name="batch"/> (a tensor, an enumerable of tensors, or a tuple of these); nothing for other types.</summary>
    public static IEnumerable<Tensor> Tensors(object? batch)
    {
        switch (batch)
        {
            case Tensor t:
                yield return t;
                break;
            case IEnumerable<Tensor> many:
                foreach (var t in many) yield return t;
                break;
            case ITuple tuple:
                for (int k = 0; k < tuple.Length; k++)
                    foreach (var t in Tensors(tuple[k])) yield return t;
                break;
        }
    }

    /// <summary>
    /// The batch with <paramref name="map"/> applied to each tensor (to move it to a device), for a tensor, an array of
    /// tensors or a value tuple of these; another type is a <see cref="NotSupportedException"/>.
    /// </summary>
    public static TBatch Map<TBatch>(TBatch batch, Func<Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return (TBatch)MapObject(typeof(TBatch), batch, map);
    }

    private static object MapObject(Type type, object? value, Func<Tensor, Tensor> map) => value switch
    {
        Tensor t => map(t),
        Tensor[] a => a.Select(map).ToArray(),
        ITuple tuple when IsValueTuple(type) => Activator.CreateInstance(type,
            Enumerable.Range(0, tuple.Length).Select(k => MapObject(type.GetGenericArguments()[k], tuple[k], map)).ToArray())!,
        _ => throw new NotSupportedException($"Collate.Map: cannot move {Describe(value)} to a device; a loader moves tensors, arrays of tensors and " +
                                             "value tuples of them: leave its device unset and move your batch type yourself"),
    };

    private static bool IsValueTuple(Type type) =>
        type.IsValueType && type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal)
        && type.GetGenericArguments().Length < 8;   // eight or more nest a TRest tuple: not handled

    private static string Describe(object? value) => value switch
    {
        null => "null",
        Tensor t => $"a tensor {Format(t.Shape)}",
        _ => $"a {value.GetType().Name}",
    };

    private static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
