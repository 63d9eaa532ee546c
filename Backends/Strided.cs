// The backends' view of a tensor: a storage plus shape, strides (in elements) and an element offset.
namespace DotGrad.Backends;

/// <summary>
/// A strided view over a storage: element <c>(i0, i1, ...)</c> lives at
/// <c>Offset + i0*Strides[0] + i1*Strides[1] + ...</c>. A stride of 0 repeats an element (broadcasting).
/// Backends read and write through this and know nothing of tensors or autograd.
/// </summary>
public readonly struct Strided
{
    public Strided(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    public Storage Storage { get; }
    public int[] Shape { get; }
    public int[] Strides { get; }
    public int Offset { get; }
    public DType DType => Storage.DType;
    public int Rank => Shape.Length;
    public int Count => ShapeMath.Count(Shape);

    /// <summary>True when the elements are laid out row-major without gaps from <see cref="Offset"/>.</summary>
    public bool IsContiguous => ShapeMath.IsContiguous(Shape, Strides);

    /// <summary>The same storage seen with another shape and strides (used by kernels to merge dims).</summary>
    public Strided With(int[] shape, int[] strides, int offset) => new(Storage, shape, strides, offset);

    public override string ToString() => $"Strided({Storage.DType}, shape=[{string.Join(", ", Shape)}], strides=[{string.Join(", ", Strides)}], offset={Offset})";
}
