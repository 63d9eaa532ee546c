// PyTorch's TensorDataset: tensors that share their first dimension, item i being row i of each.
namespace DotGrad.Data;

/// <summary>
/// Wraps tensors with the same size along dim 0 (inputs and labels, say), as <c>torch.utils.data.TensorDataset</c>:
/// item <c>i</c> is <c>[t0[i], t1[i], ...]</c>, views of row <c>i</c> that share the tensors' storage. The default
/// collate stacks them back, so a batch is <c>[t0[idx], t1[idx], ...]</c>. The tensors stay the caller's: keep them
/// alive (and unchanged) while a loader reads them.
/// </summary>
public sealed class TensorDataset : IDataset<Tensor[]>
{
    private readonly Tensor[] _tensors;

    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset: expected at least one tensor, got none", nameof(tensors));
        for (int k = 0; k < tensors.Length; k++)
        {
            ArgumentNullException.ThrowIfNull(tensors[k], $"tensors[{k}]");
            if (tensors[k].Rank == 0)
                throw new ArgumentException($"TensorDataset: tensor {k} is 0-d; every tensor needs a first dimension to index", nameof(tensors));
            if (tensors[k].Size(0) != tensors[0].Size(0))
                throw new ArgumentException($"TensorDataset: the tensors must share their first dimension (size mismatch between tensors), " +
                                            $"got {tensors[0].Size(0)} for tensor 0 and {tensors[k].Size(0)} for tensor {k}", nameof(tensors));
        }
        _tensors = tensors;
    }

    public int Count => _tensors[0].Size(0);

    /// <summary>The tensors it wraps.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    public Tensor[] this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), $"TensorDataset: index {index} is outside the {Count} rows");
            var item = new Tensor[_tensors.Length];
            for (int k = 0; k < item.Length; k++) item[k] = _tensors[k][index];
            return item;
        }
    }
}
