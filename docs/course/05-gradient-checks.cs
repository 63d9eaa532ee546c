// Lesson 5: gradient checks: a derivative we write ourselves, a wrong one caught by GradCheck, second-order checks,
// and a property test over random shapes with FsCheck. Run it from the repository root:
// dotnet run --file docs/course/05-gradient-checks.cs
#:project Kit/DotGrad.Course.csproj
#:package FsCheck
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

// region: custom
// A function whose derivative we supply ourselves. The result has the value `value`, and autograd sees only the
// term (x - x.Detach()) * derivative, which is zero in value but has gradient `derivative` with respect to x.
static Tensor WithDerivative(Tensor x, Tensor value, Tensor derivative) =>
    value.Detach() + (x - x.Detach()) * derivative.Detach();

// softplus(x) = log(1 + e^x), written in a form that cannot overflow: max(x, 0) + log(1 + e^-|x|).
static Tensor SoftplusValue(Tensor x) => x.Relu() + (1 + (-x.Abs()).Exp()).Log();

// Its derivative is the sigmoid. The wrong version has a plausible slip: sigmoid(|x|), right only for x >= 0.
static Tensor Softplus(Tensor x) => WithDerivative(x, SoftplusValue(x), x.Sigmoid());
static Tensor SoftplusWrong(Tensor x) => WithDerivative(x, SoftplusValue(x), x.Abs().Sigmoid());
// endregion

// region: check
// Check compares the gradient autograd computes with central differences, element by element, in Float64.
var x = Tensor.Randn([3, 4], new Generator(seed: 5), DType.Float64).RequireGrad();   // [3, 4]
var wrong = GradCheck.Check(xs => SoftplusWrong(xs[0]), [x]);
Console.WriteLine($"wrong derivative: passed {wrong.Passed}");
Console.WriteLine(wrong.Message);
Console.WriteLine($"x{ShapeMath.Format(wrong.WorstIndex)} = {x[wrong.WorstIndex.Select(i => (TensorIndex)i).ToArray()].Item():F6}");
var right = GradCheck.Check(xs => Softplus(xs[0]), [x]);
Console.WriteLine($"right derivative: passed {right.Passed}");
Console.WriteLine(right.Message);
// endregion

Console.WriteLine();
// region: second
// CheckSecondOrder differentiates the gradient itself. Our derivative was handed to autograd as a constant
// (Detach), so autograd thinks the second derivative is 0: the check catches that too. The same softplus written
// from DotGrad's ops has a backward made of recorded tensor ops, so it can be differentiated again.
var custom2 = GradCheck.CheckSecondOrder(xs => Softplus(xs[0]), [x]);
Console.WriteLine($"ours, second order: passed {custom2.Passed}");
Console.WriteLine(custom2.Message);
var library2 = GradCheck.CheckSecondOrder(xs => SoftplusValue(xs[0]), [x]);
Console.WriteLine($"from DotGrad's ops, second order: passed {library2.Passed}");
// endregion

Console.WriteLine();
// region: property
// A property test: for random shapes and random values, a small layer softplus(x W + b) passes the first-order
// check (with our derivative) and the second-order one (with DotGrad's ops). x is [B, T, k], W [k, c], b [c]:
// a batched matmul and a broadcast add, the two places where shapes most often go wrong.
var shapes =
    from B in Gen.Choose(1, 3)
    from T in Gen.Choose(1, 4)
    from k in Gen.Choose(1, 4)
    from c in Gen.Choose(1, 4)
    from seed in Gen.Choose(0, 1_000_000)
    select (B, T, k, c, seed);
int passed = 0;
var tried = new HashSet<(int, int, int, int)>();
var layer = Prop.ForAll(shapes.ToArbitrary(), s =>
{
    var g = new Generator((ulong)s.seed);
    var inputs = new[]
    {
        Tensor.Randn([s.B, s.T, s.k], g, DType.Float64).RequireGrad(),  // x [B, T, k]
        Tensor.Randn([s.k, s.c], g, DType.Float64).RequireGrad(),       // W [k, c]
        Tensor.Randn([s.c], g, DType.Float64).RequireGrad(),            // b [c]
    };
    var first = GradCheck.Check(xs => Softplus(xs[0].MatMul(xs[1]) + xs[2]), inputs);
    var second = GradCheck.CheckSecondOrder(xs => SoftplusValue(xs[0].MatMul(xs[1]) + xs[2]), inputs);
    if (!first.Passed || !second.Passed)
        throw new Exception($"shape {s}: {(first.Passed ? second : first).Message}");
    passed++;
    tried.Add((s.B, s.T, s.k, s.c));
});
// A fixed FsCheck seed, so that every run draws the same samples and a failure can be replayed.
var replay = new Replay(new Rnd(20_240_501UL), FSharpOption<int>.None);
int samples = Lesson.Steps(100, 20);
Check.One(Config.QuickThrowOnFailure.WithMaxTest(samples).WithReplay(replay).WithQuietOnSuccess(true), layer);
Console.WriteLine($"{passed} of {samples} random samples passed, first and second order, over {tried.Count} different shapes");
// endregion
