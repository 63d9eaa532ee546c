// The optimizers' per-parameter updates in one pass: read p, g and the state once, write p and the state in place.
// The tensor-op form (CompositeKernels.AdamStep / SgdStep) makes ten or so full-size passes and temporaries.
// Each element goes through the same products and sums, rounded in the same order, so the results are equal.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace DotGrad.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void AdamStep(Strided p, Strided g, Strided m, Strided v, Strided? maxV, double lr, double wd, bool decoupled,
                         double beta1, double beta2, double eps, double bias1, double bias2)
    {
        const string op = "adam_step";
        CheckStepOperands(op, p, g, m, v, maxV);
        if (!(p.IsContiguous && g.IsContiguous && m.IsContiguous && v.IsContiguous && maxV?.IsContiguous != false))
        {
            new CompositeKernels(this).AdamStep(p, g, m, v, maxV, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2);
            return;
        }
        switch (p.DType)
        {
            case DType.Float32: AdamStep<float>(p, g, m, v, maxV, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2); break;
            case DType.Float64: AdamStep<double>(p, g, m, v, maxV, lr, wd, decoupled, beta1, beta2, eps, bias1, bias2); break;
            default: throw Unsupported(op, p.DType);
        }
    }

    public void SgdStep(Strided p, Strided g, Strided? buf, double lr, double wd, double momentum, double dampening, bool nesterov, bool firstStep)
    {
        const string op = "sgd_step";
        CheckStepOperands(op, p, g, buf);
        if (!(p.IsContiguous && g.IsContiguous && buf?.IsContiguous != false))
        {
            new CompositeKernels(this).SgdStep(p, g, buf, lr, wd, momentum, dampening, nesterov, firstStep);
            return;
        }
        switch (p.DType)
        {
            case DType.Float32: SgdStep<float>(p, g, buf, lr, wd, momentum, dampening, nesterov, firstStep); break;
            case DType.Float64: SgdStep<double>(p, g, buf, lr, wd, momentum, dampening, nesterov, firstStep); break;
            default: throw Unsupported(op, p.DType);
        }
    }

    private static void CheckStepOperands(string op, Strided p, params Strided?[] others)
    {
        foreach (var t in others)
            if (t is { } s && (s.DType != p.DType || !s.Shape.SequenceEqual(p.Shape)))
                throw new ArgumentException($"{op}: expected every operand with the parameter's shape and dtype {p}, got {s}");
    }

    /// <summary>Address of a contiguous view's first element (0 for a missing operand).</summary>
    private static nint At<T>(Strided? s) where T : unmanaged =>
        s is { } v ? (nint)((T*)((HostStorage)v.Storage).Pointer + v.Offset) : 0;

    /// <summary>Runs body(start, end) over element ranges covering [0, count), in parallel when the work is large.</summary>
    private static void ElementChunks(int count, long costPerElement, Action<int, int> body)
    {
        int chunks = ChunkCount(count * costPerElement, count);
        if (chunks <= 1) body(0, count);
        else ParallelFor(chunks, c => body((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks)));
    }

    private static void AdamStep<T>(Strided p, Strided g, Strided m, Strided v, Strided? maxV, double lr, double wd, bool decoupled,
                                    double beta1, double beta2, double eps, double bias1, double bias2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Every constant is rounded to T once, as the tensor ops' scalar operands are.
        var c = new AdamConstants<T>
        {
            Decay = T.CreateChecked(1 - lr * wd), Wd = T.CreateChecked(wd), B1 = T.CreateChecked(beta1), B1c = T.CreateChecked(1 - beta1),
            B2 = T.CreateChecked(beta2), B2c = T.CreateChecked(1 - beta2), SqrtBias2 = T.CreateChecked(Math.Sqrt(bias2)),
            Eps = T.CreateChecked(eps), StepSize = T.CreateChecked(lr / bias1),
            Decoupled = wd != 0 && decoupled, Coupled = wd != 0 && !decoupled,
        };
        nint pAt = At<T>(p), gAt = At<T>(g), mAt = At<T>(m), vAt = At<T>(v), maxAt = At<T>(maxV);
        ElementChunks(p.Count, 10, (start, end) => AdamRun((T*)pAt, (T*)gAt, (T*)mAt, (T*)vAt, (T*)maxAt, start, end, c));
    }

    private struct AdamConstants<T> where T : unmanaged
    {
        public T Decay, Wd, B1, B1c, B2, B2c, SqrtBias2, Eps, StepSize;
        public bool Decoupled, Coupled;
    }

    /// <summary>
    /// Elements [start, end): 256-bit vectors (the update is bound by memory traffic, so wider ones gain little),
    /// then a scalar tail with the same arithmetic.
    /// </summary>
    private static void AdamRun<T>(T* p, T* g, T* m, T* v, T* maxV, int start, int end, AdamConstants<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var decay = Vector256.Create(c.Decay); var wd = Vector256.Create(c.Wd);
            var b1 = Vector256.Create(c.B1); var b1c = Vector256.Create(c.B1c);
            var b2 = Vector256.Create(c.B2); var b2c = Vector256.Create(c.B2c);
            var sqrtBias2 = Vector256.Create(c.SqrtBias2); var eps = Vector256.Create(c.Eps); var stepSize = Vector256.Create(c.StepSize);
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var pi = Vector256.Load(p + i);
                var gi = Vector256.Load(g + i);
                var w = c.Decoupled ? pi * decay : pi;
                if (c.Coupled) gi += pi * wd;
                var mi = Vector256.Load(m + i) * b1 + gi * b1c;
                var vi = Vector256.Load(v + i) * b2 + gi * gi * b2c;
                mi.Store(m + i);
                vi.Store(v + i);
                if (maxV != null)
                {
                    vi = Vector256.Max(Vector256.Load(maxV + i), vi);
                    vi.Store(maxV + i);
                }
                (w - mi / (Vector256.Sqrt(vi) / sqrtBias2 + eps) * stepSize).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            T pi = p[i], gi = g[i];
            T w = c.Decoupled ? pi * c.Decay : pi;
            if (c.Coupled) gi += pi * c.Wd;
            T mi = m[i] * c.B1 + gi * c.B1c;
            T vi = v[i] * c.B2 + gi * gi * c.B2c;
            m[i] = mi;
            v[i] = vi;
            if (maxV != null) maxV[i] = vi = T.Max(maxV[i], vi);
            p[i] = w - mi / (T.Sqrt(vi) / c.SqrtBias2 + c.Eps) * c.StepSize;
        }
    }

    private static void SgdStep<T>(Strided p, Strided g, Strided? buf, double lr, double wd, double momentum, double dampening,
                                   bool nesterov, bool firstStep) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = new SgdConstants<T>
        {
            Lr = T.CreateChecked(lr), Wd = T.CreateChecked(wd), Mu = T.CreateChecked(momentum), Damp = T.CreateChecked(1 - dampening),
            Decay = wd != 0, Nesterov = nesterov, First = firstStep,
        };
        nint pAt = At<T>(p), gAt = At<T>(g), bAt = At<T>(buf);
        ElementChunks(p.Count, 4, (start, end) => SgdRun((T*)pAt, (T*)gAt, (T*)bAt, start, end, c));
    }

    private struct SgdConstants<T> where T : unmanaged
    {
        public T Lr, Wd, Mu, Damp;
        public bool Decay, Nesterov, First;
    }

    private static void SgdRun<T>(T* p, T* g, T* buf, int start, int end, SgdConstants<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var lr = Vector256.Create(c.Lr); var wd = Vector256.Create(c.Wd); var mu = Vector256.Create(c.Mu); var damp = Vector256.Create(c.Damp);
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var pi = Vector256.Load(p + i);
                var gi = Vector256.Load(g + i);
                if (c.Decay) gi += pi * wd;
                var d = gi;
                if (buf != null)
                {
                    var b = c.First ? gi : Vector256.Load(buf + i) * mu + gi * damp;
                    b.Store(buf + i);
                    d = c.Nesterov ? gi + b * mu : b;
                }
                (pi - d * lr).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            T pi = p[i], gi = g[i];
            if (c.Decay) gi += pi * c.Wd;
            T d = gi;
            if (buf != null)
            {
                T b = c.First ? gi : buf[i] * c.Mu + gi * c.Damp;
                buf[i] = b;
                d = c.Nesterov ? gi + b * c.Mu : b;
            }
            p[i] = pi - d * c.Lr;
        }
    }
}
