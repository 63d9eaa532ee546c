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


// region: check
// Check compares the gradient autograd computes with central differences, element by element, in Float64.
var x = Tensor.Randn([3, 4], new Generator(seed: 5), DType.Float64).RequireGrad();   // [3, 4]
var wrong = GradCheck.Check(xs => Softplus.Apply(xs[0], wrong: true), [x]);
Console.WriteLine($"wrong derivative: passed {wrong.Passed}");
Console.WriteLine(wrong.Message);
Console.WriteLine($"x{ShapeMath.Format(wrong.WorstIndex)} = {x[wrong.WorstIndex.Select(i => (TensorIndex)i).ToArray()].Item():F6}");
var right = GradCheck.Check(xs => Softplus.Apply(xs[0]), [x]);
Console.WriteLine($"right derivative: passed {right.Passed}");
Console.WriteLine(right.Message);
// endregion

Console.WriteLine();
// region: second
// CheckSecondOrder differentiates the gradient itself. Our Backward is written with tensor operations, so when a
// graph of the gradient is asked for (createGraph) they are recorded too, and the gradient can be differentiated.
var ours2 = GradCheck.CheckSecondOrder(xs => Softplus.Apply(xs[0]), [x]);
Console.WriteLine($"ours, second order: passed {ours2.Passed}");
Console.WriteLine(ours2.Message);
var wrong2 = GradCheck.CheckSecondOrder(xs => Softplus.Apply(xs[0], wrong: true), [x]);
Console.WriteLine($"the wrong one, second order: passed {wrong2.Passed}");
// endregion

Console.WriteLine();
// region: property
// A property test: for random shapes and random values, a small layer softplus(x W + b) with our Softplus passes
// the first-order check and the second-order one. x is [B, T, k], W [k, c], b [c]:
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
    var first = GradCheck.Check(xs => Softplus.Apply(xs[0].MatMul(xs[1]) + xs[2]), inputs);
    var second = GradCheck.CheckSecondOrder(xs => Softplus.Apply(xs[0].MatMul(xs[1]) + xs[2]), inputs);
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

// region: custom
// softplus(x) = log(1 + e^x), a smooth ReLU, as an op of our own: a Function subclass, as the library's ops are.
// The forward runs without recording, so the graph gets one node, Softplus, whose Backward we write ourselves.
// The derivative is the sigmoid; the wrong version has a plausible slip, sigmoid(|x|), right only for x >= 0.
sealed class Softplus(bool wrong) : Function
{
    public static Tensor Apply(Tensor x, bool wrong = false)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = x.Relu() + (1 + (-x.Abs()).Exp()).Log();   // max(x, 0) + log(1 + e^-|x|): no overflow
        return Record(y, () => new Softplus(wrong), x);                         // one node, with x as its input
    }

    // dOut * sigmoid(x), written with tensor operations so that it can itself be differentiated.
    protected override Tensor?[] Backward(Tensor dOut) => [dOut * (wrong ? Inputs[0].Abs() : Inputs[0]).Sigmoid()];
}
// endregion
