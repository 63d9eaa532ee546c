// Lesson 7: softmax and cross entropy: why the largest logit is subtracted first, log-sum-exp, the gradient
// softmax - onehot, label smoothing and temperature.
// Run it from the repository root: dotnet run --file docs/course/07-softmax-cross-entropy.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;

// region: naive
// softmax(z)_i = exp(z_i) / sum_j exp(z_j), straight from the definition.
static Tensor NaiveSoftmax(Tensor z)
{
    var e = z.Exp();                         // [..., C]
    return e / e.Sum(-1, keepDim: true);     // [..., C] / [..., 1]
}
// endregion

// region: stable
// The same after subtracting each row's largest logit m. The factor exp(-m) appears above and below the fraction
// and cancels, so the result is unchanged; but now the largest exponential is exp(0) = 1 and the sum is at least 1.
static Tensor StableSoftmax(Tensor z)
{
    var m = z.Amax([-1], keepDim: true);     // [..., 1]
    var e = (z - m).Exp();                   // [..., C], every value in (0, 1]
    return e / e.Sum(-1, keepDim: true);     // [..., C] / [..., 1]
}
// endregion

// region: overflow
// Three rows of logits in Float32 (what training runs in): ordinary, large, and very negative.
foreach (var row in new[] { new[] { 1f, 2f, 3f }, new[] { 1000f, 1001f, 1002f }, new[] { -1000f, -1001f, -1002f } })
{
    using var scope = Tensor.NewDisposeScope();
    var z = Tensor.FromArray(row, [3]);                      // [3] Float32
    Console.WriteLine($"z = [{string.Join(", ", row)}]");
    Console.WriteLine($"  exp(z)          {V(z.Exp())}");
    Console.WriteLine($"  naive softmax   {V(NaiveSoftmax(z))}");
    Console.WriteLine($"  stable softmax  {V(StableSoftmax(z))}");
    Console.WriteLine($"  z.Softmax(-1)   {V(z.Softmax(-1))}");
}
Console.WriteLine($"exp(z) overflows Float32 for z > ln(float.MaxValue) = {Math.Log(float.MaxValue):F2} and Float64 for z > {Math.Log(double.MaxValue):F2}");
// endregion

// region: logsumexp
// log sum_j exp(z_j) = m + log sum_j exp(z_j - m): the same shift, in log space. Then log softmax = z - logsumexp(z).
static Tensor LogSumExp(Tensor z)
{
    var m = z.Amax([-1], keepDim: true);                   // [..., 1]
    return m.Squeeze(-1) + (z - m).Exp().Sum(-1).Log();    // [...]
}
// endregion

Console.WriteLine();
using (var big = Tensor.FromArray(new[] { 1000f, 1001f, 1002f }, [3]))
using (var naive = big.Exp().Sum().Log())
using (var stable = LogSumExp(big))
using (var library = big.LogSumExp(-1))
    Console.WriteLine($"logsumexp([1000, 1001, 1002]): naive {F(naive.Item())}, stable {F(stable.Item())}, z.LogSumExp(-1) {F(library.Item())}");

// region: logprob
// A confident, wrong model: the right class is 0, but class 2 has a logit 200 higher. Its loss should be about 200.
using (var scope = Tensor.NewDisposeScope())
{
    var z = Tensor.FromArray(new[] { 0f, 0f, 200f }, [3]);                 // [3]
    var fromProbability = -StableSoftmax(z).Log()[0];                       // p[0] = e^-200 rounds to 0 in Float32
    var fromLogSoftmax = -(z - LogSumExp(z))[0];                            // -(z_y - logsumexp z): no probability formed
    var library = Functional.CrossEntropy(z, Tensor.Scalar(0, DType.Int32)); // logits [C], label a scalar
    Console.WriteLine($"loss -log p[y]: from the probability {F(fromProbability.Item())}, from log-softmax {F(fromLogSoftmax.Item())}, Functional.CrossEntropy {F(library.Item())}");
}
// endregion

// region: gradient
// Four rows of five logits and their labels. The mean cross entropy L = mean_i (logsumexp(z_i) - z_i[y_i]) has the
// gradient dL/dz = (softmax(z) - onehot(y)) / N: computed by hand here, then by the library's two versions.
var g = new Generator(seed: 7);
const int N = 4, C = 5;
var logits = Tensor.Randn([N, C], g, DType.Float64) * 2;                  // [N, C]
var labels = Tensor.FromArray(new[] { 0, 3, 3, 1 }, [N]);                  // [N] Int32
var byHand = (StableSoftmax(logits) - labels.OneHot(C).Double()) / N;      // [N, C]

var zFused = logits.Clone().RequireGrad();                                 // [N, C] leaf
Functional.CrossEntropy(zFused, labels).Backward();                        // one node; its backward is p - onehot
var zComposite = logits.Clone().RequireGrad();
Functional.CrossEntropyComposite(zComposite, labels).Backward();           // log_softmax, gather, mean: chain rule
// endregion

Console.WriteLine();
Console.WriteLine("gradient by hand, (softmax(z) - onehot(y)) / N, one row per sample:");
var rows = byHand.ToArray<double>();
for (int i = 0; i < N; i++)
{
    var row = rows[(i * C)..((i + 1) * C)];
    Console.WriteLine($"  y = {labels.ToArray<int>()[i]}  [{string.Join(", ", row.Select(v => v.ToString("+0.0000;-0.0000")))}]  row sum {Math.Abs(row.Sum()):0.0e+00}");
}
Console.WriteLine($"max |by hand - CrossEntropy's gradient|          {MaxDiff(byHand, zFused.Grad!):0.0e+00}");
Console.WriteLine($"max |by hand - CrossEntropyComposite's gradient| {MaxDiff(byHand, zComposite.Grad!):0.0e+00}");

// region: smoothing
// Label smoothing aims at q = (1 - eps) onehot(y) + eps / C instead of onehot(y): the loss is -sum_c q_c log p_c,
// and the same derivation gives the gradient (softmax(z) - q) / N.
const double eps = 0.1;
var q = labels.OneHot(C).Double() * (1 - eps) + eps / C;                   // [N, C], each row sums to 1
var smoothByHand = (StableSoftmax(logits) - q) / N;                        // [N, C]
var zSmooth = logits.Clone().RequireGrad();
Functional.CrossEntropy(zSmooth, labels, labelSmoothing: eps).Backward();
// endregion
Console.WriteLine($"label smoothing {eps}: max |by hand - CrossEntropy's gradient| {MaxDiff(smoothByHand, zSmooth.Grad!):0.0e+00}");

// region: curve
// The loss of one sample of C = 10 classes as the right class's logit z moves and the nine others stay at 0,
// computed for every z at once as a batch of rows.
const int classes = 10;
var zs = Enumerable.Range(0, 321).Select(i => -4 + i * 0.05).ToArray();     // z from -4 to 12
var curveLogits = Tensor.Zeros([zs.Length, classes], DType.Float64);       // [Z, 10]
curveLogits[.., 0] = Tensor.FromArray(zs, [zs.Length]);                    // column 0 (the right class) = z
var right = Tensor.Zeros([zs.Length], DType.Int32);                        // [Z]: label 0 everywhere
var plain = Functional.CrossEntropy(curveLogits, right, reduction: "none").ToArray<double>();
var smooth = Functional.CrossEntropy(curveLogits, right, labelSmoothing: eps, reduction: "none").ToArray<double>();
// endregion

// With smoothing the right class's target is qy = 1 - eps + eps / C, and the gradient p_y - qy is 0 where
// e^z / (e^z + C - 1) = qy, that is at z = ln(qy (C - 1) / (1 - qy)).
double qy = 1 - eps + eps / classes, zBest = Math.Log(qy * (classes - 1) / (1 - qy));
int best = Array.IndexOf(smooth, smooth.Min());
Console.WriteLine();
Console.WriteLine($"10 classes, others at 0: z = 12 gives loss {plain[^1]:F6} unsmoothed, {smooth[^1]:F4} smoothed");
Console.WriteLine($"smoothed loss is lowest at z = {zs[best]:F2} on the grid; by the formula z = ln({qy * (classes - 1) / (1 - qy):F0}) = {zBest:F3}");
Console.WriteLine("figure: " + Draw.Lines("07-loss-vs-logit.png", "Cross entropy vs the right class's logit (10 classes, others at 0)",
    "logit of the right class", "loss", ("no smoothing", zs, plain), ($"label smoothing {eps}", zs, smooth)));

// region: temperature
// Sampling temperature T divides the logits before the softmax: T < 1 sharpens the distribution, T > 1 flattens it.
var scores = new[] { 4.0, 3.0, 2.5, 1.0, 0.5, 0.0, -1.0, -2.0 };
var temperatures = new[] { 0.5, 1.0, 2.0, 5.0 };
var zT = Tensor.FromArray(scores, [scores.Length]);                        // [8]
var probabilities = temperatures.Select(T => (zT / T).Softmax(-1).ToArray<double>()).ToArray();
// endregion
Console.WriteLine();
Console.WriteLine($"logits        {string.Join(" ", scores.Select(s => $"{s,6:F1}"))}");
for (int t = 0; t < temperatures.Length; t++)
    Console.WriteLine($"p at T = {temperatures[t]:F1}  {string.Join(" ", probabilities[t].Select(p => $"{p,6:F3}"))}");
Console.WriteLine("figure: " + Lesson07.Distributions("07-temperature.png", "softmax(z / T) of the same logits z", "logit z of each class",
    scores.Select(s => $"{s}").ToArray(), temperatures.Select((T, t) => ($"T = {T}", probabilities[t])).ToArray()));

// Values with four decimals; infinities and NaN spelled out the same way on every machine.
static string F(double v) => double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : v.ToString("F4");
static string V(Tensor t)
{
    using var d = t.Double();
    return "[" + string.Join(", ", d.ToArray<double>().Select(F)) + "]";
}
static double MaxDiff(Tensor a, Tensor b)
{
    using var diff = (a - b).Abs().Max();
    return diff.Item();
}
