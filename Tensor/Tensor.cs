// The user-facing tensor: a strided view (shape, strides, offset) over a device storage, with a dtype and a device.
using DotGrad.Backends;

namespace DotGrad;

/// <summary>
/// An n-dimensional array on a device. Views (reshape, transpose, slicing, expand, ...) share storage with the
/// tensor they come from; <see cref="Contiguous"/> copies when the layout needs it. Operations dispatch to the
/// backend of the tensor's <see cref="Device"/>. Disposing a tensor releases its hold on the storage at once
/// (the storage is freed when its last view is disposed); a <see cref="DisposeScope"/> does it for every tensor
/// created inside it, and the garbage collector is the safety net.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private int[] _strides;
    private int _disposed; // 0 alive, 1 disposed by Dispose(), 2 disposed by its scope; an int so Dispose can be atomic

    // The one constructor: every tensor (op results, views, casts, the library's temporaries) passes here, so this is
    // where the innermost dispose scope learns of it.
    internal Tensor(Storage storage, int[] shape, int[] strides, int offset, bool retain)
    {
        if (retain) storage.Retain();
        Storage = storage;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        DisposeScope.Current?.Track(this);
    }

    /// <summary>A fresh contiguous tensor of this shape, uninitialised.</summary>
    internal static Tensor Empty(int[] shape, DType dtype, Device device, bool zero = false)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"empty: sizes must be non-negative, got shape {ShapeMath.Format(shape)}", nameof(shape));
        var storage = Backends.Backend.For(device).Allocate(dtype, ShapeMath.Count(shape), zero);
        return new Tensor(storage, (int[])shape.Clone(), ShapeMath.ContiguousStrides(shape), 0, retain: false);
    }

    internal Storage Storage { get; private set; }

    /// <summary>The memory, or null once this handle is disposed (version checks skip what the engine reports otherwise).</summary>
    internal Storage? StorageOrNull => IsDisposed ? null : Storage;

    /// <summary>The size of each dimension (a copy; use <see cref="Size"/> in hot code).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Elements to skip to move one step along each dimension (a copy).</summary>
    public int[] Strides => (int[])_strides.Clone();

    /// <summary>Position of the first element in the storage, in elements.</summary>
    public int Offset { get; private set; }

    public DType DType => Storage.DType;
    public Device Device => Storage.Device;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (PyTorch's <c>numel()</c>).</summary>
    public int Count => ShapeMath.Count(_shape);

    /// <summary>The size of one dimension; negative dims count from the end.</summary>
    public int Size(int dim) => _shape[ShapeMath.NormalizeDim(dim, Rank, "size")];

    public bool IsContiguous => ShapeMath.IsContiguous(_shape, _strides);

    internal IBackend Backend => Backends.Backend.For(Device);

    /// <summary>The backend's view of this tensor.</summary>
    internal Strided Data
    {
        get
        {
            ThrowIfDisposed();
            return new Strided(Storage, _shape, _strides, Offset);
        }
    }

    /// <summary>
    /// Makes this tensor a view of <paramref name="source"/>'s data (same shape required): the tensor object keeps its
    /// identity and drops its old storage. The checked, public form is <c>SetData</c> (Autograd/Tensor.Autograd.cs).
    /// </summary>
    internal void ReplaceData(Tensor source)
    {
        ThrowIfDisposed();
        if (!_shape.AsSpan().SequenceEqual(source._shape))
            throw new ArgumentException($"set_data: the new data has shape {ShapeMath.Format(source._shape)}, the tensor {ShapeMath.Format(_shape)}");
        var old = Storage;
        source.Storage.Retain();
        Storage = source.Storage;
        _strides = (int[])source._strides.Clone();
        Offset = source.Offset;
        old.Release();
    }

    internal int[] ShapeRef => _shape;
    internal int[] StridesRef => _strides;

    /// <summary>
    /// Releases this tensor's hold on its storage and stops its dispose scope tracking it. Using the tensor afterwards
    /// throws <see cref="ObjectDisposedException"/>; disposing it again (or its scope disposing it later) is harmless.
    /// </summary>
    public void Dispose() => Release(1);

    /// <summary>Dispose on behalf of the tensor's scope, remembered so that a later use can say who disposed it.</summary>
    internal void DisposeFromScope() => Release(2);

    private void Release(int how)
    {
        // Atomic, so two threads disposing one tensor release its storage reference once.
        if (Interlocked.CompareExchange(ref _disposed, how, 0) != 0) return;
        OwningDisposeScope?.Forget(this);
        OwningDisposeScope = null;
        Storage.Release();
    }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Throws the error every use of a disposed tensor gives, naming what disposed it and how to keep one.</summary>
    internal void ThrowIfDisposed()
    {
        int how = Volatile.Read(ref _disposed);
        if (how == 0) return;
        var what = $"the tensor (shape {ShapeMath.Format(_shape)}, {Storage.DType}, {Storage.Device})";
        throw new ObjectDisposedException(nameof(Tensor), how == 2
            ? $"{what} was disposed when the DisposeScope it was created in ended; to use it after the scope, call " +
              "MoveToOuterDisposeScope() or DetachFromDisposeScope() on it (or Clone() it into the outer scope) before the scope ends"
            : $"{what} was disposed by Dispose(); it cannot be used afterwards");
    }

    /// <summary>A view with another layout over the same storage.</summary>
    internal Tensor AsStrided(int[] shape, int[] strides, int offset)
    {
        ThrowIfDisposed();
        return new Tensor(Storage, shape, strides, offset, retain: true);
    }

    /// <summary>A contiguous copy, not recorded in the graph.</summary>
    internal Tensor CopyRaw()
    {
        var y = Empty(_shape, DType, Device);
        using (Profiler.Op("copy", null, this))
            Backend.Copy(Data, y.Data);
        return y;
    }

    /// <summary>The same elements laid out contiguously: a view when they already are, else a copy (not recorded).</summary>
    internal Tensor ContiguousRaw() => IsContiguous ? AsStrided(_shape, _strides, Offset) : CopyRaw();

    /// <summary>The elements converted to another dtype: a view when it already matches, else a copy (not recorded).</summary>
    internal Tensor CastRaw(DType dtype)
    {
        if (dtype == DType) return AsStrided(_shape, _strides, Offset);
        var y = Empty(_shape, dtype, Device);
        using (Profiler.Op("cast", null, this))
            Backend.Copy(Data, y.Data);
        return y;
    }

    /// <summary>The elements copied to another device: a view when they are already there (not recorded).</summary>
    internal Tensor ToDeviceRaw(Device device)
    {
        if (device == Device) return AsStrided(_shape, _strides, Offset);
        var bytes = new byte[Count * DType.ElementSize()];
        ReadElements(bytes);
        var y = Empty(_shape, DType, device);
        y.Backend.Write(y.Storage, bytes);
        return y;
    }

    /// <summary>The elements in row-major order as a flat array; <typeparamref name="T"/> must match the dtype
    /// (float, double, int, BFloat16, Half, bool).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>("ToArray");
        var result = new T[Count];
        ReadElements(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Copies the elements, row-major, to host bytes (one copy on the device first when the layout needs it).</summary>
    private void ReadElements(Span<byte> destination)
    {
        using (var c = ContiguousRaw()) // a new handle (view or copy), released below so the storage's holders stay exact
        {
            if (c.Offset == 0)
            {
                c.Backend.Read(c.Storage, destination);
                return;
            }
            // Backends read from the start of a storage: read through the offset, keep the tail.
            var all = new byte[(c.Offset + c.Count) * DType.ElementSize()];
            c.Backend.Read(c.Storage, all);
            all.AsSpan(c.Offset * DType.ElementSize(), destination.Length).CopyTo(destination);
        }
    }

    /// <summary>The value of a one-element tensor (PyTorch's <c>item()</c>).</summary>
    public T Item<T>() where T : unmanaged
    {
        if (Count != 1) throw new InvalidOperationException($"Item: expected a tensor with one element, got shape {ShapeMath.Format(_shape)} ({Count} elements)");
        return ToArray<T>()[0];
    }

    /// <summary>The value of a one-element tensor as a double, whatever its dtype.</summary>
    public double Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item: expected a tensor with one element, got shape {ShapeMath.Format(_shape)} ({Count} elements)");
        using var d = CastRaw(DType.Float64);
        return d.ToArray<double>()[0];
    }

    private void CheckElementType<T>(string op) where T : unmanaged
    {
        var expected = DTypeExtensions.FromClrType(typeof(T))
            ?? throw new ArgumentException($"{op}: element type {typeof(T).Name} is not a tensor element type");
        if (expected != DType)
            throw new ArgumentException($"{op}<{typeof(T).Name}>: the tensor's dtype is {DType}; use {op}<{ClrName(DType)}>() or convert with .To(DType.{expected}) first");
    }

    internal static string ClrName(DType dtype) => dtype switch
    {
        DType.Float32 => "float",
        DType.Float64 => "double",
        DType.Int32 => "int",
        DType.Int64 => "long",
        DType.BFloat16 => "BFloat16",
        DType.Float16 => "Half",
        _ => "bool",
    };
}
