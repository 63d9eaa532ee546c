// The fused kernels written as compositions of IBackend primitives: what runs on a backend that does not implement
// IFusedKernels (the Reference backend, the oracle, never does), and the definition each fused kernel is tested against.
namespace DotGrad.Backends;

/// <summary>
/// <see cref="IFusedKernels"/> from the primitives of any <see cref="IBackend"/>: several passes and temporary buffers
/// where a fused kernel makes one, with the same math (and the same two-pass deviations for layer norm). Temporaries
/// come from the backend's allocator and go back to it before each method returns.
/// </summary>
public sealed class CompositeKernels(IBackend backend) : IFusedKernels
{
    /// <summary>The backend's own fused kernels when it has them, else their compositions over its primitives.</summary>
    public static IFusedKernels For(IBackend backend) => backend as IFusedKernels ?? new CompositeKernels(backend);

    /// <summary>y = exp(x - max) / sum(exp(x - max)) along the axis; log: y = (x - max) - log(sum(exp(x - max))).</summary>
    public void Softmax(Strided x, Strided y, int axis, bool log)
    {
        using var t = new Temporaries(backend, x.DType);
        var rows = Reduced(x.Shape, axis);                                   // x's shape with 1 on the axis
        var max = t.Buffer(rows);
        backend.Reduce<MaxOp>(x, max, [axis]);                               // an empty axis gives -inf, and y is empty
        backend.Binary<SubOp>(x, Spread(max, x.Shape), y);                  // y = x - max (x may be y: each element reads itself first)
        var e = log ? t.Buffer(x.Shape) : y;
        backend.Unary<ExpOp>(y, e);
        var sum = t.Buffer(rows);
        backend.Reduce<SumOp>(e, sum, [axis]);
        if (log)
        {
            backend.Unary<LogOp>(sum, sum);
            backend.Binary<SubOp>(y, Spread(sum, x.Shape), y);
        }
        else backend.Binary<DivOp>(y, Spread(sum, x.Shape), y);
    }

    /// <summary>
    /// Per row of x [..., C]: d = x - x[0], mean = x[0] + mean(d), xc = d - mean(d), rstd = 1 / sqrt(mean(xc^2) + eps),
    /// y = xc * rstd * weight + bias. y may be x: it is written last.
    /// </summary>
    public void LayerNorm(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps)
    {
        int C = x.Shape[^1];
        if (C == 0)
        {
            // No elements: the mean and variance are 0 / 0, as the fused kernels give them.
            backend.Fill(mean, double.NaN);
            backend.Fill(rstd, double.NaN);
            return;
        }
        using var t = new Temporaries(backend, x.DType);
        int last = x.Rank - 1;
        var keep = Reduced(x.Shape, last);                                  // [..., 1]
        var first = x.With(x.Shape, [.. x.Strides[..^1], 0], x.Offset);    // x[..., 0] repeated along the row
        var xc = t.Buffer(x.Shape);
        backend.Binary<SubOp>(x, first, xc);                                 // d = x - x[0]
        var shift = t.Buffer(keep);
        backend.Reduce<SumOp>(xc, shift, [last]);
        backend.Binary<MulOp>(shift, t.Scalar(1.0 / C, keep), shift);       // mean(d)   [..., 1]
        backend.Binary<AddOp>(first.With(mean.Shape, x.Strides[..^1], x.Offset), Rows(shift), mean);
        backend.Binary<SubOp>(xc, Spread(shift, x.Shape), xc);              // xc = d - mean(d)
        var square = t.Buffer(x.Shape);
        backend.Unary<SquareOp>(xc, square);
        var variance = t.Buffer(keep);
        backend.Reduce<SumOp>(square, variance, [last]);
        backend.Binary<MulOp>(variance, t.Scalar(1.0 / C, keep), variance);
        backend.Binary<AddOp>(variance, t.Scalar(eps, keep), variance);
        backend.Unary<RsqrtOp>(Rows(variance), rstd);                       // [...]
        backend.Binary<MulOp>(xc, PerRow(rstd, x.Shape), y);                // xhat
        if (weight is { } w) backend.Binary<MulOp>(y, Column(w, x.Shape), y);
        if (bias is { } b) backend.Binary<AddOp>(y, Column(b, x.Shape), y);
    }

    /// <summary>
    /// xhat = (x - mean) rstd, g = dy weight; dx = rstd (g - mean(g) - xhat mean(g xhat)) per row; dweight = sum(dy xhat)
    /// and dbias = sum(dy) over the rows.
    /// </summary>
    public void LayerNormBackward(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias)
    {
        using var t = new Temporaries(backend, x.DType);
        int C = x.Shape[^1], last = x.Rank - 1;
        var rowAxes = Enumerable.Range(0, last).ToArray();
        var xhat = t.Buffer(x.Shape);
        backend.Binary<SubOp>(x, PerRow(mean, x.Shape), xhat);
        backend.Binary<MulOp>(xhat, PerRow(rstd, x.Shape), xhat);
        if (dbias is { } db) backend.Reduce<SumOp>(dy, AsColumnSum(db, x.Rank), rowAxes);
        if (dweight is { } dw)
        {
            var product = t.Buffer(x.Shape);
            backend.Binary<MulOp>(dy, xhat, product);
            backend.Reduce<SumOp>(product, AsColumnSum(dw, x.Rank), rowAxes);
        }
        if (dx is not { } dX || C == 0) return;
        var keep = Reduced(x.Shape, last);
        var g = dy;
        if (weight is { } w)
        {
            g = t.Buffer(x.Shape);
            backend.Binary<MulOp>(dy, Column(w, x.Shape), g);
        }
        var meanG = t.Buffer(keep);
        backend.Reduce<SumOp>(g, meanG, [last]);
        backend.Binary<MulOp>(meanG, t.Scalar(1.0 / C, keep), meanG);
        var gx = t.Buffer(x.Shape);
        backend.Binary<MulOp>(g, xhat, gx);
        var meanGx = t.Buffer(keep);
        backend.Reduce<SumOp>(gx, meanGx, [last]);
        backend.Binary<MulOp>(meanGx, t.Scalar(1.0 / C, keep), meanGx);
        var sum = t.Buffer(x.Shape);                                         // g - mean(g) - xhat mean(g xhat)
        backend.Binary<SubOp>(g, Spread(meanG, x.Shape), sum);
        backend.Binary<MulOp>(xhat, Spread(meanGx, x.Shape), gx);
        backend.Binary<SubOp>(sum, gx, sum);
        backend.Binary<MulOp>(sum, PerRow(rstd, x.Shape), dX);
    }

    /// <summary>
    /// Attention as primitives: q, k, v copied to contiguous [N, T, D] batches (N the batch items), the scaled
    /// logits S [N, Tq, Tk] with -inf added above the diagonal when causal, a max-subtracted softmax, o = P v.
    /// </summary>
    public void Attention(Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal)
    {
        var (N, Tq, Tk, D, Dv) = AttentionSizes(q, k, v);
        if (N == 0 || Tq == 0) return;
        using var t = new Temporaries(backend, q.DType);
        var S = Scores(t, q, k, scale, causal);                             // [N, Tq, Tk]
        var max = t.Buffer([N, Tq, 1]);
        backend.Reduce<MaxOp>(S, max, [2]);                                  // no keys: -inf
        backend.Binary<SubOp>(S, Spread(max, S.Shape), S);
        backend.Unary<ExpOp>(S, S);
        var sum = t.Buffer([N, Tq, 1]);
        backend.Reduce<SumOp>(S, sum, [2]);
        backend.Binary<DivOp>(S, Spread(sum, S.Shape), S);                  // P
        backend.Unary<LogOp>(sum, sum);
        backend.Binary<AddOp>(max, sum, sum);                                // lse = max + log(sum)   [N, Tq, 1]
        Unpack(sum, lse);
        var O = t.Buffer([N, Tq, Dv]);
        backend.MatMul(S, Pack(t, v, N), O);                                 // [N, Tq, Tk] @ [N, Tk, Dv]; no keys gives 0
        Unpack(O, o);
    }

    /// <summary>
    /// The attention backward as primitives: P = exp(S - lse), dv = P^T dO, dP = dO v^T, dS = P (dP - rowsum(dO o)),
    /// dq = scale dS k, dk = scale dS^T q.
    /// </summary>
    public void AttentionBackward(Strided dO, Strided q, Strided k, Strided v, Strided o, Strided lse, double scale, bool causal,
                                  Strided dq, Strided dk, Strided dv)
    {
        var (N, Tq, Tk, D, Dv) = AttentionSizes(q, k, v);
        if (N == 0) return;
        if (Tq == 0 || Tk == 0)
        {
            // No queries: nothing reaches the keys and values. No keys: the output is 0 whatever q is.
            backend.Fill(dq, 0);
            backend.Fill(dk, 0);
            backend.Fill(dv, 0);
            return;
        }
        using var t = new Temporaries(backend, q.DType);
        var P = Scores(t, q, k, scale, causal);                             // [N, Tq, Tk]
        backend.Binary<SubOp>(P, Spread(Pack(t, lse, N, 1), P.Shape), P);
        backend.Unary<ExpOp>(P, P);                                          // masked: exp(-inf) = 0
        var dOc = Pack(t, dO, N);                                            // [N, Tq, Dv]
        var dV = t.Buffer([N, Tk, Dv]);
        backend.MatMul(Transposed(P), dOc, dV);                              // P^T dO
        Unpack(dV, dv);
        var dS = t.Buffer([N, Tq, Tk]);
        backend.MatMul(dOc, Transposed(Pack(t, v, N)), dS);                  // dP = dO v^T
        var product = t.Buffer([N, Tq, Dv]);
        backend.Binary<MulOp>(dOc, Pack(t, o, N), product);
        var rowDot = t.Buffer([N, Tq, 1]);
        backend.Reduce<SumOp>(product, rowDot, [2]);                         // Drow = rowsum(dO o)
        backend.Binary<SubOp>(dS, Spread(rowDot, dS.Shape), dS);
        backend.Binary<MulOp>(dS, P, dS);
        backend.Binary<MulOp>(dS, t.Scalar(scale, dS.Shape), dS);            // scale * dS
        var dQ = t.Buffer([N, Tq, D]);
        backend.MatMul(dS, Pack(t, k, N), dQ);
        Unpack(dQ, dq);
        var dK = t.Buffer([N, Tk, D]);
        backend.MatMul(Transposed(dS), Pack(t, q, N), dK);
        Unpack(dK, dk);
    }

    /// <summary>Batch items N, Tq, Tk, D and Dv of attention operands (the batch dims are q's, shared by all).</summary>
    private static (int N, int Tq, int Tk, int D, int Dv) AttentionSizes(Strided q, Strided k, Strided v) =>
        (ShapeMath.Count(q.Shape[..^2]), q.Shape[^2], k.Shape[^2], q.Shape[^1], v.Shape[^1]);

    /// <summary>S = q k^T * scale, with -inf added where key j &gt; query i when causal: [N, Tq, Tk].</summary>
    private Strided Scores(Temporaries t, Strided q, Strided k, double scale, bool causal)
    {
        var (N, Tq, Tk, _, _) = AttentionSizes(q, k, q);
        var S = t.Buffer([N, Tq, Tk]);
        backend.MatMul(Pack(t, q, N), Transposed(Pack(t, k, N)), S);         // [N, Tq, D] @ [N, D, Tk]
        backend.Binary<MulOp>(S, t.Scalar(scale, S.Shape), S);
        if (!causal) return S;
        var mask = t.Buffer([Tq, Tk]);                                       // 0 on and below the diagonal, -inf above
        backend.Fill(mask, 0);
        for (int i = 0; i < Tq && i + 1 < Tk; i++)
            backend.Fill(mask.With([Tk - i - 1], [1], i * Tk + i + 1), double.NegativeInfinity);
        backend.Binary<AddOp>(S, mask.With(S.Shape, [0, Tk, 1], 0), S);
        return S;
    }

    /// <summary>x [..., R, C] copied to a contiguous [N, R, C] (<paramref name="cols"/> overrides C for a [..., R] x).</summary>
    private Strided Pack(Temporaries t, Strided x, int N, int? cols = null)
    {
        var c = t.Buffer(x.Shape);
        backend.Copy(x, c);
        int C = cols ?? x.Shape[^1], R = cols is null ? x.Shape[^2] : x.Shape[^1];
        return c.With([N, R, C], [R * C, C, 1], 0);
    }

    /// <summary>A contiguous [N, R, C] buffer copied into <paramref name="y"/> of any shape with the same count and strides.</summary>
    private void Unpack(Strided buffer, Strided y) =>
        backend.Copy(buffer.With(y.Shape, ShapeMath.ContiguousStrides(y.Shape), buffer.Offset), y);

    /// <summary>A contiguous [N, R, C] seen as [N, C, R].</summary>
    private static Strided Transposed(Strided x) =>
        x.With([x.Shape[0], x.Shape[2], x.Shape[1]], [x.Strides[0], 1, x.Shape[2]], x.Offset);

    /// <summary>y = x W^T (one product with W read transposed through its strides), then y += b row by row.</summary>
    public void Linear(Strided x, Strided weight, Strided? bias, Strided y)
    {
        int M = x.Shape[0], K = x.Shape[1], N = weight.Shape[0];
        var a = x.With([1, M, K], [0, x.Strides[0], x.Strides[1]], x.Offset);                          // [1, M, K]
        var wt = weight.With([1, K, N], [0, weight.Strides[1], weight.Strides[0]], weight.Offset);     // [1, K, N]: W^T, a view
        backend.MatMul(a, wt, y.With([1, M, N], [0, y.Strides[0], y.Strides[1]], y.Offset));
        if (bias is { } b) backend.Binary<AddOp>(y, Column(b, y.Shape), y);
    }

    // ---- Training-step kernels: activation, softmax and cross-entropy backwards, optimizer updates ----

    /// <summary>dx = dy * f'(x) with f' written from primitives (from y for sigmoid and tanh); ReLU as a where.</summary>
    public void ActivationBackward(ActivationKind kind, Strided x, Strided dy, Strided dx)
    {
        using var t = new Temporaries(backend, x.DType);
        var shape = x.Shape;
        Strided S(double value) => t.Scalar(value, shape);
        if (kind == ActivationKind.Relu)
        {
            var positive = t.Buffer(shape, DType.Bool);
            backend.Compare<GtOp>(x, S(0), positive);
            backend.Where(positive, dy, S(0), dx);
            return;
        }
        var f = t.Buffer(shape);                                             // f'(x)
        var a = t.Buffer(shape);
        switch (kind)
        {
            case ActivationKind.Gelu:                                            // Phi(x) + x phi(x)
                backend.Binary<MulOp>(x, S(1 / Math.Sqrt(2)), f);
                backend.Unary<ErfOp>(f, f);
                backend.Binary<AddOp>(f, S(1), f);
                backend.Binary<MulOp>(f, S(0.5), f);
                backend.Unary<SquareOp>(x, a);
                backend.Binary<MulOp>(a, S(-0.5), a);
                backend.Unary<ExpOp>(a, a);
                backend.Binary<MulOp>(a, S(1 / Math.Sqrt(2 * Math.PI)), a);
                backend.Binary<MulOp>(x, a, a);
                backend.Binary<AddOp>(f, a, f);
                break;
            case ActivationKind.GeluTanh:                                        // s + x s (1 - s) 2u', s = sigmoid(2u)
                {
                    const double C = 0.7978845608028654, K = 0.044715;
                    var s = t.Buffer(shape);
                    backend.Unary<SquareOp>(x, a);
                    backend.Binary<MulOp>(a, x, s);
                    backend.Binary<MulOp>(s, S(K), s);
                    backend.Binary<AddOp>(x, s, s);
                    backend.Binary<MulOp>(s, S(2 * C), s);
                    backend.Unary<SigmoidOp>(s, s);
                    backend.Binary<MulOp>(a, S(3 * K), a);                   // 2u' = (3 K x^2 + 1) 2C
                    backend.Binary<AddOp>(a, S(1), a);
                    backend.Binary<MulOp>(a, S(2 * C), a);
                    backend.Binary<SubOp>(S(1), s, f);
                    backend.Binary<MulOp>(f, s, f);
                    backend.Binary<MulOp>(f, x, f);
                    backend.Binary<MulOp>(f, a, f);
                    backend.Binary<AddOp>(s, f, f);
                    break;
                }
            case ActivationKind.Silu:                                            // s (1 + x (1 - s))
                backend.Unary<SigmoidOp>(x, a);
                backend.Binary<SubOp>(S(1), a, f);
                backend.Binary<MulOp>(f, x, f);
                backend.Binary<AddOp>(f, S(1), f);
                backend.Binary<MulOp>(f, a, f);
                break;
            case ActivationKind.Sigmoid:                                         // y (1 - y)
                backend.Binary<SubOp>(S(1), x, f);
                backend.Binary<MulOp>(f, x, f);
                break;
            case ActivationKind.Tanh:                                            // 1 - y^2
                backend.Unary<SquareOp>(x, f);
                backend.Binary<SubOp>(S(1), f, f);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "activation_backward: unknown activation");
        }
        backend.Binary<MulOp>(dy, f, dx);
    }

    /// <summary>Softmax: dx = y (dy - sum(dy y)); log-softmax: dx = dy - exp(y) sum(dy); sums along the axis.</summary>
    public void SoftmaxBackward(Strided y, Strided dy, Strided dx, int axis, bool log)
    {
        using var t = new Temporaries(backend, y.DType);
        var sum = t.Buffer(Reduced(y.Shape, axis));
        if (log)
        {
            backend.Reduce<SumOp>(dy, sum, [axis]);
            backend.Unary<ExpOp>(y, dx);
            backend.Binary<MulOp>(dx, Spread(sum, y.Shape), dx);
            backend.Binary<SubOp>(dy, dx, dx);
            return;
        }
        backend.Binary<MulOp>(dy, y, dx);
        backend.Reduce<SumOp>(dx, sum, [axis]);
        backend.Binary<SubOp>(dy, Spread(sum, y.Shape), dx);
        backend.Binary<MulOp>(dx, y, dx);
    }

    /// <summary>
    /// log p = log_softmax(x); loss = (1 - eps)(-log p[label]) - (eps / C) sum(log p), then 0 on ignored rows (their
    /// labels are read as class 0 so the gather stays in range).
    /// </summary>
    public void CrossEntropy(Strided x, Strided labels, Strided loss, int ignoreIndex, double eps)
    {
        int M = x.Shape[0], C = x.Shape[1];
        if (M == 0) return;
        using var t = new Temporaries(backend, x.DType);
        using var ints = new Temporaries(backend, DType.Int32);
        var keep = t.Buffer([M], DType.Bool);
        backend.Compare<NeOp>(labels, ints.Scalar(ignoreIndex, [M]), keep);
        var safe = ints.Buffer([M]);
        backend.Where(keep, labels, ints.Scalar(0, [M]), safe);
        var logp = t.Buffer([M, C]);
        Softmax(x, logp, 1, log: true);
        var picked = t.Buffer([M, 1]);
        backend.Gather(logp, 1, safe.With([M, 1], [1, 1], 0), picked);
        var sum = t.Buffer([M, 1]);
        backend.Reduce<SumOp>(logp, sum, [1]);
        backend.Binary<MulOp>(picked, t.Scalar(-(1 - eps), [M, 1]), picked);
        backend.Binary<MulOp>(sum, t.Scalar(-eps / C, [M, 1]), sum);
        backend.Binary<AddOp>(picked, sum, picked);
        backend.Where(keep, Rows(picked), t.Scalar(0, [M]), loss);
    }

    /// <summary>dx = (softmax(x) - eps / C) rowWeight, then -(1 - eps) rowWeight scattered onto each row's label.</summary>
    public void CrossEntropyBackward(Strided x, Strided labels, Strided rowWeight, Strided dx, double eps)
    {
        int M = x.Shape[0], C = x.Shape[1];
        if (M == 0 || C == 0) return;
        using var t = new Temporaries(backend, x.DType);
        Softmax(x, dx, 1, log: false);
        backend.Binary<SubOp>(dx, t.Scalar(eps / C, [M, C]), dx);
        backend.Binary<MulOp>(dx, PerRow(rowWeight, [M, C]), dx);
        var onLabel = t.Buffer([M, 1]);
        backend.Binary<MulOp>(rowWeight.With([M, 1], [rowWeight.Strides[0], 0], rowWeight.Offset), t.Scalar(-(1 - eps), [M, 1]), onLabel);
        backend.ScatterAdd(dx, 1, labels.With([M, 1], [labels.Strides[0], 1], labels.Offset), onLabel);
    }

    /// <summary>Adam's update as the tensor ops of <c>Optim.Adam.Step</c> write it, op for op, into p, m, v (and maxV).</summary>
    public void AdamStep(Strided p, Strided g, Strided m, Strided v, Strided? maxV, double lr, double wd, bool decoupled,
                         double beta1, double beta2, double eps, double bias1, double bias2)
    {
        using var t = new Temporaries(backend, p.DType);
        var shape = p.Shape;
        Strided S(double value) => t.Scalar(value, shape);
        var w = p;
        if (wd != 0 && decoupled)
        {
            w = t.Buffer(shape);
            backend.Binary<MulOp>(p, S(1 - lr * wd), w);                     // p (1 - lr wd)
        }
        if (wd != 0 && !decoupled)
        {
            var decayed = t.Buffer(shape);
            backend.Binary<MulOp>(p, S(wd), decayed);
            backend.Binary<AddOp>(g, decayed, decayed);                     // g + p wd
            g = decayed;
        }
        var tmp = t.Buffer(shape);
        backend.Binary<MulOp>(m, S(beta1), m);
        backend.Binary<MulOp>(g, S(1 - beta1), tmp);
        backend.Binary<AddOp>(m, tmp, m);
        backend.Binary<MulOp>(v, S(beta2), v);
        backend.Unary<SquareOp>(g, tmp);
        backend.Binary<MulOp>(tmp, S(1 - beta2), tmp);
        backend.Binary<AddOp>(v, tmp, v);
        var vUsed = v;
        if (maxV is { } mv)
        {
            backend.Binary<MaximumOp>(mv, v, mv);
            vUsed = mv;
        }
        backend.Unary<SqrtOp>(vUsed, tmp);                                   // denom = sqrt(v) / sqrt(bias2) + eps
        backend.Binary<DivOp>(tmp, S(Math.Sqrt(bias2)), tmp);
        backend.Binary<AddOp>(tmp, S(eps), tmp);
        backend.Binary<DivOp>(m, tmp, tmp);
        backend.Binary<MulOp>(tmp, S(lr / bias1), tmp);
        backend.Binary<SubOp>(w, tmp, p);
    }

    /// <summary>SGD's update as the tensor ops of <c>Optim.Sgd</c> write it, op for op, into p (and buf).</summary>
    public void SgdStep(Strided p, Strided g, Strided? buf, double lr, double wd, double momentum, double dampening, bool nesterov, bool firstStep)
    {
        using var t = new Temporaries(backend, p.DType);
        var shape = p.Shape;
        Strided S(double value) => t.Scalar(value, shape);
        var tmp = t.Buffer(shape);
        if (wd != 0)
        {
            var decayed = t.Buffer(shape);
            backend.Binary<MulOp>(p, S(wd), decayed);
            backend.Binary<AddOp>(g, decayed, decayed);                     // g + p wd
            g = decayed;
        }
        var d = g;
        if (buf is { } b)
        {
            if (firstStep) backend.Copy(g, b);
            else
            {
                backend.Binary<MulOp>(b, S(momentum), b);
                backend.Binary<MulOp>(g, S(1 - dampening), tmp);
                backend.Binary<AddOp>(b, tmp, b);                            // mu b + (1 - dampening) g
            }
            d = b;
            if (nesterov)
            {
                backend.Binary<MulOp>(b, S(momentum), tmp);
                backend.Binary<AddOp>(g, tmp, tmp);                          // g + mu b
                d = tmp;
            }
        }
        backend.Binary<MulOp>(d, S(lr), tmp);
        backend.Binary<SubOp>(p, tmp, p);
    }

    /// <summary>The shape with size 1 on the axis.</summary>
    private static int[] Reduced(int[] shape, int axis)
    {
        var r = (int[])shape.Clone();
        r[axis] = 1;
        return r;
    }

    /// <summary>A keepdim-shaped buffer (x's rank, size 1 on the reduced axis) seen with x's <paramref name="shape"/> (stride 0 there).</summary>
    private static Strided Spread(Strided v, int[] shape) =>
        v.With(shape, shape.Select((n, d) => v.Shape[d] == 1 && n != 1 ? 0 : v.Strides[d]).ToArray(), v.Offset);

    /// <summary>A rows-shaped buffer [...] (one value per row) seen with x's <paramref name="shape"/> [..., C].</summary>
    private static Strided PerRow(Strided v, int[] shape) => v.With(shape, [.. v.Strides, 0], v.Offset);

    /// <summary>A [..., 1] buffer seen as [...] (the rows' shape).</summary>
    private static Strided Rows(Strided keep) => keep.With(keep.Shape[..^1], keep.Strides[..^1], keep.Offset);

    /// <summary>A [C] vector repeated over every row of <paramref name="shape"/> [..., C].</summary>
    private static Strided Column(Strided v, int[] shape) =>
        v.With(shape, [.. new int[shape.Length - 1], v.Strides[0]], v.Offset);

    /// <summary>A [C] output seen as [1, ..., 1, C], the keepdim shape of a sum over every row axis.</summary>
    private static Strided AsColumnSum(Strided v, int rank) =>
        v.With([.. Enumerable.Repeat(1, rank - 1), v.Shape[0]], [.. new int[rank - 1], v.Strides[0]], v.Offset);

    /// <summary>Contiguous scratch buffers and broadcast scalars of one dtype, released together.</summary>
    private sealed class Temporaries(IBackend backend, DType dtype) : IDisposable
    {
        private readonly List<Storage> _held = [];

        public Strided Buffer(int[] shape) => Buffer(shape, dtype);

        /// <summary>A buffer of another dtype (a Bool mask, Int32 indices) released with the others.</summary>
        public Strided Buffer(int[] shape, DType type)
        {
            var storage = backend.Allocate(type, ShapeMath.Count(shape));
            _held.Add(storage);
            return new Strided(storage, shape, ShapeMath.ContiguousStrides(shape), 0);
        }

        /// <summary>One value seen with <paramref name="shape"/> (every stride 0).</summary>
        public Strided Scalar(double value, int[] shape)
        {
            var one = Buffer([1]);
            backend.Fill(one, value);
            return one.With(shape, new int[shape.Length], 0);
        }

        public void Dispose()
        {
            foreach (var s in _held) s.Release();
        }
    }
}
