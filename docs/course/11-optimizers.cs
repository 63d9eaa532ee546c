// Lesson 11: five optimizers on a two-dimensional loss surface, what Adafactor's factoring and Muon's
// orthogonalisation do to a matrix, and what each optimizer keeps in memory for a small GPT.
// Run it from the repository root: dotnet run --file docs/course/11-optimizers.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using DotGrad.Models;
using DotGrad.Optim;
using ScottPlot;

// region: surface
// Rosenbrock's valley: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, smallest (0) at (1, 1) at the end of a long, curved,
// nearly flat valley with steep walls. The point (x, y) is one parameter, a 1 x 2 matrix W = [x y].
static Tensor Rosenbrock(Tensor w)
{
    var x = w[.., 0];                                                 // [1]
    var y = w[.., 1];                                                 // [1]
    return ((1 - x).Square() + (y - x.Square()).Square() * 100).Sum(); // scalar
}
// endregion

// region: optimizers
var contenders = new (string Name, Func<Tensor, double, Optimizer> Make)[]
{
    ("SGD, momentum 0.9", (w, lr) => new Sgd([w], new SgdOptions { Lr = lr, Momentum = 0.9 })),
    ("Adam", (w, lr) => new Adam([w], new AdamOptions { Lr = lr })),
    ("Adafactor", (w, lr) => new Adafactor([w], new AdafactorOptions { Lr = lr, MinDimToFactor = 1 })),
    ("Adafactor, beta1 0.9", (w, lr) => new Adafactor([w], new AdafactorOptions { Lr = lr, MinDimToFactor = 1, Beta1 = 0.9 })),
    ("Lion", (w, lr) => new Lion([w], new LionOptions { Lr = lr })),
    ("Muon", (w, lr) => new Muon([w], new MuonOptions { Lr = lr })),
};
// endregion

// region: run
// Start high on the far wall of the valley and take the same number of steps with each optimizer. The learning rate
// decays along a cosine to 0, so that optimizers whose steps have a fixed size (Lion, Muon) can settle.
const int Steps = 1000;
(double[] X, double[] Y, double[] F) Run(Func<Tensor, double, Optimizer> make, double lr)
{
    var w = Tensor.FromArray(new float[] { -1.5f, 2.0f }, [1, 2]).RequireGrad();   // [1, 2]: (x, y)
    using var opt = make(w, lr);
    opt.Schedule = Schedules.CosineDecay(Steps);
    double[] xs = new double[Steps + 1], ys = new double[Steps + 1], fs = new double[Steps + 1];
    for (int step = 0; ; step++)
    {
        using var scope = Tensor.NewDisposeScope();
        var loss = Rosenbrock(w);                                     // scalar
        (xs[step], ys[step], fs[step]) = (w[0, 0].Item(), w[0, 1].Item(), loss.Item());
        if (step == Steps) return (xs, ys, fs);
        opt.ZeroGrad();
        loss.Backward();                                              // w.Grad: [1, 2]
        opt.Step();
    }
}
// endregion

// region: sweep
// Every optimizer tries the same learning rates, three times apart; the figure shows each one's best run.
double[] lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3];
var finals = new double[contenders.Length, lrs.Length];
var best = new List<(string Name, double Lr, double[] X, double[] Y, double[] F)>();
for (int i = 0; i < contenders.Length; i++)
{
    var (name, make) = contenders[i];
    var runs = lrs.Select(lr => (Lr: lr, Path: Run(make, lr))).ToList();
    for (int j = 0; j < lrs.Length; j++) finals[i, j] = runs[j].Path.F[^1];
    var pick = runs.Where(r => double.IsFinite(r.Path.F[^1])).MinBy(r => r.Path.F[^1]);
    best.Add((name, pick.Lr, pick.Path.X, pick.Path.Y, pick.Path.F));
}
// endregion
Console.WriteLine($"f after {Steps} steps from (-1.5, 2), by learning rate (- where it diverged):");
Console.WriteLine($"{"lr",-20}" + string.Concat(lrs.Select(lr => $"{lr.ToString("0e-0"),8}")));
for (int i = 0; i < contenders.Length; i++)
    Console.WriteLine($"{contenders[i].Name,-20}" + string.Concat(Enumerable.Range(0, lrs.Length).Select(j =>
        $"{(finals[i, j] < 1e3 ? finals[i, j].ToString("0e+00") : "-"),8}")));
foreach (var b in best)
    Console.WriteLine($"{b.Name,-20} best at lr {b.Lr.ToString("0e-0")}: ends at ({b.X[^1]:F3}, {b.Y[^1]:F3}), f = {b.F[^1]:0.0e+00}");

Console.WriteLine("figure: " + DrawPaths("11-optimizer-paths.png", best));
Console.WriteLine("figure: " + Draw.Lines("11-optimizer-losses.png", "Rosenbrock: f along the way, each optimizer at its best lr", "step", "log10 f",
    best.Select(b => ($"{b.Name}, lr {b.Lr:0.####}", Enumerable.Range(0, b.F.Length).Select(s => (double)s).ToArray(),
                      b.F.Select(f => Math.Log10(Math.Max(f, 1e-12))).ToArray())).ToArray()));

// region: factored
// Adafactor keeps, for an n x m matrix, the row means R (n numbers) and the column means C (m numbers) of g^2 instead
// of all n m of them, and rebuilds each entry as R_i C_j / mean(R).
static Tensor Factored(Tensor g2)
{
    var R = g2.Mean(1);                                               // [n]: mean over the columns
    var C = g2.Mean(0);                                               // [m]: mean over the rows
    return R.Unsqueeze(1) * C.Unsqueeze(0) / R.Mean();                // [n, 1] * [1, m] -> [n, m]
}
var columnScale = Tensor.FromArray(new double[] { 0.5, 1, 2, 4 }, [1, 4]);                     // [1, 4]
var g = Tensor.Randn([3, 4], new Generator(1), DType.Float64) * columnScale;                    // [3, 4]
var outer = Tensor.FromArray(new double[] { 1, -2, 0.5 }, [3, 1]) * columnScale;                // [3, 4], rank one
// endregion
PrintMatrix("g^2 of a random g, kept in full by Adam (12 numbers)", g.Square());
PrintMatrix("R_i C_j / mean(R), from Adafactor's 3 + 4 numbers", Factored(g.Square()));
foreach (var (name, m) in new[] { ("a random g", g), ("g = a b^T", outer) })
    Console.WriteLine($"largest error of the rebuilt g^2 for {name}, relative to the largest entry: " +
                      $"{(Factored(m.Square()) - m.Square()).Abs().Max().Item() / m.Square().Max().Item():0.0e+00}");

// region: orthogonalise
// Muon replaces the update by a matrix with the same singular vectors and every singular value near 1 (Newton-Schulz
// lands in about [0.7, 1.2]), so the update moves as far in its weak directions as in its strong ones.
var u = Tensor.FromArray(new double[,] { { 3.0, 1.0 }, { 0.6, 0.4 } });   // [2, 2], singular values far apart
var o = NewtonSchulz.Orthogonalize(u);                                    // [2, 2]
var row = Tensor.FromArray(new double[,] { { 3.0, 4.0 } });              // [1, 2]: one row, like W above
var rowO = NewtonSchulz.Orthogonalize(row);                               // [1, 2]
// endregion
Console.WriteLine($"u = {Row(u, 0)} {Row(u, 1)}: singular values {SingularValues(u)}");
Console.WriteLine($"Newton-Schulz(u) = {Row(o, 0)} {Row(o, 1)}: singular values {SingularValues(o)}");
Console.WriteLine($"one row: u = {Row(row, 0)}, u / |u| = {Row(row / row.Norm(), 0)}, Newton-Schulz(u) = {Row(rowO, 0)}: singular value {SingularValues(rowO)}");

// region: memory
// What each optimizer keeps per parameter, for the GPT of lesson 10 (untied head): StateBytes() sums its buffers.
using var gpt = new Gpt(new GptConfig(VocabSize: 65, ContextLength: 64, Width: 128, Depth: 4, Heads: 4, TiedHead: false), new Generator(0));
long weights = gpt.ParameterCount() * sizeof(float);
var memory = new (string Name, Func<Optimizer> Make)[]
{
    ("SGD", () => new Sgd(gpt.Parameters())),
    ("SGD, momentum", () => new Sgd(gpt.Parameters(), new SgdOptions { Momentum = 0.9 })),
    ("SGD, BFloat16 momentum", () => new Sgd(gpt.Parameters(), new SgdOptions { Momentum = 0.9, MomentumDType = DType.BFloat16 })),
    ("AdamW", () => new AdamW(gpt.Parameters())),
    ("Adafactor (factor from 128)", () => new Adafactor(gpt.Parameters())),
    ("Adafactor (factor from 32)", () => new Adafactor(gpt.Parameters(), new AdafactorOptions { MinDimToFactor = 32 })),
    ("Lion", () => new Lion(gpt.Parameters())),
    ("Muon (+ AdamW for the rest)", () => Muon.ForModel(gpt)),
};
// endregion
Console.WriteLine($"GPT of {gpt.ParameterCount():N0} parameters: {weights:N0} bytes of Float32 weights");
Console.WriteLine($"{"optimizer",-28} {"state bytes",12} {"x weights",10}");
foreach (var (name, make) in memory)
{
    using var opt = make();
    Console.WriteLine($"{name,-28} {opt.StateBytes(),12:N0} {(double)opt.StateBytes() / weights,10:F3}");
}

static string Row(Tensor m, int i) => "[" + string.Join(", ", m[i].ToArray<double>().Select(v => v.ToString("F3"))) + "]";

static void PrintMatrix(string title, Tensor m)
{
    Console.WriteLine(title + ":");
    for (int i = 0; i < m.Size(0); i++)
        Console.WriteLine("  " + string.Join(" ", m[i].ToArray<double>().Select(v => $"{v,7:F3}")));
}

// The singular values of a matrix with at most two rows: square roots of the eigenvalues of the 2 x 2 (or 1 x 1)
// matrix M M^T, which have a closed form.
static string SingularValues(Tensor m)
{
    var gram = m.MatMul(m.MT).ToArray<double>();
    if (gram.Length == 1) return $"{Math.Sqrt(gram[0]):F3}";
    double a = gram[0], b = gram[1], d = gram[3], mean = (a + d) / 2, spread = Math.Sqrt((a - d) * (a - d) / 4 + b * b);
    return $"{Math.Sqrt(mean + spread):F3} and {Math.Sqrt(Math.Max(0, mean - spread)):F3}";
}

// One panel per optimizer: the surface as a heatmap of log10 f, the path on top.
static string DrawPaths(string file, List<(string Name, double Lr, double[] X, double[] Y, double[] F)> runs)
{
    const double x0 = -2, x1 = 2, y0 = -1, y1 = 3;
    const int n = 200;
    var values = new double[n, n];
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++)
        {
            double x = x0 + (x1 - x0) * c / (n - 1), y = y1 - (y1 - y0) * r / (n - 1);   // row 0 is the top
            values[r, c] = Math.Log10((1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x) + 1e-3);
        }
    var figure = new Multiplot();
    figure.AddPlots(6);
    figure.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 3);
    for (int i = 0; i < runs.Count; i++)
    {
        var plot = figure.GetPlot(i);
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Position = new CoordinateRect(x0, x1, y0, y1);
        var line = plot.Add.ScatterLine(runs[i].X, runs[i].Y, Colors.Red);
        line.LineWidth = 1.5f;
        plot.Add.Marker(runs[i].X[0], runs[i].Y[0], MarkerShape.FilledCircle, 8, Colors.White);
        plot.Add.Marker(1, 1, MarkerShape.Cross, 12, Colors.White);
        plot.Axes.SetLimits(x0, x1, y0, y1);
        plot.Title($"{runs[i].Name}, lr {runs[i].Lr:0.####}", size: 14);
        plot.XLabel("x", size: 12);
        plot.YLabel("y", size: 12);
    }
    var path = Lesson.Figure(file);
    figure.SavePng(path + ".tmp.png", 1350, 900);
    File.Move(path + ".tmp.png", path, overwrite: true);
    return file;
}
