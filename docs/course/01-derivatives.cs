// Lesson 1: a derivative by hand and by finite differences, and where the error of each comes from.
// Run it from the repository root: dotnet run --file docs/course/01-derivatives.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Backends;
using DotGrad.Course;

// region: function
// f(x) = x^3 - 2x + sin x, and its derivative worked out by hand with the power, sum and sine rules.
static double F(double x) => x * x * x - 2 * x + Math.Sin(x);
static double DF(double x) => 3 * x * x - 2 + Math.Cos(x);
// endregion

const double X = 1.5;
Console.WriteLine($"f({X}) = {F(X):F6}, f'({X}) by hand = {DF(X):F6}");

// region: differences
// Forward difference: the slope of the chord from x to x + h. Central difference: from x - h to x + h.
static double Forward(Func<double, double> f, double x, double h) => (f(x + h) - f(x)) / h;
static double Central(Func<double, double> f, double x, double h) => (f(x + h) - f(x - h)) / (2 * h);
// endregion

// region: float
// The same differences when every value is rounded to float (Float32), as a GPU computes them.
static double ForwardF(double x, double h) => ((float)F((float)(x + h)) - (float)F((float)x)) / (float)h;
static double CentralF(double x, double h) => ((float)F((float)(x + h)) - (float)F((float)(x - h))) / (2 * (float)h);
// endregion

Console.WriteLine();
Console.WriteLine($"{"h",8}  {"forward (double)",16}  {"central (double)",16}  {"forward (float)",15}  {"central (float)",15}");
var hs = Enumerable.Range(1, 12).Select(k => Math.Pow(10, -k)).ToArray();
var errors = new double[4][];
for (int j = 0; j < 4; j++) errors[j] = new double[hs.Length];
for (int i = 0; i < hs.Length; i++)
{
    double h = hs[i];
    errors[0][i] = Math.Abs(Forward(F, X, h) - DF(X));
    errors[1][i] = Math.Abs(Central(F, X, h) - DF(X));
    errors[2][i] = Math.Abs(ForwardF(X, h) - DF(X));
    errors[3][i] = Math.Abs(CentralF(X, h) - DF(X));
    Console.WriteLine($"{h,8:0e0}  {errors[0][i],16:0.0e+00}  {errors[1][i],16:0.0e+00}  {errors[2][i],15:0.0e+00}  {errors[3][i],15:0.0e+00}");
}

// region: best
// Truncation error shrinks with h (forward ~ h f''/2, central ~ h^2 f'''/6); rounding error grows as eps / h.
// The best h balances the two: about sqrt(eps) for the forward difference and eps^(1/3) for the central one.
foreach (var (name, eps) in new[] { ("double", Math.Pow(2, -52)), ("float", Math.Pow(2, -23)) })
    Console.WriteLine($"{name}: eps = {eps:0.0e+00}, best h forward ~ sqrt(eps) = {Math.Sqrt(eps):0.0e+00}, central ~ eps^(1/3) = {Math.Cbrt(eps):0.0e+00}");
// endregion

var logH = hs.Select(Math.Log10).ToArray();
double[] Log(double[] e) => e.Select(v => Math.Log10(Math.Max(v, 1e-17))).ToArray();
Console.WriteLine();
Console.WriteLine("figure: " + Draw.Lines("01-finite-difference-error.png", "Error of finite differences at x = 1.5", "log10 h", "log10 |error|",
    ("forward, double", logH, Log(errors[0])), ("central, double", logH, Log(errors[1])),
    ("forward, float", logH, Log(errors[2])), ("central, float", logH, Log(errors[3]))));

// region: autograd
// Reverse-mode autodiff gives the derivative of the same expression with no h at all: exact up to rounding.
var x = Tensor.Full([1], X, DType.Float64).RequireGrad();   // a leaf that wants its gradient
var y = x.Pow(3) - x * 2 + x.Sin();                          // builds the graph while computing f(x)
y.Backward();                                                 // walks it backwards: df/dx into x.Grad
double g = x.Grad!.Item();
Console.WriteLine($"DotGrad: f'({X}) = {g:F15}, by hand {DF(X):F15}, difference {Math.Abs(g - DF(X)):0.0e+00}");
// endregion
