// einsum: Einstein summation over labelled dims, parsed once and then carried out with differentiable primitives
// (permute, reshape, expand, sum, mul, matmul), so its gradients (of any order) come from theirs.
using System.Text;
using DotGrad.Autodiff.Functions;
using DotGrad.Backends;

namespace DotGrad.Autodiff;

/// <summary>
/// <c>torch.einsum(equation, *operands)</c>. The equation names each operand's dims with letters (a-z, A-Z), comma
/// separated, optionally followed by <c>-&gt;</c> and the output's letters:
/// <list type="bullet">
/// <item>explicit output (<c>"ij,jk-&gt;ik"</c>): the dims in that order; every other letter is summed over.</item>
/// <item>implicit output (<c>"ij,jk"</c>): the letters that appear exactly once in the whole equation, in alphabetical
/// order (upper case before lower case, as PyTorch orders them), after the ellipsis dims if any.</item>
/// <item>a letter repeated within one operand takes its diagonal (<c>"ii-&gt;i"</c>; <c>"ii"</c> is the trace);
/// the repeated dims must have the same size.</item>
/// <item><c>"..."</c> stands for the dims no letter names, aligned from the right and broadcast across operands as
/// NumPy does (<c>"...ij,...jk"</c> is a batched matmul); they lead an implicit output, and are summed over when an
/// explicit output leaves them out.</item>
/// <item>a dim of size 1 broadcasts against the same letter's size in another operand.</item>
/// </list>
/// How it is computed: each operand first takes its diagonals (multiplying by an identity mask and summing: n^2
/// elements, simpler than a strided view and differentiable as it stands) and sums the letters no one else needs;
/// then the operands are contracted pairwise, left to right, each pair as one batched matmul [batch, M, K] @
/// [batch, K, N] over its shared letters; finally the leftover letters are summed and the dims permuted into the
/// output order. PyTorch contracts left to right too (unless opt_einsum is installed to choose an order).
/// </summary>
public static class Einsum
{
    private const int Letters = 52; // A-Z are labels 0-25, a-z 26-51; ellipsis dims are 52 and up

    public static Tensor Apply(string equation, IReadOnlyList<Tensor> operands)
    {
        ArgumentNullException.ThrowIfNull(equation);
        ArgumentNullException.ThrowIfNull(operands);
        if (operands.Count == 0) throw new ArgumentException("einsum: expected at least one operand, got none", nameof(operands));
        var (inputs, output) = Parse(equation, operands);

        // The size of each label: equal wherever it appears, or 1 (broadcast).
        var size = new Dictionary<int, int>();
        var where = new Dictionary<int, int>();
        for (int i = 0; i < inputs.Length; i++)
            for (int d = 0; d < inputs[i].Length; d++)
            {
                int label = inputs[i][d], s = operands[i].ShapeRef[d];
                int first = Array.IndexOf(inputs[i], label);
                if (first < d && operands[i].ShapeRef[first] != s)
                    throw new ArgumentException($"einsum: {Describe(label)} repeats in operand {i} of '{equation}' with sizes " +
                                                $"{operands[i].ShapeRef[first]} and {s}; a diagonal needs equal sizes", nameof(equation));
                if (!size.TryGetValue(label, out int known) || known == 1) { size[label] = s; where[label] = i; }
                else if (s != known && s != 1)
                    throw new ArgumentException($"einsum: {Describe(label)} has size {known} in operand {where[label]} and size {s} in operand {i} " +
                                                $"of '{equation}'; sizes must agree or be 1 (broadcast)");
            }

        // Each operand: diagonals of repeated labels, then sum the labels that neither the output nor another operand has.
        var terms = new (Tensor X, List<int> Labels)[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var (x, labels) = TakeDiagonals(operands[i], inputs[i].ToList());
            var needed = new HashSet<int>(output);
            for (int j = 0; j < inputs.Length; j++) if (j != i) needed.UnionWith(inputs[j]);
            terms[i] = SumOut(x, labels, needed);
        }

        var (result, resultLabels) = terms[0];
        for (int i = 1; i < terms.Length; i++)
        {
            var keep = new HashSet<int>(output);
            for (int j = i + 1; j < terms.Length; j++) keep.UnionWith(terms[j].Labels);
            (result, resultLabels) = Contract((result, resultLabels), terms[i], keep);
        }
        (result, resultLabels) = SumOut(result, resultLabels, new HashSet<int>(output));
        var order = output.Select(l => resultLabels.IndexOf(l)).ToArray();
        return order.Select((p, i) => p == i).All(b => b) ? result : result.Permute(order);
    }

    /// <summary>Each operand's labels (one per dim, ellipsis dims expanded) and the output's labels.</summary>
    private static (int[][] Inputs, int[] Output) Parse(string equation, IReadOnlyList<Tensor> operands)
    {
        string eq = equation.Replace(" ", "", StringComparison.Ordinal);
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        if (arrow >= 0 && eq.IndexOf("->", arrow + 2, StringComparison.Ordinal) >= 0)
            throw new ArgumentException($"einsum: the equation '{equation}' has more than one '->'", nameof(equation));
        string lhs = arrow >= 0 ? eq[..arrow] : eq;
        var terms = lhs.Split(',');
        if (terms.Length != operands.Count)
            throw new ArgumentException($"einsum: the equation '{equation}' has subscripts for {terms.Length} operand(s) but {operands.Count} were given", nameof(operands));

        var parsed = terms.Select(t => ParseTerm(t, equation)).ToArray();
        int ellipsisRank = 0;
        for (int i = 0; i < parsed.Length; i++)
        {
            var (letters, ellipsisAt) = parsed[i];
            int rank = operands[i].Rank;
            if (ellipsisAt < 0 && rank != letters.Count)
                throw new ArgumentException($"einsum: operand {i} has rank {rank} (shape {ShapeMath.Format(operands[i].ShapeRef)}) but its subscripts " +
                                            $"'{terms[i]}' name {letters.Count} dims; give one letter per dim, or '...' for the rest", nameof(operands));
            if (ellipsisAt >= 0 && rank < letters.Count)
                throw new ArgumentException($"einsum: operand {i} has rank {rank} (shape {ShapeMath.Format(operands[i].ShapeRef)}) but its subscripts " +
                                            $"'{terms[i]}' name {letters.Count} dims besides '...'", nameof(operands));
            if (ellipsisAt >= 0) ellipsisRank = Math.Max(ellipsisRank, rank - letters.Count);
        }

        // Ellipsis dims align from the right: an operand with e of them gets the last e of the ellipsisRank labels.
        var inputs = new int[parsed.Length][];
        for (int i = 0; i < parsed.Length; i++)
        {
            var (letters, ellipsisAt) = parsed[i];
            if (ellipsisAt < 0) { inputs[i] = letters.ToArray(); continue; }
            int e = operands[i].Rank - letters.Count;
            var ell = Enumerable.Range(Letters + ellipsisRank - e, e);
            inputs[i] = [.. letters.Take(ellipsisAt), .. ell, .. letters.Skip(ellipsisAt)];
        }
        var allEllipsis = Enumerable.Range(Letters, ellipsisRank).ToArray();

        int[] output;
        if (arrow >= 0)
        {
            var (letters, ellipsisAt) = ParseTerm(eq[(arrow + 2)..], equation);
            output = ellipsisAt < 0 ? letters.ToArray() : [.. letters.Take(ellipsisAt), .. allEllipsis, .. letters.Skip(ellipsisAt)];
            var used = inputs.SelectMany(l => l).ToHashSet();
            foreach (var group in letters.GroupBy(l => l))
            {
                if (group.Count() > 1)
                    throw new ArgumentException($"einsum: the output of '{equation}' names {Describe(group.Key)} more than once", nameof(equation));
                if (!used.Contains(group.Key))
                    throw new ArgumentException($"einsum: the output of '{equation}' names {Describe(group.Key)}, which no operand has", nameof(equation));
            }
        }
        else
        {
            var counts = parsed.SelectMany(p => p.Letters).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key).Order();
            output = [.. allEllipsis, .. counts];
        }
        return (inputs, output);
    }

    /// <summary>The letters of one term (labels 0-51) and where its "..." stands among them (-1: none).</summary>
    private static (List<int> Letters, int EllipsisAt) ParseTerm(string term, string equation)
    {
        var letters = new List<int>();
        int ellipsisAt = -1;
        for (int k = 0; k < term.Length; k++)
        {
            char c = term[k];
            if (c is >= 'A' and <= 'Z') letters.Add(c - 'A');
            else if (c is >= 'a' and <= 'z') letters.Add(26 + c - 'a');
            else if (c == '.')
            {
                if (k + 2 >= term.Length || term[k + 1] != '.' || term[k + 2] != '.')
                    throw new ArgumentException($"einsum: the equation '{equation}' has a '.' that is not part of '...'", nameof(equation));
                if (ellipsisAt >= 0)
                    throw new ArgumentException($"einsum: the subscripts '{term}' of '{equation}' have '...' more than once", nameof(equation));
                ellipsisAt = letters.Count;
                k += 2;
            }
            else
                throw new ArgumentException($"einsum: the equation '{equation}' has '{c}'; subscripts are letters a-z and A-Z, '...', ',' and '->'", nameof(equation));
        }
        return (letters, ellipsisAt);
    }

    private static string Describe(int label) =>
        label < 26 ? $"subscript '{(char)('A' + label)}'" : label < Letters ? $"subscript '{(char)('a' + label - 26)}'" : $"ellipsis dim {label - Letters}";

    /// <summary>For each label repeated within the operand: keep its diagonal (x * I summed over the second dim).</summary>
    private static (Tensor, List<int>) TakeDiagonals(Tensor x, List<int> labels)
    {
        for (int q = 1; q < labels.Count; q++)
        {
            int p = labels.IndexOf(labels[q]);
            if (p == q) continue;
            int n = x.ShapeRef[p]; // equal to x.ShapeRef[q], as Apply checked
            var maskShape = Enumerable.Repeat(1, x.Rank).ToArray();
            maskShape[p] = maskShape[q] = n;
            using var eye = Tensor.Eye(n, null, x.DType, x.Device);
            var mask = eye.Reshape(maskShape); // a handle of its own on the identity's storage
            var masked = x * mask;
            x = masked.Sum(q);
            if (masked.GradFn is null) mask.Dispose(); // else Mul's backward reads it
            labels.RemoveAt(q);
            q--;
        }
        return (x, labels);
    }

    /// <summary>Sums the dims whose labels are not in <paramref name="keep"/>.</summary>
    private static (Tensor, List<int>) SumOut(Tensor x, List<int> labels, HashSet<int> keep)
    {
        var dims = Enumerable.Range(0, labels.Count).Where(d => !keep.Contains(labels[d])).ToArray();
        if (dims.Length == 0) return (x, labels);
        return (x.Sum(dims), labels.Where(l => keep.Contains(l)).ToList());
    }

    /// <summary>
    /// a and b contracted over the labels they share that <paramref name="keep"/> does not need, as one batched matmul:
    /// a [batch, aOnly, shared] @ b [batch, shared, bOnly]; the result's labels are batch + aOnly + bOnly.
    /// </summary>
    private static (Tensor, List<int>) Contract((Tensor X, List<int> Labels) a, (Tensor X, List<int> Labels) b, HashSet<int> keep)
    {
        var keepA = new HashSet<int>(keep);
        keepA.UnionWith(b.Labels);
        var keepB = new HashSet<int>(keep);
        keepB.UnionWith(a.Labels);
        var (ax, al) = SumOut(a.X, a.Labels, keepA);
        var (bx, bl) = SumOut(b.X, b.Labels, keepB);

        var batch = al.Where(l => bl.Contains(l) && keep.Contains(l)).ToList();
        var shared = al.Where(l => bl.Contains(l) && !keep.Contains(l)).ToList();
        var aOnly = al.Where(l => !bl.Contains(l)).ToList();
        var bOnly = bl.Where(l => !al.Contains(l)).ToList();

        // A shared label of size 1 on one side: that side is constant along it, so sum the other side over it first.
        foreach (var l in shared)
        {
            int sa = ax.ShapeRef[al.IndexOf(l)], sb = bx.ShapeRef[bl.IndexOf(l)];
            if (sa == 1 && sb != 1) bx = bx.Sum(bl.IndexOf(l), keepDim: true);
            else if (sb == 1 && sa != 1) ax = ax.Sum(al.IndexOf(l), keepDim: true);
        }

        int SizeOf(int l) => Math.Max(al.Contains(l) ? ax.ShapeRef[al.IndexOf(l)] : 1, bl.Contains(l) ? bx.ShapeRef[bl.IndexOf(l)] : 1);
        int Product(List<int> ls) => ls.Aggregate(1, (acc, l) => acc * SizeOf(l));
        int B = Product(batch), M = Product(aOnly), K = Product(shared), N = Product(bOnly);

        // a: [batch..., aOnly..., shared...] -> [B, M, K]; b: [batch..., shared..., bOnly...] -> [B, K, N]
        var a3 = Arrange(ax, al, [.. batch, .. aOnly, .. shared], SizeOf).Reshape(B, M, K);
        var b3 = Arrange(bx, bl, [.. batch, .. shared, .. bOnly], SizeOf).Reshape(B, K, N);
        var c = a3.MatMul(b3);                                                  // [B, M, N]
        var labels = batch.Concat(aOnly).Concat(bOnly).ToList();
        return (c.Reshape(labels.Select(SizeOf).ToArray()), labels);
    }

    /// <summary>x's dims permuted into <paramref name="order"/>'s labels, size-1 dims expanded to the label's size.</summary>
    private static Tensor Arrange(Tensor x, List<int> labels, List<int> order, Func<int, int> sizeOf)
    {
        var perm = order.Select(l => labels.IndexOf(l)).ToArray();
        if (!perm.Select((p, i) => p == i).All(s => s)) x = x.Permute(perm);
        var target = order.Select(sizeOf).ToArray();
        return x.ShapeRef.SequenceEqual(target) ? x : x.Expand(target);
    }

    [GradChecks]
    internal static OpChecks Checks()
    {
        Type[] core = [typeof(Permute), typeof(Reshape), typeof(Functions.MatMul)];
        OpSample Shapes(SampleDraw d, params int[][] shapes) => new(shapes.Select((int[] s) => d.In(d.Uniform(s, -1, 1))).ToList());
        return OpChecks.Composite("matmul")
            .Op("einsum_matmul", x => Tensor.Einsum("ij,jk->ik", x), d => Shapes(d, [2, 3], [3, 2]), uses: core)
            .Op("einsum_batched_broadcast", x => Tensor.Einsum("bij,bjk->bik", x), d => Shapes(d, [1, 2, 3], [2, 3, 2]),
                uses: [.. core, typeof(Expand)])
            .Op("einsum_implicit_outer", x => Tensor.Einsum("i,j", x), d => Shapes(d, [3], [2]), uses: core)
            .Op("einsum_trace", x => Tensor.Einsum("ii", x), d => Shapes(d, [3, 3]), uses: [typeof(Mul), typeof(Sum)])
            .Op("einsum_diagonal_times", x => Tensor.Einsum("ii,i->i", x), d => Shapes(d, [3, 3], [3]), uses: [.. core, typeof(Mul), typeof(Sum)])
            .Op("einsum_ellipsis", x => Tensor.Einsum("...ij,...jk", x), d => Shapes(d, [2, 1, 2, 3], [3, 3, 2]), uses: [.. core, typeof(Expand)])
            .Op("einsum_three_operands", x => Tensor.Einsum("ij,jk,kl->li", x), d => Shapes(d, [2, 3], [3, 2], [2, 2]), uses: core)
            .Op("einsum_frobenius", x => Tensor.Einsum("ij,ij", x), d => Shapes(d, [2, 3], [2, 3]), uses: core);
    }
}
