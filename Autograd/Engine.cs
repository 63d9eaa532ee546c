// The backward pass: order the graph without recursion, seed the outputs, call each node's Backward once all of its
// consumers have contributed, accumulate with +=, check every gradient's shape, and free the graph.
using DotGrad.Backends;

namespace DotGrad.Autodiff;

internal static class Engine
{
    /// <summary>
    /// Runs backward from <paramref name="roots"/>. With <paramref name="capture"/> null, gradients accumulate into
    /// the <see cref="Tensor.Grad"/> of leaves that require one (<c>loss.Backward()</c>); otherwise the gradient of
    /// each captured tensor is returned instead and no <c>.Grad</c> is touched (<c>Autograd.Grad</c>).
    /// </summary>
    public static Tensor?[] Run(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor?>? seeds, IReadOnlyList<Tensor>? capture,
                                bool retainGraph, bool createGraph, string op)
    {
        if (seeds is not null && seeds.Count != roots.Count)
            throw new ArgumentException($"{op}: got {roots.Count} outputs but {seeds.Count} gradients for them");
        var results = new Tensor?[capture?.Count ?? 0];
        var grads = new Dictionary<Function, Tensor>(ReferenceEqualityComparer.Instance);

        using var mode = Autograd.SetEnabled(createGraph);
        for (int i = 0; i < roots.Count; i++)
        {
            var root = roots[i];
            if (!root.RequiresGrad)
                throw new InvalidOperationException($"{op}: output {i} (shape {ShapeMath.Format(root.ShapeRef)}) does not require grad and has no GradFn; " +
                                                    "did you compute it under Autograd.Pause(), or from tensors without RequiresGrad?");
            var seed = seeds?[i];
            if (seed is null)
            {
                if (root.Count != 1)
                    throw new ArgumentException($"{op}: output {i} has shape {ShapeMath.Format(root.ShapeRef)}; a gradient can be created implicitly only for a " +
                                                "one-element output, so pass one with the output's shape (e.g. Tensor.OnesLike(output))");
                using (Profiler.BackwardOf("Seed")) // a profiler shows the implicit gradient as a backward row of its own
                    seed = Tensor.OnesLike(root);
            }
            else if (!seed.ShapeRef.SequenceEqual(root.ShapeRef))
                throw new ArgumentException($"{op}: the gradient for output {i} has shape {ShapeMath.Format(seed.ShapeRef)} but the output has shape {ShapeMath.Format(root.ShapeRef)}");
            Deliver(root, seed, grads, capture, results, createGraph);
        }

        // Kahn's algorithm on the reachable graph: a node runs once every consumer has handed it its share.
        var pending = CountConsumers(roots);
        var ready = new Stack<Function>();
        foreach (var root in roots)
            if (root.GradFn is { } fn && pending[fn] == 0 && !ready.Contains(fn))
                ready.Push(fn);

        while (ready.Count > 0)
        {
            var fn = ready.Pop();
            if (!grads.Remove(fn, out var dOut))
            {
                // Every consumer gave this node no gradient: nothing flows through it, but its inputs' counts still drop.
                foreach (var input in fn.Inputs)
                    if (input.RequiresGrad && input.GradFn is { } skipped && --pending[skipped] == 0) ready.Push(skipped);
                continue;
            }
            if (fn.IsReleased)
                throw new InvalidOperationException($"{op}: trying to backward through {fn.Name} a second time, but its graph was freed by the first backward; " +
                                                    "pass retainGraph: true to the first Backward (or Autograd.Grad) to keep it");
            if (fn.Hooks is { } hooks)
                using (Profiler.BackwardOf("Hook"))
                    foreach (var hook in hooks) dOut = hook(dOut) ?? dOut;
            var inputs = fn.Inputs;
            var dInputs = BackwardOf(fn, dOut, op);
            if (dInputs.Length != inputs.Count)
                throw new InvalidOperationException($"{op}: {fn.Name}.Backward returned {dInputs.Length} gradients for {inputs.Count} inputs");
            for (int k = 0; k < inputs.Count; k++)
            {
                var input = inputs[k];
                if (!input.RequiresGrad) continue;
                var g = dInputs[k];
                if (g is not null)
                {
                    if (!g.ShapeRef.SequenceEqual(input.ShapeRef))
                        throw new InvalidOperationException($"{op}: {fn.Name}.Backward gave input {k} a gradient of shape {ShapeMath.Format(g.ShapeRef)}, " +
                                                            $"but the input has shape {ShapeMath.Format(input.ShapeRef)}");
                    Deliver(input, g, grads, capture, results, createGraph);
                }
                if (input.GradFn is { } prev && --pending[prev] == 0) ready.Push(prev);
            }
            if (!retainGraph) fn.Release();
        }
        return results;
    }

    /// <summary>
    /// Calls a node's backward. A node keeps the tensors its backward needs; when a dispose scope (or Dispose) has already
    /// released one, say which node needed it and how to keep it, rather than only that some tensor was disposed.
    /// </summary>
    private static Tensor?[] BackwardOf(Function fn, Tensor dOut, string op)
    {
        try
        {
            using var prof = Profiler.BackwardOf(fn.Name);
            return fn.Backward(dOut);
        }
        catch (ObjectDisposedException e)
        {
            throw new ObjectDisposedException($"{op}: {fn.Name}.Backward needs a tensor saved by the forward pass, but it was disposed " +
                                              "(by its DisposeScope ending, or by Dispose()); run backward inside the scope that computed " +
                                              "the graph, or keep the tensors with MoveToOuterDisposeScope(). " + e.Message, e);
        }
    }

    /// <summary>Adds a gradient for tensor <paramref name="t"/>: to its node's pending sum, or to a leaf's .Grad or captured slot.</summary>
    private static void Deliver(Tensor t, Tensor g, Dictionary<Function, Tensor> grads, IReadOnlyList<Tensor>? capture, Tensor?[] results, bool createGraph)
    {
        // The sums of gradients run between nodes: a profiler shows them as one backward row of their own.
        using var prof = Profiler.BackwardOf("AccumulateGrad");
        if (capture is not null)
            for (int i = 0; i < capture.Count; i++)
                if (ReferenceEquals(capture[i], t) || (t.GradFn is not null && ReferenceEquals(capture[i].GradFn, t.GradFn)))
                    results[i] = results[i] is null ? g : results[i]! + g;

        if (t.GradFn is { } fn)
        {
            grads[fn] = grads.TryGetValue(fn, out var acc) ? acc + g : g;
            return;
        }
        // A leaf: its own hooks see (and may replace) the gradient before it is accumulated.
        if (t.LeafHooks is { } hooks)
            foreach (var hook in hooks) g = hook(g) ?? g;
        if (capture is not null) return;
        t.AccumulateGrad(g, createGraph);
    }

    /// <summary>For every node reachable from the roots, how many (consumer, input) edges point at it. Iterative.</summary>
    private static Dictionary<Function, int> CountConsumers(IReadOnlyList<Tensor> roots)
    {
        var count = new Dictionary<Function, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Function>();
        foreach (var root in roots)
            if (root.GradFn is { } fn && count.TryAdd(fn, 0)) stack.Push(fn);
        while (stack.Count > 0)
        {
            var fn = stack.Pop();
            foreach (var input in fn.Inputs)
            {
                if (input.GradFn is not { } prev || !input.RequiresGrad) continue;
                if (count.TryAdd(prev, 1)) stack.Push(prev);
                else count[prev]++;
            }
        }
        return count;
    }
}
