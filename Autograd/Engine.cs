// The backward pass: order the graph without recursion, seed the outputs, call each node's Backward once all of its
// consumers have contributed, accumulate with +=, check every gradient's shape, free the graph, and (inside a dispose
// scope) free each gradient temporary as soon as nothing needs it.
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
        // Without a scope the gradients are the GC's, as before; under createGraph they are part of a graph the user keeps.
        var owned = !createGraph && DisposeScope.Current is not null ? new Ownership() : null;

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
                owned?.Adopt(seed);
            }
            else if (!seed.ShapeRef.SequenceEqual(root.ShapeRef))
                throw new ArgumentException($"{op}: the gradient for output {i} has shape {ShapeMath.Format(seed.ShapeRef)} but the output has shape {ShapeMath.Format(root.ShapeRef)}");
            Deliver(root, seed, grads, capture, results, createGraph, owned);
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
                    foreach (var hook in hooks)
                    {
                        owned?.Disown(dOut); // a hook may keep what it is given
                        dOut = hook(dOut) ?? dOut;
                    }
            var inputs = fn.Inputs;
            var dInputs = owned is null ? BackwardOf(fn, dOut, op) : BackwardInScope(fn, dOut, op, owned);
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
                    Deliver(input, g, grads, capture, results, createGraph, owned);
                }
                if (input.GradFn is { } prev && --pending[prev] == 0) ready.Push(prev);
            }
            if (owned is not null)
            {
                // dOut has been used; what this backward made and no pending sum holds is done with too.
                owned.Drop(dOut);
                foreach (var g in dInputs)
                    if (g is not null) owned.DisposeIfUnheld(g);
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
        fn.CheckSavedVersions(op);
        try
        {
            Tensor?[] gradients;
            using (Profiler.BackwardOf(fn.Name))
                gradients = fn.Backward(dOut);
            Autograd.CheckBackward(fn, dOut, gradients);
            return gradients;
        }
        catch (ObjectDisposedException e)
        {
            throw new ObjectDisposedException($"{op}: {fn.Name}.Backward needs a tensor saved by the forward pass, but it was disposed " +
                                              "(by its DisposeScope ending, or by Dispose()); run backward inside the scope that computed " +
                                              "the graph, or keep the tensors with MoveToOuterDisposeScope(). " + e.Message, e);
        }
    }

    /// <summary>
    /// Runs a node's backward in a nested dispose scope, so the temporaries it makes die as it returns; the gradients it
    /// returns move out to the caller's scope and become the engine's to free. A returned tensor made before (dOut
    /// itself, a saved tensor) stays where it was and keeps its owner.
    /// </summary>
    private static Tensor?[] BackwardInScope(Function fn, Tensor dOut, string op, Ownership owned)
    {
        using var scope = Tensor.NewDisposeScope();
        var dInputs = BackwardOf(fn, dOut, op);
        foreach (var g in dInputs)
            if (g is not null && ReferenceEquals(g.OwningDisposeScope, scope))
            {
                scope.MoveToOuter(g);
                owned.Adopt(g);
            }
        return dInputs;
    }

    /// <summary>Adds a gradient for tensor <paramref name="t"/>: to its node's pending sum, or to a leaf's .Grad or captured slot.</summary>
    private static void Deliver(Tensor t, Tensor g, Dictionary<Function, Tensor> grads, IReadOnlyList<Tensor>? capture, Tensor?[] results, bool createGraph,
                                Ownership? owned)
    {
        // The sums of gradients run between nodes: a profiler shows them as one backward row of their own.
        using var prof = Profiler.BackwardOf("AccumulateGrad");
        if (capture is not null)
            for (int i = 0; i < capture.Count; i++)
                if (ReferenceEquals(capture[i], t) || (t.GradFn is not null && ReferenceEquals(capture[i].GradFn, t.GradFn)))
                {
                    owned?.Disown(g); // returned to the caller
                    results[i] = results[i] is null ? g : results[i]! + g;
                }

        if (t.GradFn is { } fn)
        {
            if (grads.TryGetValue(fn, out var acc))
            {
                var sum = acc + g;
                owned?.Adopt(sum);
                owned?.Hold(sum);
                owned?.Drop(acc); // g itself is freed by its producer's step, if no other sum holds it
                grads[fn] = sum;
            }
            else
            {
                owned?.Hold(g);
                grads[fn] = g;
            }
            return;
        }
        // A leaf: its own hooks see (and may replace) the gradient before it is accumulated.
        if (t.LeafHooks is { } hooks)
            foreach (var hook in hooks)
            {
                owned?.Disown(g); // a hook may keep what it is given
                g = hook(g) ?? g;
            }
        if (capture is not null) return;
        // Without createGraph .Grad becomes a detached view of g (or a new sum), so freeing g later leaves .Grad's storage alive.
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

    /// <summary>
    /// The gradients only the engine can reach (the implicit seed, what a backward made, the partial sums), each with how
    /// many pending sums hold it; one is disposed when it is done with and no sum holds it. Anything handed to the user
    /// (a hook's argument, an Autograd.Grad result) is disowned and never disposed here; tensors the engine did not
    /// make (seeds passed in, saved tensors, leaves) are never owned in the first place.
    /// </summary>
    private sealed class Ownership
    {
        private readonly Dictionary<Tensor, int> _holders = new(ReferenceEqualityComparer.Instance);

        public void Adopt(Tensor t) => _holders.TryAdd(t, 0);

        public void Disown(Tensor t) => _holders.Remove(t);

        public void Hold(Tensor t)
        {
            if (_holders.TryGetValue(t, out int n)) _holders[t] = n + 1;
        }

        /// <summary>One holder lets go; the last one frees the tensor.</summary>
        public void Drop(Tensor t)
        {
            if (!_holders.TryGetValue(t, out int n)) return;
            if (n > 1) _holders[t] = n - 1;
            else
            {
                _holders.Remove(t);
                t.Dispose();
            }
        }

        /// <summary>Frees a tensor no pending sum holds (used once, or not at all).</summary>
        public void DisposeIfUnheld(Tensor t)
        {
            if (_holders.TryGetValue(t, out int n) && n == 0)
            {
                _holders.Remove(t);
                t.Dispose();
            }
        }
    }
}
