// Autograd behaviour a user relies on: errors for bad input, gradient mode, Detach, accumulation, hooks, RetainGrad,
// Hessian-vector products, the DOT printer, and an end-to-end training run.
using System.Text.RegularExpressions;
using DotGrad;
using DotGrad.Autodiff;
using DotGrad.Backends;
using AG = DotGrad.Autodiff.Autograd;

namespace DotGrad.Tests.Autograd;

public class AutogradBehaviourTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).RequireGrad();

    private static double[] Values(Tensor t) => t.ToArray<double>();

    // ---- bad input ----

    [Test]
    public void Backward_OnANonScalarWithoutAGradient_SaysToPassOne()
    {
        var y = Leaf(1, 2, 3) * 2.0;
        var ex = Assert.Throws<ArgumentException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("pass one").And.Contain("[3]"));
    }

    [Test]
    public void Backward_ThroughAFreedGraph_NamesRetainGraph_AndRetainGraphAllowsIt()
    {
        var x = Leaf(1, 2);
        var y = x.Exp();
        y.Backward(Tensor.OnesLike(y));
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.OnesLike(y)));
        Assert.That(ex!.Message, Does.Contain("retainGraph"));

        var z = x.Sin();
        x.ZeroGrad();
        z.Backward(Tensor.OnesLike(z), retainGraph: true);
        z.Backward(Tensor.OnesLike(z));
        Assert.That(Values(x.Grad!), Is.EqualTo(new[] { 2 * Math.Cos(1), 2 * Math.Cos(2) }).Within(1e-12));
    }

    [Test]
    public void Grad_WithRespectToATensorThatDoesNotRequireGrad_IsAClearError()
    {
        var a = Leaf(1, 2);
        var b = Tensor.FromArray(new double[] { 3, 4 });
        var y = a * b;
        var ex = Assert.Throws<ArgumentException>(() => AG.Grad([y], [b], [Tensor.OnesLike(y)]));
        Assert.That(ex!.Message, Does.Contain("does not require grad").And.Contain("RequiresGrad"));
    }

    [Test]
    public void Backward_OfATensorThatDoesNotRequireGrad_IsAClearError()
    {
        var y = Tensor.FromArray(new double[] { 1 }) * 2.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("does not require grad"));
    }

    [TestCase(DType.Int32)]
    [TestCase(DType.Bool)]
    public void NonFloatingTensors_CannotRequireGrad(DType dtype)
    {
        var t = Tensor.Zeros([2], dtype);
        var ex = Assert.Throws<ArgumentException>(() => t.RequireGrad());
        Assert.That(ex!.Message, Does.Contain(dtype.ToString()).And.Contain("Float32"));
        Assert.That(t.RequiresGrad, Is.False);
    }

    // ---- gradient mode, Detach, accumulation ----

    [Test]
    public void NoGrad_StopsRecordingInItsScope_AndRestoresTheOuterMode()
    {
        var x = Leaf(1, 2);
        using (AG.NoGrad())
        {
            var y = x * 2.0;
            Assert.That(y.RequiresGrad, Is.False);
            Assert.That(y.GradFn, Is.Null);
            using (AG.SetEnabled(true)) Assert.That((x * 2.0).RequiresGrad, Is.True, "an inner enable scope records");
            Assert.That(AG.IsEnabled, Is.False, "the inner scope restored NoGrad");
        }
        Assert.That(AG.IsEnabled, Is.True);
        Assert.That((x * 2.0).GradFn, Is.Not.Null);
    }

    [Test]
    public void Detach_SharesStorageButCutsTheGraph()
    {
        // y = x * detach(x): dy/dx = detach(x) = x, not 2x.
        var x = Leaf(3, -1);
        var d = x.Detach();
        Assert.That(d.RequiresGrad, Is.False);
        Assert.That(d.IsLeaf, Is.True);
        var y = x * d;
        y.Backward(Tensor.OnesLike(y));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 3, -1 }));
        x.Detach()[0] = Tensor.Scalar(7, DType.Float64);
        Assert.That(Values(x)[0], Is.EqualTo(7), "a detached tensor shares storage");
    }

    [Test]
    public void Grad_AccumulatesOverTwoBackwards_AndZeroGradResetsIt()
    {
        // y = 3x: each backward adds 3.
        var x = Leaf(1, 2);
        (x * 3.0).Backward(Tensor.OnesLike(x));
        (x * 3.0).Backward(Tensor.OnesLike(x));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 6, 6 }));
        x.ZeroGrad();
        Assert.That(x.Grad, Is.Null);
        (x * 3.0).Backward(Tensor.OnesLike(x));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 3, 3 }));
    }

    // ---- hooks and RetainGrad ----

    [Test]
    public void Hooks_CanInspectReplaceAndBeRemoved()
    {
        // y = x^2: dy/dx = 2x = [2, 4].
        var x = Leaf(1, 2);
        double[]? seen = null;
        using (x.RegisterHook(g => { seen = Values(g); return null; }))
        {
            var y = x.Square();
            y.Backward(Tensor.OnesLike(y));
        }
        Assert.That(seen, Is.EqualTo(new double[] { 2, 4 }));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 2, 4 }), "an inspecting hook leaves the gradient");

        x.ZeroGrad();
        var replace = x.RegisterHook(g => g * 10.0);
        var y2 = x.Square();
        y2.Backward(Tensor.OnesLike(y2));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 20, 40 }), "a hook's result replaces the gradient");

        replace.Dispose();
        x.ZeroGrad();
        seen = null;
        var y3 = x.Square();
        y3.Backward(Tensor.OnesLike(y3));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 2, 4 }), "a removed hook no longer runs");
        Assert.That(seen, Is.Null);
    }

    [Test]
    public void AHookOnAnIntermediate_ChangesWhatFlowsFurther()
    {
        // h = 2x, y = h^2: dy/dh = 2h = 4x; the hook scales it by 10, then dh/dx = 2: x.Grad = 80x.
        var x = Leaf(1, -0.5);
        var h = x * 2.0;
        h.RegisterHook(g => g * 10.0);
        var y = h.Square();
        y.Backward(Tensor.OnesLike(y));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 80, -40 }).Within(1e-12));
    }

    [Test]
    public void RetainGrad_KeepsTheGradientOfAnIntermediate()
    {
        // h = 2x, y = h^2: dy/dh = 2h = 4x.
        var x = Leaf(1, 3);
        var h = x * 2.0;
        h.RetainGrad();
        var y = h.Square();
        y.Backward(Tensor.OnesLike(y));
        Assert.That(Values(h.Grad!), Is.EqualTo(new double[] { 4, 12 }));
        Assert.That(Values(x.Grad!), Is.EqualTo(new double[] { 8, 24 }));
    }

    // ---- higher order ----

    [Test]
    public void HessianVectorProduct_OfSumOfCubes()
    {
        // f(x) = sum x^3 (seeded with ones): grad = 3x^2, Hessian = diag(6x), H v = 6 x v.
        var x = Leaf(1, -2, 0.5);
        var v = Tensor.FromArray(new double[] { 1, 0.5, -2 });
        var y = x * x * x;
        var g = AG.Grad(y, x, Tensor.OnesLike(y), createGraph: true);
        Assert.That(Values(g), Is.EqualTo(new double[] { 3, 12, 0.75 }).Within(1e-12));
        Assert.That(g.RequiresGrad, Is.True, "createGraph makes the gradient differentiable");
        var hv = AG.Grad(g, x, v);
        Assert.That(Values(hv), Is.EqualTo(new double[] { 6, -6, -6 }).Within(1e-12));
    }

    [Test]
    public void ScalarOperandsOfA0dTensor_StayAliveForBackwardAndDoubleBackward()
    {
        // y = 2 x^3 at x = 2 (0-d): dy/dx = 6x^2 = 24, d2y/dx2 = 12x = 24. For a 0-d x the number operands (3 and 2)
        // are saved by the graph as they are (no expand wraps them), so they must not be freed after the forward.
        var x = Tensor.Scalar(2, DType.Float64).RequireGrad();
        var y = x.Pow(3.0) * 2.0;
        var g = AG.Grad(y, x, createGraph: true);
        Assert.That(g.Item(), Is.EqualTo(24).Within(1e-12));
        Assert.That(AG.Grad(g, x).Item(), Is.EqualTo(24).Within(1e-12));
    }

    // ---- the DOT printer ----

    [Test]
    public void ToDot_NamesEveryNodeWithItsShape()
    {
        // y = exp(a * b) + sin(a), a [2, 3], b [3] (broadcast through Expand).
        var a = Tensor.Randn([2, 3], new Generator(1), DType.Float64).RequireGrad();
        var b = Tensor.Randn([3], new Generator(2), DType.Float64).RequireGrad();
        var y = (a * b).Exp() + a.Sin();
        var dot = AG.ToDot(y);
        Assert.That(dot, Does.StartWith("digraph"));

        // Every op node in the graph, found by walking it, with its output shape.
        var expected = new HashSet<string>();
        var stack = new Stack<Function>([y.GradFn!]);
        var seen = new HashSet<Function>(ReferenceEqualityComparer.Instance);
        while (stack.Count > 0)
        {
            var fn = stack.Pop();
            if (!seen.Add(fn)) continue;
            expected.Add($"{fn.Name} [{string.Join(", ", fn.OutputShape)}]");
            foreach (var input in fn.Inputs)
                if (input.GradFn is { } prev) stack.Push(prev);
        }
        Assert.That(expected.Select(e => e.Split(' ')[0]), Is.SupersetOf(new[] { "Add", "Exp", "Mul", "Expand", "Sin" }));

        var ops = Regex.Matches(dot, @"(n\d+) \[shape=box, label=""(\w+)\\n(\[[^\]]*\])""\]")
            .Select(m => $"{m.Groups[2].Value} {m.Groups[3].Value}").ToList();
        Assert.That(ops, Is.EquivalentTo(expected), dot);
        var leaves = Regex.Matches(dot, @"shape=ellipse[^\n]*label=""leaf\\n(\[[^\]]*\]) Float64""").Select(m => m.Groups[1].Value).ToList();
        Assert.That(leaves, Is.EquivalentTo(new[] { "[2, 3]", "[3]" }), dot);

        // Every edge joins declared nodes.
        var declared = Regex.Matches(dot, @"^\s*(n\d+) \[", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var edges = Regex.Matches(dot, @"(n\d+) -> (n\d+);").ToList();
        Assert.That(edges, Is.Not.Empty);
        foreach (var e in edges)
            Assert.That(declared, Does.Contain(e.Groups[1].Value).And.Contain(e.Groups[2].Value), e.Value);
    }

    // ---- end to end ----

    [Test]
    public void ASmallMlp_TrainedWithGradientDescent_CutsItsLossTenfold()
    {
        // y = sin(x0) + x1^2 on 64 fixed points in [-1, 1]^2; a 2 -> 16 -> 1 tanh MLP, full-batch gradient descent on MSE.
        var g = new Generator(42);
        var X = Tensor.Uniform([64, 2], -1, 1, g, DType.Float64);                 // [64, 2]
        var x0 = X[.., 0..1];                                                     // [64, 1]
        var x1 = X[.., 1..2];
        var Y = x0.Sin() + x1.Square();                                           // [64, 1]
        var W1 = (Tensor.Randn([2, 16], g, DType.Float64) * 0.5).RequireGrad();  // [2, 16]
        var b1 = Tensor.Zeros([16], DType.Float64).RequireGrad();
        var W2 = (Tensor.Randn([16, 1], g, DType.Float64) * 0.25).RequireGrad(); // [16, 1]
        var b2 = Tensor.Zeros([1], DType.Float64).RequireGrad();
        Tensor[] parameters = [W1, b1, W2, b2];

        Tensor Loss()
        {
            var h = (X.MatMul(W1) + b1).Tanh();   // [64, 16]
            var pred = h.MatMul(W2) + b2;        // [64, 1]
            return (pred - Y).Square().Mean();   // []
        }

        double initial = Loss().Item();
        const double lr = 0.2;
        for (int step = 0; step < 500; step++)
        {
            var loss = Loss();
            loss.Backward();
            using (AG.NoGrad())
                foreach (var p in parameters)
                {
                    p.Detach()[..] = p - p.Grad! * lr; // in place, so p stays the same leaf
                    p.ZeroGrad();
                }
        }
        double final = Loss().Item();
        Assert.That(final, Is.LessThan(initial / 10), $"MSE went from {initial} to {final}");
    }
}
