// Lesson 4: DotGrad's autograd: the graph it records, backward, no-grad mode, hooks, second derivatives and a shape
// trace. Run it from the repository root: dotnet run --file docs/course/04-autograd.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Course;
using DotGrad.Models;

static string Values(Tensor t) => string.Join(", ", t.Contiguous().ToArray<double>().Select(v => v.ToString("F4")));

// region: graph
// One tiny layer: h = tanh(x W + b), loss = mean(h^2). W and b are parameters (leaves that want gradients), x is data.
var g = new Generator(seed: 4);
var x = Tensor.Randn([2, 3], g, DType.Float64);                 // [2, 3]   no gradient wanted
var W = Tensor.Randn([3, 4], g, DType.Float64).RequireGrad();   // [3, 4]
var b = Tensor.Zeros([4], DType.Float64).RequireGrad();         // [4]
var h = (x.MatMul(W) + b).Tanh();                               // [2, 4]
var loss = h.Square().Mean();                                   // []
Console.WriteLine($"loss = {loss.Item():F6}, computed by {loss.GradFn!.Name}, whose input was computed by {loss.GradFn.Inputs[0].GradFn!.Name}");
Console.WriteLine($"x is a leaf without gradient: RequiresGrad {x.RequiresGrad}; W is a leaf: IsLeaf {W.IsLeaf}, RequiresGrad {W.RequiresGrad}");
Console.WriteLine("figure: " + Draw.Graph("04-graph.dot", Autograd.ToDot(loss)));
// endregion

Console.WriteLine();
// region: backward
// Backward walks the graph from loss to the leaves and stores dloss/dW and dloss/db in W.Grad and b.Grad.
loss.Backward();
Console.WriteLine($"W.Grad: shape {ShapeMath.Format(W.Grad!.Shape)}; b.Grad = [{Values(b.Grad!)}]; x.Grad is {(x.Grad is null ? "null" : "set")}");
// The same b.Grad by hand: dloss/dh = 2h / 8 (8 elements in the mean), tanh' = 1 - h^2, and b was broadcast over
// the 2 rows, so its gradient sums them (lesson 3).
using (Autograd.NoGrad())
{
    var byHand = (h * 2 / 8 * (1 - h * h)).Sum(0);             // [4]
    Console.WriteLine($"b.Grad by hand  [{Values(byHand)}]");
}
try
{
    loss.Backward();                                            // the graph was freed by the first backward
}
catch (InvalidOperationException ex)
{
    Console.WriteLine($"a second Backward: {ex.Message}");
}
// endregion

Console.WriteLine();
// region: nograd
// Under NoGrad nothing is recorded: the result is a plain tensor with no graph (evaluation, optimizer updates).
using (Autograd.NoGrad())
{
    var y = x.MatMul(W);                                        // [2, 4]
    Console.WriteLine($"under NoGrad: y.RequiresGrad {y.RequiresGrad}, y.GradFn {(y.GradFn is null ? "null" : y.GradFn.Name)}");
}
var recorded = x.MatMul(W);                                     // [2, 4]
Console.WriteLine($"outside it:   RequiresGrad {recorded.RequiresGrad}, GradFn {recorded.GradFn!.Name}");
// endregion

Console.WriteLine();
// region: hooks
// A hook sees the gradient arriving at a tensor during backward, and may replace it. Here one prints the gradient at
// the hidden pre-activation z, and a second one scales it by 10: every gradient upstream of z (W's, b's) scales too.
W.ZeroGrad();
b.ZeroGrad();
var z = x.MatMul(W) + b;                                        // [2, 4]
var loss2 = z.Tanh().Square().Mean();
using (z.RegisterHook(dz => { Console.WriteLine($"hook: dloss/dz has shape {ShapeMath.Format(dz.Shape)}, row 0 = [{Values(dz[0])}]"); return null; }))
using (z.RegisterHook(dz => dz * 10))
    loss2.Backward();
Console.WriteLine($"b.Grad with the x10 hook = [{Values(b.Grad!)}]");
// endregion

Console.WriteLine();
// region: second
// Second derivatives: with createGraph the backward pass is itself recorded, so its result can be differentiated.
var s = Tensor.Scalar(1.5, DType.Float64).RequireGrad();
var cube = s.Pow(3);                                            // s^3
var ds = Autograd.Grad(cube, s, createGraph: true);             // 3 s^2, a tensor with a graph of its own
var dds = Autograd.Grad(ds, s);                                 // 6 s
Console.WriteLine($"d(s^3)/ds at 1.5 = {ds.Item()} (3 s^2 = {3 * 1.5 * 1.5}), computed by {ds.GradFn!.Name}");
Console.WriteLine($"d2(s^3)/ds2 at 1.5 = {dds.Item()} (6 s = {6 * 1.5})");
// endregion

Console.WriteLine();
// region: trace
// A shape trace lists every op recorded while it is active: a small classifier, 4 examples of 3 features, 2 classes.
var mlp1 = new Linear(3, 8, generator: g);
var mlp2 = new Linear(8, 2, generator: g);
var input = Tensor.Randn([4, 3], g);                            // [B, in] = [4, 3]
var labels = Tensor.FromArray(new[] { 0, 1, 1, 0 }, [4]);       // [B]
using (var trace = ShapeTrace.Start())
{
    var logits = mlp2.Forward(mlp1.Forward(input).Gelu());      // [4, 2]
    var ce = Functional.CrossEntropy(logits, labels, fused: false); // []
    Console.Write(trace);
}
// endregion
