// Adafactor (Shazeer and Stern, 2018): a second moment factored into row and column statistics, and its Scaling-ViT variant.
using DotGrad.Backends;

namespace DotGrad.Optim;

/// <summary>
/// Adafactor. Per parameter, at its step t (from 1), with <c>beta2 = 1 - t^c</c> (c = -0.8, capped by
/// <see cref="AdafactorOptions.Beta2Cap"/>; 0 at t = 1, so the first statistics are the first G2):
/// <code>
/// G2 = g^2 + eps1
/// factored (two largest dims both >= MinDimToFactor; a matrix (n, m) has rows i and columns j):
///   R = beta2 R + (1 - beta2) mean_j(G2)                 "exp_avg_sq_row"   (n)
///   C = beta2 C + (1 - beta2) mean_i(G2)                 "exp_avg_sq_col"   (m)
///   u = g / sqrt(R_i C_j / mean_i(R))
/// otherwise (vectors, scalars, small matrices):
///   v = beta2 v + (1 - beta2) G2                         "exp_avg_sq"       (like Adam, no bias correction)
///   u = g / sqrt(v)
/// u = u / max(1, RMS(u)/d)                               (update clipping, d = 1; ClipThreshold null skips it)
/// m = beta1 m + (1 - beta1) u;  u = m                    "exp_avg" (only with Beta1; stored in MomentumDType)
/// a = lr (the base lr times the schedule)  or  min(1e-2, 1/sqrt(t)) with RelativeStep
/// a = a max(eps2, RMS(p))                                (only with ScaleParameter; RMS of p before this step)
/// p = p - a wd p   (TimesLr)  or  p - wd schedule(t) p  (TimesSchedule)
/// p = p - a u
/// </code>
/// <para>
/// The defaults (lr-driven, clipping at 1, no momentum, factoring from 128) are the common modern use of Adafactor;
/// the paper's own recipe is <see cref="AdafactorOptions.Paper"/> (relative step and parameter scaling on, every
/// matrix factored) and big_vision's is <see cref="AdafactorOptions.ScalingVit"/>. Where this follows whom: the
/// factored statistics and <c>beta2_t</c> are the paper's, as in optax, PyTorch and Hugging Face; the momentum is an
/// EMA of u before the lr, as in big_vision (Hugging Face and optax average the lr-scaled update instead; PyTorch
/// has none), and with a BFloat16 <see cref="AdafactorOptions.MomentumDType"/> it is stored rounded while the step
/// uses the unrounded value, as optax's <c>ema</c> does. A rank > 2 tensor factors its two largest axes (see
/// <see cref="FactoredAxes"/>) and keeps the others in both statistics, as optax does (PyTorch factors the last two).
/// </para>
/// <para>
/// An all-zero gradient gives a zero update and no NaN: eps1 > 0 keeps R, C and v positive, the update is computed
/// as <c>g rsqrt(R_i / mean(R)) rsqrt(C_j)</c> so the product R_i C_j (which underflows in Float32) is never formed,
/// and <c>max(1, RMS(u)/d)</c> is 1 when u is 0. State: n + m values for a factored (n, m) matrix, one per element
/// otherwise, plus one per element for the momentum (2 bytes each in BFloat16).
/// </para>
/// </summary>
public sealed class Adafactor : Optimizer<AdafactorOptions>
{
    private const string RowBuffer = "exp_avg_sq_row", ColBuffer = "exp_avg_sq_col", FullBuffer = "exp_avg_sq", MomentumBuffer = "exp_avg";

    public Adafactor(IEnumerable<Tensor> parameters, AdafactorOptions? options = null) : base(parameters, options ?? new AdafactorOptions()) { }

    /// <summary>
    /// The axes a tensor of <paramref name="shape"/> is factored over, as (row, col) with row &lt; col, or null when it
    /// keeps a full second moment (rank below 2, or its second-largest dim below <paramref name="minDimToFactor"/>).
    /// They are the two largest dims; between equal dims the later axis wins (a stable ascending sort's last two, as in
    /// optax), so a tensor whose dims are all equal factors its last two axes, like PyTorch.
    /// </summary>
    public static (int Row, int Col)? FactoredAxes(IReadOnlyList<int> shape, int minDimToFactor)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count < 2) return null;
        int largest = -1, second = -1;
        for (int i = 0; i < shape.Count; i++)
        {
            if (largest < 0 || shape[i] >= shape[largest]) (second, largest) = (largest, i);
            else if (second < 0 || shape[i] >= shape[second]) second = i;
        }
        if (shape[second] < minDimToFactor) return null;
        return (Math.Min(largest, second), Math.Max(largest, second));
    }

    private static int[] Without(int[] shape, int axis) => shape.Where((_, i) => i != axis).ToArray();

    protected override void InitState(ParamGroup group, Tensor p, ParamState state)
    {
        var o = OptionsOf(group);
        var shape = p.Shape;
        if (FactoredAxes(shape, o.MinDimToFactor) is (int row, int col))
        {
            state.Set(RowBuffer, Tensor.Zeros(Without(shape, col), p.DType, p.Device));
            state.Set(ColBuffer, Tensor.Zeros(Without(shape, row), p.DType, p.Device));
        }
        else state.Set(FullBuffer, Tensor.ZerosLike(p));
        if (o.Beta1 is not null) state.Set(MomentumBuffer, Tensor.Zeros(shape, o.MomentumDType ?? p.DType, p.Device));
    }

    protected override void Update(ParamGroup group, Tensor p, Tensor g, ParamState state, StepContext step)
    {
        var o = OptionsOf(group);
        int t = state.Step;
        double beta2 = 1 - Math.Pow(t, o.Beta2Decay);
        if (o.Beta2Cap is { } cap) beta2 = Math.Min(cap, beta2);
        var shape = p.Shape;
        var g2 = g.Square() + o.Eps1;

        // GetOrAdd rather than the indexer: an option changed between steps (MinDimToFactor, Beta1) starts its buffer at zero.
        Tensor u;
        if (FactoredAxes(shape, o.MinDimToFactor) is (int row, int col))
        {
            var r = state.GetOrAdd(RowBuffer, () => Tensor.Zeros(Without(shape, col), p.DType, p.Device)) * beta2
                    + g2.Mean(col) * (1 - beta2);                                          // shape without the col axis, (n) for a matrix
            var c = state.GetOrAdd(ColBuffer, () => Tensor.Zeros(Without(shape, row), p.DType, p.Device)) * beta2
                    + g2.Mean(row) * (1 - beta2);                                          // shape without the row axis, (m)
            state.Set(RowBuffer, r);
            state.Set(ColBuffer, c);
            // 1/sqrt(R_i C_j / mean(R)) as two factors: row < col, so the row axis keeps its index in r.
            var rowFactor = (r / r.Mean(row, keepDim: true)).Rsqrt().Unsqueeze(col);      // (n, 1)
            var colFactor = c.Rsqrt().Unsqueeze(row);                                       // (1, m)
            u = g * rowFactor * colFactor;
        }
        else
        {
            var v = state.GetOrAdd(FullBuffer, () => Tensor.ZerosLike(p)) * beta2 + g2 * (1 - beta2);
            state.Set(FullBuffer, v);
            u = g * v.Rsqrt();
        }

        if (o.ClipThreshold is { } d) u = u / (RootMeanSquare(u) / d).Clamp(min: 1);      // on the device: no sync for RMS(u)

        if (o.Beta1 is { } beta1)
        {
            var dtype = o.MomentumDType ?? p.DType;
            var m = state.GetOrAdd(MomentumBuffer, () => Tensor.Zeros(shape, dtype, p.Device)).To(p.DType) * beta1 + u * (1 - beta1);
            state.Set(MomentumBuffer, dtype == p.DType ? m : m.To(dtype));
            u = m;                                                                          // the unrounded m, as optax's ema
        }

        double lr = o.RelativeStep ? Math.Min(1e-2, 1 / Math.Sqrt(t)) : step.Lr;
        var scale = o.ScaleParameter ? RootMeanSquare(p).Clamp(min: o.Eps2) * lr : null; // a = lr max(eps2, RMS(p)), a scalar tensor

        var w = p;
        if (o.WeightDecay != 0)
            w = o.WeightDecayMode == AdafactorWeightDecay.TimesSchedule ? p * (1 - o.WeightDecay * step.ScheduleFactor)
                : scale is null ? p * (1 - lr * o.WeightDecay)
                : p - p * scale * o.WeightDecay;
        Assign(p, w - (scale is null ? u * lr : u * scale));
    }

    private static Tensor RootMeanSquare(Tensor x) => x.Square().Mean().Sqrt();
}
