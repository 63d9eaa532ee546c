// Softmax and log-softmax along one axis (softmax.cl): one tile of lines per work group, max and sum by
// local-memory trees.
namespace DotGrad.Backends.OpenCL;

public sealed partial class OpenCLBackend
{
    public void Softmax(Strided x, Strided y, int axis, bool log)
    {
        string op = log ? "log_softmax" : "softmax";
        if (y.DType is not (DType.Float32 or DType.Float64)) throw Unsupported(op, y.DType);
        int len = x.Shape[axis];
        if (len == 0 || y.Count == 0) return;

        // One line per position with the axis fixed at 0; x's and y's strides over that shape find its start.
        var lineShape = (int[])x.Shape.Clone();
        lineShape[axis] = 1;
        var (shape, strides) = ShapeMath.Coalesce(lineShape, x.Strides, y.Strides);
        int lines = ShapeMath.Count(shape), xStep = x.Strides[axis], yStep = y.Strides[axis];
        var tile = ChooseTile(lines, len, outputsAdjacent: strides[0].Length > 0 && strides[0][^1] == 1 && xStep != 1);
        string defines = $"#define T {CType(y.DType)}\n#define GROUP {Group}";
        LaunchGroups(Kernels.Kernel("softmax.cl", defines, "softmax_tile"), (lines + tile.Cols - 1) / tile.Cols,
            KernelArg.Buffer(x.Storage), x.Offset, Int8.From(strides[0], op), xStep,
            KernelArg.Buffer(y.Storage), y.Offset, Int8.From(strides[1], op), yStep,
            Int8.From(shape, op, pad: 1), shape.Length, lines, len, tile.Cols, log ? 1 : 0);
    }
}
