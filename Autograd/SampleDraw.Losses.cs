// Samplers for the losses beyond plain cross entropy (see Functional.Losses*.cs): class weights, probability targets,
// binary targets, regression pairs away from their kinks, KL targets and embedding tables.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

internal sealed partial class SampleDraw
{
    /// <summary>
    /// Logits (or log-probabilities) [N, C] (with <paramref name="spatial"/>, [N, C, d]), Int32 labels [N] ([N, d]) and a
    /// weight [C] in [0.3, 1.5]. With <paramref name="ignore"/> some labels are -100 (ignored), never the first.
    /// </summary>
    public OpSample WeightedClassSample(bool ignore, bool spatial)
    {
        int n = _rng.Next(1, 4), c = _rng.Next(2, 5);
        int[] labelShape = spatial ? [n, _rng.Next(1, 4)] : [n];
        int[] inputShape = spatial ? [n, c, labelShape[1]] : [n, c];
        var labels = Enumerable.Range(0, ShapeMath.Count(labelShape))
            .Select(i => ignore && i > 0 && _rng.Next(3) == 0 ? -100 : _rng.Next(c)).ToArray();
        return new([In(Uniform(inputShape, -2, 2)), (Tensor.FromArray(labels, labelShape, Device.Cpu), SampleLayout.Contiguous),
                    In(Uniform([c], 0.3, 1.5))]);
    }

    /// <summary>Logits of rank 1 to 3 (classes on dim 1, or dim 0 for rank 1), class probabilities of their shape, and (optionally) a weight [C].</summary>
    public OpSample ClassProbabilitySample(bool withWeight)
    {
        var s = Shape(minRank: 1, maxRank: 3);
        int classDim = s.Length == 1 ? 0 : 1;
        s[classDim] = Math.Max(s[classDim], 2);
        var parts = new List<(Tensor, SampleLayout)> { In(Uniform(s, -2, 2)), In(Uniform(s, 0, 1)) };
        if (withWeight) parts.Add(In(Uniform([s[classDim]], 0.3, 1.5)));
        return new(parts);
    }

    /// <summary>
    /// An input (probabilities in [0.05, 0.95], or logits in [-3, 3]), soft targets in [0, 1] of its shape, then
    /// optionally a weight broadcasting to it and a pos_weight over its last dim (both in [0.3, 2]).
    /// </summary>
    public OpSample BinarySample(bool logits, bool withWeight, bool withPosWeight)
    {
        var s = Shape();
        var parts = new List<(Tensor, SampleLayout)>
        {
            In(logits ? Uniform(s, -3, 3) : Uniform(s, 0.05, 0.95)),
            In(Uniform(s, 0, 1)),
        };
        if (withWeight) parts.Add(In(Uniform(Partner(s, mayGrow: false), 0.3, 2)));
        if (withPosWeight) parts.Add(In(Uniform(s.Length == 0 ? [] : [s[^1]], 0.3, 2)));
        return new(parts);
    }

    /// <summary>
    /// An input and a target of one shape whose difference stays at least 0.1 from every kink in
    /// <paramref name="kinks"/> (0 and +-delta for Huber): x in [-2, 2], target = x - d.
    /// </summary>
    public OpSample DifferencePair(double[] kinks, double range = 3)
    {
        var s = Shape();
        var x = Uniform(s, -2, 2);
        var d = AwayFrom(s, -range, range, kinks, 0.1);          // both kept: the sample materialises from them later
        return new([In(x), In(x - d)]);
    }

    /// <summary>Log-probabilities in [-3, 0] and a target of their shape: probabilities in [0.05, 1], or log-probabilities in [-3, 0.5].</summary>
    public OpSample KlDivSample(bool logTarget)
    {
        var s = Shape();
        return new([In(Uniform(s, -3, 0)), In(logTarget ? Uniform(s, -3, 0.5) : Uniform(s, 0.05, 1))]);
    }

    /// <summary>
    /// A table [V, D] (V in 2..4) and Int32 indices of rank 0 to 2 into it. Index 0 always appears, unless
    /// <paramref name="withoutZero"/>: then row 0 is never picked (a padding row, whose values the forward reads but
    /// whose gradient is 0 on purpose, which a numeric check would see as a mismatch).
    /// </summary>
    public OpSample EmbeddingSample(bool withoutZero = false)
    {
        int v = _rng.Next(2, 5), dim = _rng.Next(1, 4);
        var s = Shape(maxRank: 2);
        var idx = Enumerable.Range(0, ShapeMath.Count(s)).Select(i => withoutZero ? _rng.Next(1, v) : i == 0 ? 0 : _rng.Next(v)).ToArray();
        return new([In(Uniform([v, dim], -2, 2)), (Tensor.FromArray(idx, s, Device.Cpu), SampleLayout.Contiguous)]);
    }
}
