// Lesson 2: a scalar autograd engine in about 60 lines, checked against DotGrad on the same expression.
// Run it from the repository root: dotnet run --file docs/course/02-autograd-engine.cs
#:project Kit/DotGrad.Course.csproj
#:property PublishAot=false
using System.Text;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Course;

// region: expression
// f = tanh(d) a + exp(d d) / c + b^3 with d = a b + c: `a` is used twice (in d and in f), `d` three times.
var a = new Value(0.5, "a");
var b = new Value(-1.5, "b");
var c = new Value(2.0, "c");
var d = (a * b + c).Named("d");         // 1.25
var e = d.Tanh().Named("e");
var f = (e * a + (d * d).Exp() / c + b.Pow(3)).Named("f");
f.Backward();
// endregion

Console.WriteLine($"f = {f.Data:F12}");
Console.WriteLine();
Console.WriteLine("The graph in the order backward visits it (the output first):");
Console.WriteLine($"{"#",3}  {"value",-6} {"op",-5} {"data",12} {"grad",14}");
var order = f.TopologicalOrder();
for (int i = order.Count - 1, row = 0; i >= 0; i--, row++)
{
    var v = order[i];
    Console.WriteLine($"{row,3}  {v.Label,-6} {v.Op,-5} {v.Data,12:F6} {v.Grad,14:F9}");
}
Console.WriteLine("figure: " + Draw.Graph("02-engine-graph.dot", ToDot(order)));

// region: dotgrad
// The same expression in DotGrad, with Float64 scalars (shape []) so that both compute in double precision.
var ta = Tensor.Scalar(0.5, DType.Float64).RequireGrad();
var tb = Tensor.Scalar(-1.5, DType.Float64).RequireGrad();
var tc = Tensor.Scalar(2.0, DType.Float64).RequireGrad();
var td = ta * tb + tc;
var tf = td.Tanh() * ta + (td * td).Exp() / tc + tb.Pow(3);
tf.Backward();
// endregion

Console.WriteLine();
Console.WriteLine($"{"",4}{"our engine",20}{"DotGrad",20}{"difference",12}");
foreach (var (name, ours, theirs) in new[] { ("f", f.Data, tf.Item()), ("df/da", a.Grad, ta.Grad!.Item()), ("df/db", b.Grad, tb.Grad!.Item()), ("df/dc", c.Grad, tc.Grad!.Item()) })
    Console.WriteLine($"{name,-6}{ours,18:F12}{theirs,20:F12}{Math.Abs(ours - theirs),12:0.0e+00}");

// region: twice
// Why +=: y = x * x uses x twice, so x must collect a gradient from each use: dy/dx = x + x = 2x.
var x = new Value(3.0, "x");
var y = x * x;
y.Backward();
double right = x.Grad;
x.Grad = 0;
y.Backward(accumulate: false);  // the same walk, but each use overwrites the gradient instead of adding to it
Console.WriteLine($"y = x*x at x = 3: dy/dx with += is {right}, with = it is {x.Grad} (one use lost)");
// endregion

// The engine's graph in Graphviz DOT, one box per value with its data and gradient (drawn into the figures folder).
static string ToDot(List<Value> order)
{
    var ids = order.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => "v" + p.i);
    var sb = new StringBuilder("digraph engine {\n  rankdir=TB;\n  node [shape=record, fontname=\"Helvetica\", fontsize=10];\n");
    foreach (var v in order)
    {
        string name = v.Op == "" ? v.Label : v.Label == "" ? v.Op : $"{v.Label} = {v.Op}";
        sb.Append($"  {ids[v]} [label=\"{name} | data {v.Data:F4} | grad {v.Grad:F4}\"];\n");
        foreach (var p in v.Parents) sb.Append($"  {ids[p]} -> {ids[v]};\n");
    }
    return sb.Append("}\n").ToString();
}

// region: engine
/// <summary>
/// A scalar that remembers how it was computed: the values it came from (its parents) and, for each parent, the
/// local derivative d(this)/d(parent), worked out when the value is computed. Backward applies the chain rule.
/// </summary>
sealed class Value(double data, string label = "", Value[]? parents = null, double[]? local = null, string op = "")
{
    public double Data { get; } = data;
    public double Grad { get; set; }                   // d(output)/d(this), filled in by Backward
    public string Label { get; private set; } = label;
    public string Op { get; } = op;
    public Value[] Parents { get; } = parents ?? [];
    private readonly double[] _local = local ?? [];    // _local[k] = d(this)/d(Parents[k])

    public static implicit operator Value(double x) => new(x);
    public Value Named(string label) { Label = label; return this; }

    // Each op computes its value and its local derivatives side by side: the chain rule, one op at a time.
    public static Value operator +(Value p, Value q) => new(p.Data + q.Data, "", [p, q], [1, 1], "+");
    public static Value operator -(Value p, Value q) => new(p.Data - q.Data, "", [p, q], [1, -1], "-");
    public static Value operator *(Value p, Value q) => new(p.Data * q.Data, "", [p, q], [q.Data, p.Data], "*");
    public Value Pow(double k) => new(Math.Pow(Data, k), "", [this], [k * Math.Pow(Data, k - 1)], $"^{k}");
    public Value Exp() => new(Math.Exp(Data), "", [this], [Math.Exp(Data)], "exp");
    public Value Tanh() => new(Math.Tanh(Data), "", [this], [1 - Math.Tanh(Data) * Math.Tanh(Data)], "tanh");

    // A derived op needs no derivative of its own: it is made of the ops above (p / q = p * q^-1).
    public static Value operator /(Value p, Value q) => p * q.Pow(-1);

    /// <summary>Every value this one depends on, each after all of its parents (a depth-first post-order).</summary>
    public List<Value> TopologicalOrder()
    {
        var order = new List<Value>();
        var seen = new HashSet<Value>();
        void Visit(Value v)
        {
            if (!seen.Add(v)) return;
            foreach (var p in v.Parents) Visit(p);
            order.Add(v);
        }
        Visit(this);
        return order;
    }

    /// <summary>Fills Grad = d(this)/d(v) for every value v in the graph.</summary>
    public void Backward(bool accumulate = true)
    {
        var order = TopologicalOrder();
        foreach (var v in order) v.Grad = 0;
        Grad = 1;                                            // d(this)/d(this)
        // Reverse order: a value passes its gradient on only after every value that uses it has added its share.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var v = order[i];
            for (int k = 0; k < v.Parents.Length; k++)
            {
                double share = v._local[k] * v.Grad;          // chain rule: d(out)/d(parent) via v
                v.Parents[k].Grad = accumulate ? v.Parents[k].Grad + share : share;
            }
        }
    }

    public override string ToString() => $"{Label}={Data}";
}
// endregion
