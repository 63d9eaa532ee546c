// Shared machinery of the backend conformance suite: the list of backends under test, host-side operands with
// chosen layouts, and a runner that applies one op on a backend and on the Reference oracle and compares.
using DotGrad.Backends;
using DotGrad.Backends.Reference;

namespace DotGrad.Tests.Backends;

/// <summary>The devices the conformance suite runs against. Reference is the oracle, so it is not listed.</summary>
public static class BackendFixtures
{
    /// <summary>Every device kind the library has. An absent one (no OpenCL runtime) gives a fixture whose tests are skipped with the reason.</summary>
    public static IReadOnlyList<Device> Devices { get; } = [Device.Cpu, Device.OpenCL(0)];

    /// <summary>One fixture per device, named after it.</summary>
    public static IEnumerable<TestFixtureData> FixtureData =>
        Devices.Select(d => new TestFixtureData(d).SetArgDisplayNames(d.ToString()));

    /// <summary>The device's backend, or an ignored test (never a silent pass) saying why the device is absent.</summary>
    public static IBackend Require(Device device)
    {
        TestDevices.Require(device);
        return Backend.For(device);
    }
}

/// <summary>How an operand's view sits in its storage.</summary>
public enum Layout
{
    /// <summary>Row-major without gaps.</summary>
    Contiguous,
    /// <summary>Column-major: every dim's order reversed in memory, as after a transpose (strides swapped).</summary>
    Transposed,
    /// <summary>A slice with an offset, a gap before each dim and step 2 on the last dim.</summary>
    Sliced,
    /// <summary>Dim 0 has stride 0 (a row repeated: a broadcast along the outer dim). Inputs only.</summary>
    BroadcastOuter,
    /// <summary>The last dim has stride 0 (a column repeated: the inner runs are one value). Inputs only.</summary>
    BroadcastInner,
    /// <summary>Every stride 0: one value everywhere. Inputs only.</summary>
    Scalar,
}

/// <summary>Allowed difference between the backend's and the reference's values: |a - e| &lt;= Abs + Rel * |e|.</summary>
public readonly record struct Tol(double Rel, double Abs)
{
    /// <summary>Same bits (after decoding to double; NaN matches NaN, -0 does not match +0).</summary>
    public static Tol Exact => new(0, 0);
    public static Tol Float32 => new(1e-5, 1e-6);
    public static Tol Float64 => new(1e-12, 1e-13);
    public static Tol For(DType dtype) => dtype switch
    {
        DType.Float32 => Float32,
        DType.Float64 => Float64,
        _ => Exact,
    };
    public bool IsExact => Rel == 0 && Abs == 0;
}

/// <summary>
/// An operand described on the host: the values of its whole storage (gaps included, so stray writes show) and
/// a view (shape, strides, offset). <see cref="On"/> makes it real on any backend through Allocate and Write.
/// </summary>
public sealed class HostTensor
{
    private HostTensor(DType dtype, double[] storage, int[] shape, int[] strides, int offset)
    {
        DType = dtype;
        Storage = storage;
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    public DType DType { get; }
    public double[] Storage { get; }
    public int[] Shape { get; }
    public int[] Strides { get; }
    public int Offset { get; }
    public int Count => ShapeMath.Count(Shape);

    /// <summary>A view of <paramref name="shape"/> in <paramref name="layout"/>; every storage element comes from <paramref name="value"/>.</summary>
    public static HostTensor Make(DType dtype, int[] shape, Layout layout, Func<double> value)
    {
        int rank = shape.Length;
        int[] strides, storageShape;
        int offset = 0;
        switch (rank == 0 ? Layout.Contiguous : layout)
        {
            case Layout.Contiguous:
                storageShape = shape;
                strides = ShapeMath.ContiguousStrides(shape);
                break;
            case Layout.Transposed:
                storageShape = shape;
                strides = new int[rank];
                for (int d = 0, s = 1; d < rank; d++) { strides[d] = s; s *= Math.Max(shape[d], 1); }
                break;
            case Layout.Sliced:
                storageShape = shape.Select((n, d) => d == rank - 1 ? 2 * n + 1 : n + 1).ToArray();
                strides = ShapeMath.ContiguousStrides(storageShape);
                for (int d = 0; d < rank; d++) offset += strides[d]; // start at 1 in every dim
                strides[rank - 1] *= 2;
                break;
            case Layout.BroadcastOuter:
                storageShape = shape[1..];
                strides = [0, .. ShapeMath.ContiguousStrides(storageShape)];
                break;
            case Layout.BroadcastInner:
                storageShape = shape[..^1];
                strides = [.. ShapeMath.ContiguousStrides(storageShape), 0];
                break;
            default:
                storageShape = [];
                strides = new int[rank];
                break;
        }
        int length = ShapeMath.Count(storageShape);
        if (shape.Contains(0) && layout is Layout.Sliced) length = Math.Max(length, offset + 1);
        var data = new double[length];
        for (int i = 0; i < length; i++) data[i] = value();
        return new HostTensor(dtype, data, shape, strides, offset);
    }

    /// <summary>A contiguous 1-D tensor holding exactly <paramref name="values"/>.</summary>
    public static HostTensor FromValues(DType dtype, params double[] values) =>
        new(dtype, values, [values.Length], [1], 0);

    /// <summary>A tensor with explicit storage values and view.</summary>
    public static HostTensor FromStorage(DType dtype, double[] storage, int[] shape, int[] strides, int offset) =>
        new(dtype, storage, shape, strides, offset);

    /// <summary>The storage allocated on <paramref name="backend"/> and filled with the values (converted to the dtype).</summary>
    public Strided On(IBackend backend)
    {
        var storage = backend.Allocate(DType, Storage.Length);
        backend.Write(storage, Encode(DType, Storage));
        return new Strided(storage, Shape, Strides, Offset);
    }

    /// <summary>Element bytes of <paramref name="values"/> in a dtype, converted exactly as HostAccess.Set converts.</summary>
    public static byte[] Encode(DType dtype, double[] values)
    {
        var s = (HostStorage)ReferenceBackend.Instance.Allocate(dtype, values.Length);
        try
        {
            for (int i = 0; i < values.Length; i++) HostAccess.Set(s, i, values[i]);
            return s.AsBytes().ToArray();
        }
        finally
        {
            s.Release();
        }
    }

    /// <summary>A backend storage's elements, read back and widened to double.</summary>
    public static double[] ReadBack(IBackend backend, Storage storage)
    {
        var bytes = new byte[storage.Bytes];
        backend.Read(storage, bytes);
        var s = (HostStorage)ReferenceBackend.Instance.Allocate(storage.DType, storage.Length);
        try
        {
            bytes.CopyTo(s.AsBytes());
            var values = new double[storage.Length];
            for (int i = 0; i < values.Length; i++) values[i] = HostAccess.Get(s, i);
            return values;
        }
        finally
        {
            s.Release();
        }
    }

    public override string ToString() =>
        $"{DType}{ShapeMath.Format(Shape)} strides {ShapeMath.Format(Strides)} offset {Offset}";
}

/// <summary>Runs an op on a backend and on the reference with identical operands and compares every operand afterwards.</summary>
public static class Conformance
{
    /// <summary>
    /// Applies <paramref name="op"/> to fresh copies of <paramref name="operands"/> on both backends and asserts that
    /// every operand's whole storage agrees afterwards: outputs within <paramref name="tol"/>, inputs and the gaps of
    /// strided outputs unchanged. Operands not written by the op compare exactly. When the op throws, both must throw
    /// the same exception type and message, and only the inputs are compared.
    /// </summary>
    public static void Check(IBackend backend, string what, Tol tol, HostTensor[] operands, Action<IBackend, Strided[]> op, params int[] outputs)
    {
        var expected = Apply(ReferenceBackend.Instance, operands, op, out var refError);
        var actual = Apply(backend, operands, op, out var error);
        if (refError is not null || error is not null)
        {
            Assert.That(error?.GetType(), Is.EqualTo(refError?.GetType()), $"{what}: exception type ({error?.Message} vs reference {refError?.Message})");
            Assert.That(error?.Message, Is.EqualTo(refError?.Message), $"{what}: exception message");
        }
        for (int k = 0; k < operands.Length; k++)
        {
            // After an exception the outputs hold whatever was written before it, which the contract leaves open.
            if (refError is not null && outputs.Contains(k)) continue;
            var t = outputs.Contains(k) ? tol : Tol.Exact;
            AssertClose(expected[k], actual[k], t, $"{what}, operand {k} ({operands[k]})");
        }
    }

    /// <summary>Runs the op on a backend and returns every operand's storage values; an exception is returned, not thrown.</summary>
    public static double[][] Apply(IBackend backend, HostTensor[] operands, Action<IBackend, Strided[]> op, out Exception? error)
    {
        var views = operands.Select(t => t.On(backend)).ToArray();
        error = null;
        try
        {
            op(backend, views);
            // Devices with queues report kernel errors (a bad index) when they synchronise.
            backend.Synchronize();
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            error = e;
        }
        var values = views.Select(v => HostTensor.ReadBack(backend, v.Storage)).ToArray();
        foreach (var v in views) v.Storage.Release();
        return values;
    }

    public static void AssertClose(double[] expected, double[] actual, Tol tol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!Agrees(e, a, tol))
                Assert.Fail($"{what}: storage element {i} is {a:R}, the reference gives {e:R} (tolerance rel {tol.Rel}, abs {tol.Abs})");
        }
    }

    public static bool Agrees(double e, double a, Tol tol)
    {
        if (double.IsNaN(e) || double.IsNaN(a)) return double.IsNaN(e) && double.IsNaN(a);
        if (tol.IsExact || double.IsInfinity(e) || double.IsInfinity(a))
            return BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a);
        return Math.Abs(a - e) <= tol.Abs + tol.Rel * Math.Abs(e);
    }
}
