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

    /// <summary>y = x W^T (one product with W read transposed through its strides), then y += b row by row.</summary>
    public void Linear(Strided x, Strided weight, Strided? bias, Strided y)
    {
        int M = x.Shape[0], K = x.Shape[1], N = weight.Shape[0];
        var a = x.With([1, M, K], [0, x.Strides[0], x.Strides[1]], x.Offset);                          // [1, M, K]
        var wt = weight.With([1, K, N], [0, weight.Strides[1], weight.Strides[0]], weight.Offset);     // [1, K, N]: W^T, a view
        backend.MatMul(a, wt, y.With([1, M, N], [0, y.Strides[0], y.Strides[1]], y.Offset));
        if (bias is { } b) backend.Binary<AddOp>(y, Column(b, y.Shape), y);
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

        public Strided Buffer(int[] shape)
        {
            var storage = backend.Allocate(dtype, ShapeMath.Count(shape));
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
