// The random draws behind every gradient-check sampler (see OpChecks): small shapes, broadcast partners, memory
// layouts and values away from kinks, all reproducible from a Generator's seed.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// Random draws for the samplers, reproducible from a <see cref="Generator"/>'s seed and offset: shapes with each
/// dim 1..3 and at most ~36 elements (full Jacobians stay cheap), layouts, and values in safe ranges.
/// </summary>
internal sealed partial class SampleDraw
{
    private const int MaxCount = 36;
    private readonly Random _rng;

    public SampleDraw(Generator g)
    {
        // Mix the seed and a fresh counter into a System.Random seed (both are deterministic across runs).
        ulong h = g.Seed * 0x9E3779B97F4A7C15UL + (g.Advance(1) + 1) * 0xBF58476D1CE4E5B9UL;
        h ^= h >> 31;
        h *= 0x94D049BB133111EBUL;
        h ^= h >> 29;
        _rng = new Random((int)(h & 0x7FFFFFFF));
    }

    public int[] Shape(int minRank = 0, int maxRank = 4, int minLast = 1, int minFirst = 1, bool firstIsOne = false)
    {
        int rank = _rng.Next(minRank, maxRank + 1);
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = _rng.Next(3) == 0 ? 1 : _rng.Next(1, 4); // size-1 dims are common
        if (rank > 0)
        {
            s[^1] = Math.Max(s[^1], minLast);
            s[0] = firstIsOne ? 1 : Math.Max(s[0], minFirst);
        }
        while (ShapeMath.Count(s) > MaxCount)
        {
            int d = _rng.Next(rank);
            bool pinned = (d == rank - 1 && s[d] <= minLast) || (d == 0 && s[d] <= minFirst);
            if (s[d] > 1 && !pinned) s[d]--;
        }
        return s;
    }

    /// <summary>A shape that broadcasts with <paramref name="shape"/>: leading dims dropped or added, some dims set to 1.</summary>
    public int[] Partner(int[] shape, bool mayGrow = true)
    {
        int drop = _rng.Next(shape.Length + 1);
        int[] lead = mayGrow && drop == 0 && _rng.Next(3) == 0 ? [_rng.Next(1, 3)] : [];
        var rest = shape.Skip(drop).Select(s => _rng.Next(3) == 0 ? 1 : s);
        var kept = rest.ToArray();
        var p = lead.Concat(kept).ToArray();
        // A leading dim may not push the partner past the size every sample keeps to (its Jacobians stay small).
        return ShapeMath.Count(p) > MaxCount ? kept : p;
    }

    public SampleLayout Layout(int rank) => rank == 0 ? SampleLayout.Contiguous : (SampleLayout)_rng.Next(3);

    private Tensor Make(int[] shape, Func<double> value)
    {
        var v = new double[ShapeMath.Count(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = value();
        return Tensor.FromArray(v, shape, Device.Cpu);
    }

    public Tensor Uniform(int[] shape, double lo, double hi) => Make(shape, () => lo + (hi - lo) * _rng.NextDouble());

    /// <summary>Values of magnitude in [lo, hi] with random signs (away from 0).</summary>
    public Tensor Magnitude(int[] shape, double lo, double hi) =>
        Make(shape, () => (_rng.Next(2) == 0 ? -1 : 1) * (lo + (hi - lo) * _rng.NextDouble()));

    /// <summary>Values in [lo, hi] at least <paramref name="margin"/> from every kink.</summary>
    public Tensor AwayFrom(int[] shape, double lo, double hi, double[] kinks, double margin) => Make(shape, () =>
    {
        while (true)
        {
            double v = lo + (hi - lo) * _rng.NextDouble();
            if (kinks.All(k => Math.Abs(v - k) >= margin)) return v;
        }
    });

    /// <summary>n values at least 0.2 apart (no ties within any finite-difference step), in random order.</summary>
    public double[] DistinctValues(int n)
    {
        var v = Enumerable.Range(0, n).Select(k => (k - n / 2.0) * 0.25 + 0.05 * _rng.NextDouble()).ToArray();
        _rng.Shuffle(v);
        return v;
    }

    public Tensor Distinct(int[] shape) => Tensor.FromArray(DistinctValues(ShapeMath.Count(shape)), shape, Device.Cpu);

    /// <summary>Values whose magnitudes are distinct and at least 0.2, with random signs.</summary>
    public Tensor DistinctMagnitude(int[] shape)
    {
        int n = ShapeMath.Count(shape);
        var v = Enumerable.Range(0, n).Select(k => (0.3 + 0.25 * k + 0.05 * _rng.NextDouble()) * (_rng.Next(2) == 0 ? -1 : 1)).ToArray();
        _rng.Shuffle(v);
        return Tensor.FromArray(v, shape, Device.Cpu);
    }

    public (Tensor, SampleLayout) In(Tensor values) => (values, Layout(values.Rank));

    public OpSample One(Tensor values, double eps = 1e-6) => new([In(values)], eps);

    public OpSample Unary(double lo, double hi, int minRank = 0, int maxRank = 4, int minLast = 1, int minFirst = 1, bool firstIsOne = false) =>
        One(Uniform(Shape(minRank, maxRank, minLast, minFirst, firstIsOne), lo, hi));

    private (int[] A, int[] B) BroadcastShapes()
    {
        var a = Shape();
        var b = Partner(a);
        return _rng.Next(2) == 0 ? (a, b) : (b, a);
    }

    public OpSample Pair(double aLo, double aHi, double bLo, double bHi)
    {
        var (a, b) = BroadcastShapes();
        return new([In(Uniform(a, aLo, aHi)), In(Uniform(b, bLo, bHi))]);
    }

    public OpSample PairDivisor()
    {
        var (a, b) = BroadcastShapes();
        return new([In(Uniform(a, -2, 2)), In(Magnitude(b, 0.3, 2))]);
    }

    /// <summary>Two inputs with no value of one close to any value of the other (no ties in maximum/minimum).</summary>
    public OpSample DistinctPair()
    {
        var (a, b) = BroadcastShapes();
        int na = ShapeMath.Count(a), nb = ShapeMath.Count(b);
        var v = DistinctValues(na + nb);
        return new([In(Tensor.FromArray(v[..na], a, Device.Cpu)), In(Tensor.FromArray(v[na..], b, Device.Cpu))]);
    }

    private Tensor Mask(int[] shape) =>
        Tensor.FromArray(Enumerable.Range(0, ShapeMath.Count(shape)).Select(_ => _rng.Next(2) == 0).ToArray(), shape, Device.Cpu);

    public OpSample WhereSample()
    {
        var s = Shape();
        return new([(Mask(Partner(s)), SampleLayout.Contiguous), In(Uniform(Partner(s), -2, 2)), In(Uniform(Partner(s), -2, 2))]);
    }

    public OpSample MaskedFillSample()
    {
        var s = Shape();
        return new([In(Uniform(s, -2, 2)), (Mask(Partner(s, mayGrow: false)), SampleLayout.Contiguous)]);
    }

    public OpSample MatMul(int[] aBatch, int[] bBatch, bool vectors)
    {
        int n = _rng.Next(1, 4), k = _rng.Next(1, 4), m = _rng.Next(1, 4);
        if (vectors) return new([In(Uniform([k], -1, 1)), In(Uniform([k], -1, 1))]);
        return new([In(Uniform([.. aBatch, n, k], -1, 1)), In(Uniform([.. bBatch, k, m], -1, 1))]);
    }

    public OpSample MatMulVector(bool vectorFirst)
    {
        int k = _rng.Next(1, 4), m = _rng.Next(1, 4);
        var v = Uniform([k], -1, 1);
        return vectorFirst ? new([In(v), In(Uniform([k, m], -1, 1))]) : new([In(Uniform([m, k], -1, 1)), In(v)]);
    }

    private Tensor Indices(int[] shape, int size) =>
        Tensor.FromArray(Enumerable.Range(0, ShapeMath.Count(shape)).Select(_ => _rng.Next(size)).ToArray(), shape, Device.Cpu);

    public OpSample IndexSelectSample(int dim)
    {
        var s = Shape(minRank: 1);
        int size = s[dim < 0 ? s.Length + dim : dim];
        return new([In(Uniform(s, -2, 2)), (Indices([_rng.Next(1, 5)], size), SampleLayout.Contiguous)]);
    }

    public OpSample GatherSample()
    {
        var s = Shape(minRank: 1, maxRank: 3);
        var idx = (int[])s.Clone();
        idx[^1] = _rng.Next(1, 5);
        return new([In(Uniform(s, -2, 2)), (Indices(idx, s[^1]), SampleLayout.Contiguous)]);
    }

    public OpSample ScatterAddSample()
    {
        var s = Shape(minRank: 1, maxRank: 3);
        var idx = (int[])s.Clone();
        idx[0] = _rng.Next(1, 5);
        return new([In(Uniform(s, -2, 2)), (Indices(idx, s[0]), SampleLayout.Contiguous), In(Uniform(idx, -2, 2))]);
    }

    public OpSample CatSample(int dim)
    {
        var s = Shape(minRank: 1, maxRank: 3);
        int pieces = _rng.Next(2, 4);
        var parts = new List<(Tensor, SampleLayout)>();
        for (int i = 0; i < pieces; i++)
        {
            var p = (int[])s.Clone();
            p[dim < 0 ? p.Length + dim : dim] = _rng.Next(1, 4);
            parts.Add(In(Uniform(p, -2, 2)));
        }
        return new(parts);
    }

    public OpSample StackSample()
    {
        var s = Shape(maxRank: 3);
        return new(Enumerable.Range(0, _rng.Next(2, 4)).Select(_ => In(Uniform(s, -2, 2))).ToList());
    }

    /// <summary>Logits [N, C] and Int32 labels [N]; with <paramref name="ignore"/> some labels are -100 (ignored), never all.</summary>
    public OpSample CrossEntropySample(bool ignore)
    {
        int n = _rng.Next(1, 4), c = _rng.Next(2, 5);
        var labels = Enumerable.Range(0, n).Select(i => ignore && i > 0 && _rng.Next(3) == 0 ? -100 : _rng.Next(c)).ToArray();
        return new([In(Uniform([n, c], -2, 2)), (Tensor.FromArray(labels, [n], Device.Cpu), SampleLayout.Contiguous)]);
    }

    /// <summary>
    /// x [..., D] with D &gt;= 2, a gain [D] near 1, and (for layer norm) a bias [D]; with <paramref name="dims"/> = 2,
    /// x [..., D1, D2] with a gain and bias [D1, D2] (normalised over both).
    /// </summary>
    public OpSample NormSample(bool withBias, int dims = 1)
    {
        var s = Shape(minRank: dims, maxRank: dims + 2, minLast: 2);
        var d = s[^dims..];
        var parts = new List<(Tensor, SampleLayout)> { In(Uniform(s, -2, 2)), In(Uniform(d, 0.5, 1.5)) };
        if (withBias) parts.Add(In(Uniform(d, -1, 1)));
        return new(parts);
    }

    /// <summary>x [..., in] of the given rank, a weight [out, in] and (with a bias) a bias [out], small sizes.</summary>
    public OpSample LinearSample(bool withBias, int rank)
    {
        int inF = _rng.Next(1, 4), outF = _rng.Next(1, 4);
        var xShape = Enumerable.Range(0, rank - 1).Select(_ => _rng.Next(1, 4)).Append(inF).ToArray();
        var parts = new List<(Tensor, SampleLayout)> { In(Uniform(xShape, -1, 1)), In(Uniform([outF, inF], -1, 1)) };
        if (withBias) parts.Add(In(Uniform([outF], -1, 1)));
        return new(parts);
    }

    public OpSample SameShapePair()
    {
        var s = Shape();
        return new([In(Uniform(s, -2, 2)), In(Uniform(s, -2, 2))]);
    }

    /// <summary>
    /// q [B, T, D], k [B, T, D], v [B, T, Dv] with small sizes; with <paramref name="heads"/>, q [B, H, Tq, D],
    /// k [B, H, Tk, D], v [B, H, Tk, Dv] with Tq and Tk drawn apart (so either may be the longer).
    /// </summary>
    public OpSample AttentionSample(bool heads = false)
    {
        int b = _rng.Next(1, 3), t = _rng.Next(1, 4), d = _rng.Next(1, 4), dv = _rng.Next(1, 3);
        if (!heads)
            return new([In(Uniform([b, t, d], -1, 1)), In(Uniform([b, t, d], -1, 1)), In(Uniform([b, t, dv], -1, 1))]);
        int h = _rng.Next(1, 3), tk = _rng.Next(1, 4);
        return new([In(Uniform([b, h, t, d], -1, 1)), In(Uniform([b, h, tk, d], -1, 1)), In(Uniform([b, h, tk, dv], -1, 1))]);
    }
}
