// Layer norm over the last axis (layernorm.cl): the forward and dx kernels take one tile of rows per work group and
// sum by local-memory trees; dweight and dbias are column sums over the rows, split into slices when the columns
// alone would leave the device idle.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    /// <summary>The rows of x [..., C]: their coalesced shape, and each operand's strides over it (per-row operands have none on the last axis).</summary>
    private static (int[] Shape, int[][] Strides) RowPlan(Strided x, params int[][] strides)
    {
        var lineShape = (int[])x.Shape.Clone();
        lineShape[^1] = 1;
        return ShapeMath.Coalesce(lineShape, strides);
    }

    private static int[] PerRow(Strided v) => [.. v.Strides, 0];

    public void LayerNorm(Strided x, Strided? weight, Strided? bias, Strided y, Strided mean, Strided rstd, double eps)
    {
        const string op = "layer_norm";
        if (x.DType is not (DType.Float32 or DType.Float64)) throw Unsupported(op, x.DType);
        int len = x.Shape[^1];
        var (shape, strides) = RowPlan(x, x.Strides, y.Strides, PerRow(mean), PerRow(rstd));
        int lines = ShapeMath.Count(shape);
        if (lines == 0) return;
        var tile = ChooseTile(lines, len, outputsAdjacent: strides[0].Length > 0 && strides[0][^1] == 1 && x.Strides[^1] != 1);
        var w = weight ?? x;
        var b = bias ?? x;
        string defines = $"#define T {CType(x.DType)}\n#define GROUP {Group}";
        LaunchGroups(Kernels.Kernel("layernorm.cl", defines, "layernorm_tile"), (lines + tile.Cols - 1) / tile.Cols,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(strides[0], op), x.Strides[^1],
            KernelArg.Buffer(w.Storage), w.Offset, w.Strides[0], weight is null ? 0 : 1,
            KernelArg.Buffer(b.Storage), b.Offset, b.Strides[0], bias is null ? 0 : 1,
            KernelArg.Buffer(y.Storage), y.Offset, Int8.From(strides[1], op), y.Strides[^1],
            KernelArg.Buffer(mean.Storage), mean.Offset, Int8.From(strides[2], op),
            KernelArg.Buffer(rstd.Storage), rstd.Offset, Int8.From(strides[3], op),
            Int8.From(shape, op, pad: 1), shape.Length, lines, len, tile.Cols, Scalar(x.DType, eps));
    }

    public void LayerNormBackward(Strided dy, Strided x, Strided? weight, Strided mean, Strided rstd, Strided? dx, Strided? dweight, Strided? dbias)
    {
        const string op = "layer_norm_backward";
        if (x.DType is not (DType.Float32 or DType.Float64)) throw Unsupported(op, x.DType);
        int len = x.Shape[^1];
        var dxv = dx ?? dy; // a stand-in with dy's shape when dx is not wanted
        var (shape, strides) = RowPlan(x, dy.Strides, x.Strides, PerRow(mean), PerRow(rstd), dxv.Strides);
        int lines = ShapeMath.Count(shape);
        if (len == 0) return;
        if (lines == 0)
        {
            // The sum over no rows.
            if (dweight is { } w0) Fill(w0, 0);
            if (dbias is { } b0) Fill(b0, 0);
            return;
        }
        string defines = $"#define T {CType(x.DType)}\n#define GROUP {Group}";
        Int8 lshape = Int8.From(shape, op, pad: 1), gls = Int8.From(strides[0], op), xls = Int8.From(strides[1], op);
        Int8 mls = Int8.From(strides[2], op), rls = Int8.From(strides[3], op);

        if (dx is not null)
        {
            var tile = ChooseTile(lines, len, outputsAdjacent: strides[1].Length > 0 && strides[1][^1] == 1 && x.Strides[^1] != 1);
            var w = weight ?? x;
            LaunchGroups(Kernels.Kernel("layernorm.cl", defines, "layernorm_backward_tile"), (lines + tile.Cols - 1) / tile.Cols,
                KernelArg.Buffer(dy.Storage), dy.Offset, gls, dy.Strides[^1],
                KernelArg.Buffer(x.Storage), x.Offset, xls, x.Strides[^1],
                KernelArg.Buffer(w.Storage), w.Offset, w.Strides[0], weight is null ? 0 : 1,
                KernelArg.Buffer(mean.Storage), mean.Offset, mls,
                KernelArg.Buffer(rstd.Storage), rstd.Offset, rls,
                KernelArg.Buffer(dxv.Storage), dxv.Offset, Int8.From(strides[4], op), dxv.Strides[^1],
                lshape, shape.Length, lines, len, tile.Cols);
        }
        if (dweight is null && dbias is null) return;

        // Adjacent columns share a group so each row of work items reads one contiguous segment of dy and x.
        int cols = (int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)len), (uint)Math.Min(32, Group));
        int tiles = (len + cols - 1) / cols;
        int parts = Parts(tiles, lines, Group / cols);
        var kernel = Kernels.Kernel("layernorm.cl", defines, "layernorm_params");
        var dwv = dweight ?? dy;
        var dbv = dbias ?? dy;
        if (parts == 1)
        {
            LaunchGroups(kernel, tiles,
                KernelArg.Buffer(dy.Storage), dy.Offset, gls, dy.Strides[^1],
                KernelArg.Buffer(x.Storage), x.Offset, xls, x.Strides[^1],
                KernelArg.Buffer(mean.Storage), mean.Offset, mls,
                KernelArg.Buffer(rstd.Storage), rstd.Offset, rls,
                KernelArg.Buffer(dwv.Storage), dwv.Offset, dwv.Strides[0], dweight is null ? 0 : 1,
                KernelArg.Buffer(dbv.Storage), dbv.Offset, dbv.Strides[0], dbias is null ? 0 : 1,
                0, lshape, shape.Length, lines, len, cols, 1);
            return;
        }

        // Slice p writes row p of partials [parts, len]; a sum over the slices then gives each output.
        var wParts = dweight is null ? null : Allocate(x.DType, parts * len);
        var bParts = dbias is null ? null : Allocate(x.DType, parts * len);
        LaunchGroups(kernel, (long)tiles * parts,
            KernelArg.Buffer(dy.Storage), dy.Offset, gls, dy.Strides[^1],
            KernelArg.Buffer(x.Storage), x.Offset, xls, x.Strides[^1],
            KernelArg.Buffer(mean.Storage), mean.Offset, mls,
            KernelArg.Buffer(rstd.Storage), rstd.Offset, rls,
            KernelArg.Buffer((wParts ?? dy.Storage)), 0, 1, dweight is null ? 0 : 1,
            KernelArg.Buffer((bParts ?? dy.Storage)), 0, 1, dbias is null ? 0 : 1,
            len, lshape, shape.Length, lines, len, cols, parts);
        foreach (var (partials, output) in new[] { (wParts, dweight), (bParts, dbias) })
        {
            if (partials is null || output is not { } o) continue;
            Reduce<SumOp>(new Strided(partials, [parts, len], [len, 1], 0), o.With([1, len], [0, o.Strides[0]], o.Offset), [0]);
            // The queue runs in order, so whoever is handed this buffer next uses it after the sum.
            partials.Release();
        }
    }

    /// <summary>A scalar kernel argument of type T.</summary>
    private static KernelArg Scalar(DType dtype, double value) => dtype == DType.Float64 ? (KernelArg)value : (KernelArg)(float)value;
}
