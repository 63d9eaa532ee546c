// Sum/max/min over any set of axes and arg-max/arg-min along one axis (reduce.cl): work-group tiles that fold
// with local-memory trees, a one-work-item-per-output loop for many short runs, and a two-pass split for a few
// long runs.
using System.Globalization;
using System.Numerics;

namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>Runs up to this long are folded by one work item each (reduce_loop) when the outputs alone fill a work group.</summary>
    private const int LoopExtent = 16;

    /// <summary>A split run gives each work item at least this many elements, so the second pass is worth its launch.</summary>
    private const int MinPerItem = 32;

    /// <summary>At most this many partials per output: the second pass reduces them in one work group.</summary>
    private const int MaxParts = 1024;

    /// <summary>The work-group size of the tile kernels: <see cref="WorkGroup"/> rounded down to a power of two, so trees halve evenly.</summary>
    internal int Group => 1 << BitOperations.Log2((uint)WorkGroup);

    /// <summary>A work group seen as <see cref="Cols"/> outputs (lines) with <see cref="Rows"/> work items each; Cols * Rows = Group.</summary>
    private readonly record struct Tile(int Cols, int Rows);

    /// <summary>
    /// The tile for <paramref name="outputs"/> runs of <paramref name="extent"/> elements. When neighbouring
    /// outputs are neighbours in memory (a reduction over a leading axis), up to 32 of them share a group so each
    /// row of work items reads one contiguous segment; otherwise each output gets as many work items as its run
    /// can use (up to the whole group), and short runs pack several outputs into a group.
    /// </summary>
    private Tile ChooseTile(int outputs, int extent, bool outputsAdjacent)
    {
        int group = Group;
        int rows = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(extent, 1)), (uint)group);
        if (outputsAdjacent)
        {
            int cols = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)outputs), (uint)Math.Min(32, group));
            rows = Math.Min(rows, group / cols);
        }
        return new Tile(group / rows, rows);
    }

    /// <summary>Queues <paramref name="groups"/> work groups of <see cref="Group"/> items.</summary>
    private void LaunchGroups(nint kernel, long groups, params ReadOnlySpan<KernelArg> args) =>
        Launch(kernel, [(nuint)groups * (nuint)Group], [(nuint)Group], args);

    /// <summary>
    /// A reduction with contiguous dims merged: the kept dims (one output each) with x's and y's strides, and the
    /// dims of each output's run with x's strides. Either may be empty (rank 0): one output, or runs of one.
    /// </summary>
    private sealed record ReducePlan(int[] KeptShape, int[] KeptX, int[] KeptY, int[] RunShape, int[] RunX)
    {
        public int Outputs => ShapeMath.Count(KeptShape);
        public int Extent => ShapeMath.Count(RunShape);

        /// <summary>True when output o + 1 starts one element after output o in x while runs are not contiguous: tiles then take outputs side by side.</summary>
        public bool OutputsAdjacent => KeptX.Length > 0 && KeptX[^1] == 1 && (RunX.Length == 0 || RunX[^1] != 1);
    }

    public void Reduce<TOp>(Strided x, Strided y, int[] axes) where TOp : struct, IReduceOperator<TOp>
    {
        if (x.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)) throw Unsupported(TOp.Name, x.DType);
        if (y.Count == 0) return;
        bool isInt = x.DType == DType.Int32, isLong = x.DType == DType.Int64;

        // Which dims are reduced is read off y's shape (size 1 where x's is not), as the reference does.
        List<int> keptShape = [], keptX = [], keptY = [], runShape = [], runX = [];
        for (int d = 0; d < x.Rank; d++)
        {
            if (y.Shape[d] == x.Shape[d]) { keptShape.Add(x.Shape[d]); keptX.Add(x.Strides[d]); keptY.Add(y.Strides[d]); }
            else { runShape.Add(x.Shape[d]); runX.Add(x.Strides[d]); }
        }
        var (kShape, kStrides) = ShapeMath.Coalesce([.. keptShape], [.. keptX], [.. keptY]);
        var (rShape, rStrides) = ShapeMath.Coalesce([.. runShape], [.. runX]);
        var plan = new ReducePlan(kShape, kStrides[0], kStrides[1], rShape, rStrides[0]);

        if (plan.Extent == 0)
        {
            // The sum of nothing is 0, the max of nothing -inf (int.MinValue for Int32): the identity, as in the reference.
            // (long.MinValue and long.MaxValue are -2^63 and 2^63 as doubles, which Fill saturates back to them.)
            Fill(y, isLong ? TOp.IdentityInt64 : isInt ? TOp.IdentityInt32 : TOp.Identity);
            return;
        }
        string identity = isLong ? LongLiteral(TOp.IdentityInt64) : isInt ? IntLiteral(TOp.IdentityInt32) : FloatLiteral(TOp.Identity);
        string expression = isLong ? TOp.OpenCLInt64 : isInt ? TOp.OpenCLInt32 : TOp.OpenCL;
        string defines = $"#define T {CType(x.DType)}\n#define GROUP {Group}\n#define REDUCE(a, b) ({expression})\n#define IDENTITY {identity}";
        RunReduce(TOp.Name, defines, x.DType, x.Storage, x.Offset, y.Storage, y.Offset, plan, mayHaveSplit: true);
    }

    private void RunReduce(string op, string defines, DType dtype, Storage x, int xo, Storage y, int yo, ReducePlan plan, bool mayHaveSplit)
    {
        int outputs = plan.Outputs, extent = plan.Extent;
        Int8 keptShape = Int8.From(plan.KeptShape, op, pad: 1), keptX = Int8.From(plan.KeptX, op);
        Int8 runShape = Int8.From(plan.RunShape, op, pad: 1), runX = Int8.From(plan.RunX, op);
        int keptRank = plan.KeptShape.Length, runRank = plan.RunShape.Length;

        if (extent <= LoopExtent && outputs >= Group)
        {
            Launch1D(Kernels.Kernel("reduce.cl", defines, "reduce_loop"), outputs,
                KernelArg.Buffer(x), xo, keptX, runShape, runX, runRank,
                KernelArg.Buffer(y), yo, Int8.From(plan.KeptY, op), keptShape, keptRank, outputs, extent);
            return;
        }

        var tile = ChooseTile(outputs, extent, plan.OutputsAdjacent);
        int tiles = (outputs + tile.Cols - 1) / tile.Cols;
        int parts = mayHaveSplit ? Parts(tiles, extent, tile.Rows) : 1;
        var kernel = Kernels.Kernel("reduce.cl", defines, "reduce_tile");
        if (parts == 1)
        {
            LaunchGroups(kernel, tiles,
                KernelArg.Buffer(x), xo, keptX, runShape, runX, runRank,
                KernelArg.Buffer(y), yo, Int8.From(plan.KeptY, op), keptShape, keptRank, outputs, extent, tile.Cols, 1);
            return;
        }

        // Pass 1 writes partials [outputs, parts] (row-major over the kept dims); pass 2 reduces each output's row.
        var partials = Allocate(dtype, outputs * parts);
        int[] partialStrides = ShapeMath.ContiguousStrides(plan.KeptShape).Select(s => s * parts).ToArray();
        LaunchGroups(kernel, (long)tiles * parts,
            KernelArg.Buffer(x), xo, keptX, runShape, runX, runRank,
            KernelArg.Buffer(partials), 0, Int8.From(partialStrides, op), keptShape, keptRank, outputs, extent, tile.Cols, parts);
        RunReduce(op, defines, dtype, partials, 0, y, yo, new ReducePlan(plan.KeptShape, partialStrides, plan.KeptY, [parts], [1]), mayHaveSplit: false);
        // The queue runs in order, so whoever is handed this buffer next uses it after both passes.
        partials.Release();
    }

    /// <summary>
    /// How many work groups share each tile's runs: enough for about four groups per compute unit when the tiles
    /// alone are fewer, but never so many that a work item folds fewer than <see cref="MinPerItem"/> elements.
    /// </summary>
    private int Parts(int tiles, int extent, int rows)
    {
        long target = 4L * Math.Max(1, Info.ComputeUnits);
        if (tiles >= target) return 1;
        long byDevice = (target + tiles - 1) / tiles;
        long byWork = extent / ((long)rows * MinPerItem);
        return (int)Math.Clamp(Math.Min(byDevice, byWork), 1, MaxParts);
    }

    /// <summary>An identity as an OpenCL C expression of type T.</summary>
    private static string FloatLiteral(double value) =>
        double.IsPositiveInfinity(value) ? "INFINITY"
        : double.IsNegativeInfinity(value) ? "(-INFINITY)"
        : double.IsNaN(value) ? "NAN"
        : "((T)" + value.ToString("R", CultureInfo.InvariantCulture) + ")";

    /// <summary>An Int32 identity as an OpenCL C expression (int.MinValue has no literal of type int).</summary>
    private static string IntLiteral(int value) => value switch
    {
        int.MinValue => "INT_MIN",
        int.MaxValue => "INT_MAX",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>An Int64 identity as an OpenCL C expression of type long.</summary>
    private static string LongLiteral(long value) => value switch
    {
        long.MinValue => "LONG_MIN",
        long.MaxValue => "LONG_MAX",
        _ => "((long)" + value.ToString(CultureInfo.InvariantCulture) + "L)",
    };

    public void ArgReduce(Strided x, Strided values, Strided indices, int axis, bool max)
    {
        string op = max ? "argmax" : "argmin";
        if (x.DType is not (DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)) throw Unsupported(op, x.DType);
        int lines = values.Count, len = x.Shape[axis];
        if (lines == 0) return;
        if (len == 0)
            throw new ArgumentException($"{op}: dim {axis} of x has size 0, and an empty line has no maximum or minimum; reduce over a non-empty dim");

        // One line per element of values (size 1 on the axis, so Coalesce drops it); x's strides over that shape
        // find each line's first element.
        var (lineShape, strides) = ShapeMath.Coalesce(values.Shape, x.Strides, values.Strides, indices.Strides);
        int step = x.Strides[axis];
        var tile = ChooseTile(lines, len, outputsAdjacent: strides[0].Length > 0 && strides[0][^1] == 1 && step != 1);
        string defines = $"#define T {CType(x.DType)}\n#define GROUP {Group}\n#define ARG\n" +
                         $"#define BEATS(a, b) ((a) {(max ? ">" : "<")} (b))\n#define IS_NAN(v) {(x.DType.IsInteger() ? "0" : "isnan(v)")}";
        LaunchGroups(Kernels.Kernel("reduce.cl", defines, "arg_tile"), (lines + tile.Cols - 1) / tile.Cols,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(strides[0], op), step,
            KernelArg.Buffer(values.Storage), values.Offset, Int8.From(strides[1], op),
            KernelArg.Buffer(indices.Storage), indices.Offset, Int8.From(strides[2], op),
            Int8.From(lineShape, op, pad: 1), lineShape.Length, lines, len, tile.Cols);
    }
}
