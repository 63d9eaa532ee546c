// Lesson 3: a tensor is a storage plus shape, strides and offset; views share the storage; broadcasting is a view
// with stride 0. Run it from the repository root: dotnet run --file docs/course/03-tensors.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using DotGrad;
using DotGrad.Backends;
using DotGrad.Course;
using ScottPlot;

// region: layout
// Twelve numbers in one block of memory (the storage), seen as a [3, 4] matrix.
var x = Tensor.Arange(0, 12).Reshape(3, 4).Float();  // [3, 4]
Console.WriteLine(x);
Describe("x", x);
Console.WriteLine($"x[2, 1] lives at {Address(x, 2, 1)} = 0 + 2*4 + 1*1 and holds {x[2, 1].Item()}");
// endregion

// region: address
// Where element [i, j] of a 2-D tensor lives in its storage. This one line is what a view is.
static int Address(Tensor t, int i, int j) => t.Offset + i * t.Strides[0] + j * t.Strides[1];
// endregion

static void Describe(string name, Tensor t) =>
    Console.WriteLine($"{name,-16} shape {ShapeMath.Format(t.Shape),-7} strides {ShapeMath.Format(t.Strides),-7} offset {t.Offset,2}  contiguous {t.IsContiguous}");

Console.WriteLine();
// region: views
// Slicing makes views: new shape, strides and offset over the same storage. Nothing is copied.
var row = x[1];                 // [4]: offset 4, stride 1
var column = x[.., 2];          // [3]: offset 2, stride 4 (one row further is 4 numbers further)
Describe("x[1]", row);
Describe("x[.., 2]", column);
column[..] = Tensor.Scalar(-1); // writes through the view into x's storage
Console.WriteLine("after column[..] = -1, x is");
Console.WriteLine(x);
// endregion

Console.WriteLine();
// region: transpose
// A transpose swaps the strides: the same storage, read column by column.
var t = x.T;                    // [4, 3]
Describe("x.T", t);
t[0, 2] = Tensor.Scalar(100);   // element [0, 2] of x.T is element [2, 0] of x
Console.WriteLine($"after x.T[0, 2] = 100: x[2, 0] = {x[2, 0].Item()}");
try
{
    t.View(12);                 // a flat view would need one stride for all 12 numbers, and x.T has none
}
catch (ArgumentException ex)
{
    Console.WriteLine($"x.T.View(12) fails: {ex.Message}");
}
var copy = t.Contiguous();      // [4, 3]: a new storage with x.T's elements in row-major order
Describe("x.T.Contiguous()", copy);
copy[0, 0] = Tensor.Scalar(555);
Console.WriteLine($"after writing 555 into the copy: x[0, 0] = {x[0, 0].Item()} (unchanged), copy[0, 0] = {copy[0, 0].Item()}");
// endregion

Console.WriteLine();
// region: broadcast
// Broadcasting: a [3, 1] column and a [1, 4] row are expanded to [3, 4] by giving the size-1 dims stride 0,
// so the same numbers are read again and again without being copied; then the add is element by element.
var a = Tensor.FromArray(new float[] { 0, 10, 20 }, [3, 1]);   // [3, 1]
var b = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [1, 4]);  // [1, 4]
var ae = a.Expand(3, 4);        // [3, 4], strides [1, 0]
var be = b.Expand(3, 4);        // [3, 4], strides [0, 1]
Describe("a.Expand(3, 4)", ae);
Describe("b.Expand(3, 4)", be);
var sum = a + b;                // [3, 4]: what + does inside, expand both then add
Console.WriteLine(sum);
// endregion

Console.WriteLine();
// region: backward
// Every element of a was read 4 times, so its gradient is the sum of 4 ones: the backward of Expand is Sum.
var ag = a.Clone().RequireGrad();
var bg = b.Clone().RequireGrad();
(ag + bg).Sum().Backward();
Console.WriteLine($"d sum(a + b) / da = {ShapeMath.Format(ag.Grad!.Shape)} {string.Join(", ", ag.Grad.ToArray<float>())}");
Console.WriteLine($"d sum(a + b) / db = {ShapeMath.Format(bg.Grad!.Shape)} {string.Join(", ", bg.Grad.ToArray<float>())}");
// endregion

Console.WriteLine();
Console.WriteLine("figure: " + LayoutFigure(x, t));
Console.WriteLine("figure: " + BroadcastFigure(a, ae, b, be, sum));

// ---- figures: every cell is drawn from Address(), so the pictures show exactly what the strides say ----

// The storage of x as a strip, and x and x.T as grids whose cells name the storage slot they read.
static string LayoutFigure(Tensor x, Tensor t)
{
    var plot = new Plot();
    var storage = x.Reshape(1, 12);   // a view of the whole storage, in memory order
    Grid(plot, storage, 0, 0, "storage: 12 numbers in a row, slot 0 to 11", 12, slotLabels: true);
    Grid(plot, x, 0, -2.6, $"x  [3, 4]  strides {ShapeMath.Format(x.Strides)}", 12);
    Grid(plot, t, 6.5, -2.6, $"x.T  [4, 3]  strides {ShapeMath.Format(t.Strides)}", 12);
    Finish(plot, "Two views of one storage: a cell's colour and small number are the slot it reads", 0, 1.4);
    return Draw.Save(plot, "03-transpose-layout.png", 900, 560);
}

// a and b, their expanded views (stride 0 repeats a slot), and the sum, which has a storage of its own.
static string BroadcastFigure(Tensor a, Tensor ae, Tensor b, Tensor be, Tensor sum)
{
    var plot = new Plot();
    Grid(plot, a, 0, 0, "a  [3, 1]", 3);
    Grid(plot, ae, 2, 0, $"a.Expand(3, 4)\nstrides {ShapeMath.Format(ae.Strides)}", 3);
    Grid(plot, b, 7, 0, "b  [1, 4]", 4);
    Grid(plot, be, 7, -1.9, $"b.Expand(3, 4)\nstrides {ShapeMath.Format(be.Strides)}", 4);
    Grid(plot, sum, 12.5, 0, "a + b  [3, 4]\na new storage", 12);
    Finish(plot, "Broadcasting as a view: stride 0 reads the same slot again and again", 0, 1.9);
    return Draw.Save(plot, "03-broadcast.png", 1000, 420);
}

// One 2-D tensor as a grid with row 0 at the top: value in the middle, storage slot (colour and corner number).
static void Grid(Plot plot, Tensor t, double left, double top, string title, int slots, bool slotLabels = false)
{
    var values = t.Contiguous().ToArray<float>();
    int rows = t.Size(0), cols = t.Size(1);
    var colormap = new ScottPlot.Colormaps.Viridis();
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
        {
            int slot = Address(t, i, j);
            double x0 = left + j, y1 = top - i;
            var cell = plot.Add.Rectangle(x0, x0 + 1, y1 - 1, y1);
            cell.FillColor = colormap.GetColor(slots == 1 ? 0 : 0.15 + 0.85 * slot / (slots - 1)).WithAlpha(0.55);
            cell.LineColor = Colors.Black;
            cell.LineWidth = 1;
            var value = plot.Add.Text(values[i * cols + j].ToString("0"), x0 + 0.5, y1 - 0.5);
            value.Alignment = Alignment.MiddleCenter;
            value.LabelFontSize = 16;
            value.LabelBold = true;
            var mark = plot.Add.Text(slotLabels ? $"slot {slot}" : $"{slot}", x0 + 0.95, y1 - 0.95);
            mark.Alignment = Alignment.LowerRight;
            mark.LabelFontSize = 10;
        }
    var label = plot.Add.Text(title, left, top + 0.1);
    label.Alignment = Alignment.LowerLeft;
    label.LabelFontSize = 13;
}

// The title as text on the plot (a frameless plot has no title area).
static void Finish(Plot plot, string title, double left, double top)
{
    var label = plot.Add.Text(title, left, top);
    label.Alignment = Alignment.LowerLeft;
    label.LabelFontSize = 17;
    label.LabelBold = true;
    plot.HideGrid();
    plot.Axes.Frameless();
    plot.Axes.SquareUnits();
}
