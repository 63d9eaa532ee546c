// Jacobian-vector and Hessian-vector products, built from the reverse mode (torch.autograd.functional.jvp and hvp).
using DotGrad.Backends;

namespace DotGrad.Autodiff;

public static partial class Autograd
{
    /// <summary>
    /// The Jacobian-vector product J v of <paramref name="f"/> at <paramref name="inputs"/> along
    /// <paramref name="tangents"/> (one per input, of its shape), with f's outputs: like
    /// <c>torch.autograd.functional.jvp(func, inputs, v)</c>, returning detached outputs and products (one per output).
    /// <para>How it is computed (PyTorch's "double-backward trick"; there is no forward-mode engine): with a dummy
    /// cotangent u per output (zeros that require grad), one reverse pass with <c>createGraph</c> gives g(u) = J^T u,
    /// a graph linear in u; a second reverse pass of g seeded with v, with respect to u, gives (J^T)^T v = J v. Cost:
    /// one forward and two reverse passes (the first records its own graph), so about three to four times the forward,
    /// and the first pass's graph is held until the second ends. f must be differentiable twice over in the sense that
    /// its backward is built from recorded ops, as every op here is. Inputs are used as detached copies; outputs that
    /// do not depend on them get zero products.</para>
    /// </summary>
    public static (Tensor[] Outputs, Tensor[] Jvp) Jvp(Func<Tensor[], Tensor[]> f, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> tangents)
    {
        var xs = Leaves("jvp", f, inputs, tangents, "tangent");
        Tensor[] outputs;
        using (SetEnabled(true)) outputs = f(xs);
        if (outputs is null || outputs.Length == 0) throw new ArgumentException("jvp: f returned no outputs", nameof(f));
        var jvp = new Tensor[outputs.Length];
        var live = Enumerable.Range(0, outputs.Length).Where(i => outputs[i].RequiresGrad).ToArray();
        if (live.Length > 0)
        {
            var dummies = live.Select(i => Tensor.ZerosLike(outputs[i]).RequireGrad()).ToArray();
            var vjp = Grad(live.Select(i => outputs[i]).ToArray(), xs, dummies, createGraph: true, allowUnused: true); // J^T u
            var linked = Enumerable.Range(0, xs.Length).Where(j => vjp[j].RequiresGrad).ToArray();
            if (linked.Length > 0)
            {
                var jv = Grad(linked.Select(j => vjp[j]).ToArray(), dummies, linked.Select(j => tangents[j]).ToArray(), allowUnused: true);
                for (int k = 0; k < live.Length; k++) jvp[live[k]] = jv[k].Detach();
            }
        }
        for (int i = 0; i < outputs.Length; i++) jvp[i] ??= Tensor.ZerosLike(outputs[i]);
        return (outputs.Select(o => o.Detach()).ToArray(), jvp);
    }

    /// <summary>One input, one output: <see cref="Jvp(Func{Tensor[], Tensor[]}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor})"/>.</summary>
    public static (Tensor Output, Tensor Jvp) Jvp(Func<Tensor, Tensor> f, Tensor input, Tensor tangent)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (outputs, jvp) = Jvp(xs => [f(xs[0])], [input], [tangent]);
        return (outputs[0], jvp[0]);
    }

    /// <summary>
    /// The Hessian-vector product H v of a scalar function <paramref name="f"/> at <paramref name="inputs"/> along
    /// <paramref name="v"/> (one per input, of its shape), with f's value: like
    /// <c>torch.autograd.functional.hvp(func, inputs, v)</c>, detached.
    /// <para>How it is computed (reverse over reverse): one reverse pass with <c>createGraph</c> gives the gradient
    /// g(x) as a graph; a second reverse pass of g seeded with v gives v^T H, which is H v because the Hessian of a
    /// twice continuously differentiable f is symmetric. Cost: one forward and two reverse passes (the first
    /// recording its graph), about four to five times the forward. An f that is linear in some input gives zeros there.</para>
    /// </summary>
    public static (Tensor Output, Tensor[] Hvp) Hvp(Func<Tensor[], Tensor> f, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> v)
    {
        var xs = Leaves("hvp", f, inputs, v, "v");
        Tensor y;
        using (SetEnabled(true)) y = f(xs);
        if (y is null || y.Count != 1)
            throw new ArgumentException($"hvp: f must return a single value (a scalar), got shape {(y is null ? "null" : ShapeMath.Format(y.ShapeRef))}; reduce it (Sum, Mean) first", nameof(f));
        var hvp = new Tensor[xs.Length];
        if (y.RequiresGrad)
        {
            var grad = Grad([y], xs, [Tensor.OnesLike(y)], createGraph: true, allowUnused: true);
            var linked = Enumerable.Range(0, xs.Length).Where(j => grad[j].RequiresGrad).ToArray();
            if (linked.Length > 0)
            {
                var hv = Grad(linked.Select(j => grad[j]).ToArray(), xs, linked.Select(j => v[j]).ToArray(), allowUnused: true);
                for (int j = 0; j < xs.Length; j++) hvp[j] = hv[j].Detach();
            }
        }
        for (int j = 0; j < xs.Length; j++) hvp[j] ??= Tensor.ZerosLike(xs[j]);
        return (y.Detach(), hvp);
    }

    /// <summary>One input: <see cref="Hvp(Func{Tensor[], Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor})"/>.</summary>
    public static (Tensor Output, Tensor Hvp) Hvp(Func<Tensor, Tensor> f, Tensor input, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (output, hvp) = Hvp(xs => f(xs[0]), [input], [v]);
        return (output, hvp[0]);
    }

    /// <summary>Checks inputs against their vectors (count, shape, dtype, device) and returns detached leaves that require grad.</summary>
    private static Tensor[] Leaves(string op, object f, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> vectors, string what)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(vectors);
        if (inputs.Count == 0) throw new ArgumentException($"{op}: expected at least one input, got none", nameof(inputs));
        if (vectors.Count != inputs.Count)
            throw new ArgumentException($"{op}: expected one {what} per input ({inputs.Count}), got {vectors.Count}", nameof(vectors));
        for (int i = 0; i < inputs.Count; i++)
        {
            Tensor x = inputs[i], t = vectors[i];
            if (x.DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"{op}: input {i} must be floating point (Float32 or Float64), got {x.DType}", nameof(inputs));
            if (!t.ShapeRef.AsSpan().SequenceEqual(x.ShapeRef) || t.DType != x.DType || t.Device != x.Device)
                throw new ArgumentException($"{op}: {what} {i} must match its input (shape {ShapeMath.Format(x.ShapeRef)}, {x.DType}, {x.Device}), " +
                                            $"got shape {ShapeMath.Format(t.ShapeRef)}, {t.DType}, {t.Device}", nameof(vectors));
        }
        return inputs.Select(x => x.Detach().RequireGrad()).ToArray();
    }
}
