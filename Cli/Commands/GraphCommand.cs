// dotgrad graph: the autograd graph of a loss as Graphviz DOT (Autograd.ToDot), rendered to PNG or SVG beside it when
// Graphviz is installed: a one-neuron expression by default, or one training step of a small gpt, vit, mixer or gmlp.
using System.CommandLine;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Commands;

internal static class GraphCommand
{
    /// <summary>The shape a model gets when no switch says otherwise: small, so that the picture stays readable.</summary>
    public const int DefaultWidth = 16, DefaultDepth = 1, DefaultHeads = 2, DefaultBatch = 2;

    /// <summary>The sort task's list length for a GPT's graph: 4 digits, a context of 8 tokens.</summary>
    private const int SortDigits = 4;

    private static readonly string[] Formats = ["png", "svg"];

    public static Command Create(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "Draw one training step's loss of this model: gpt (the sort task), vit, mixer, gmlp (MNIST-shaped random images); default: a one-neuron expression" };
        var output = new Option<string>("--out") { HelpName = "FILE.dot", Description = "Where the DOT goes; pictures are written beside it (graph.png)", DefaultValueFactory = _ => "graph.dot" };
        var format = new Option<string[]>("--format")
        {
            Description = "What Graphviz renders: png, svg, or both (repeat the option)",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["png"],
        };
        var trace = new Option<bool>("--trace") { Description = "Also print the forward pass as a table: each op, its input shapes and its output shape" };
        var batch = new Option<int>("--batch") { Description = "Examples in the model's batch", DefaultValueFactory = _ => DefaultBatch };
        // The model switches of `train`, with this command's small defaults.
        var o = new TrainOptions();
        o.Width.Description = $"Model width (default {DefaultWidth})";
        o.Depth.Description = $"Number of blocks (default {DefaultDepth})";
        o.Heads.Description = $"gpt, vit: attention heads; must divide --width (default {DefaultHeads})";
        o.Seed.Description = "Seed of the initial weights and the batch (default 1)";
        Option[] switches =
        [
            o.Width, o.Depth, o.Heads, o.KvHeads, o.MlpHidden, o.TokenMlpHidden, o.Patch, o.Norm, o.NormKind, o.Parallel, o.Residual, o.Mlp,
            o.Activation, o.Positions, o.Rope, o.Head, o.QkNorm, o.NoBias, o.Seed,
        ];
        var command = new Command("graph", "Write an autograd graph as Graphviz DOT (a one-neuron loss, or a small model's training loss) and render it when Graphviz is installed")
        {
            model, output, format, trace, batch,
        };
        foreach (var option in switches) command.Options.Add(option);
        command.SetAction(p =>
        {
            var given = new ModelSwitches(p.GetValue(o.Width), p.GetValue(o.Depth), p.GetValue(o.Heads), p.GetValue(o.KvHeads), p.GetValue(o.MlpHidden),
                p.GetValue(o.Norm), p.GetValue(o.NormKind), p.GetValue(o.Parallel), p.GetValue(o.Residual), p.GetValue(o.Mlp), p.GetValue(o.Activation),
                p.GetValue(o.Rope) ? "rope" : p.GetValue(o.Positions), p.GetValue(o.Head), p.GetValue(o.QkNorm), p.GetValue(o.NoBias),
                p.GetValue(o.Patch), p.GetValue(o.TokenMlpHidden));
            return Run(context, p.GetValue(model), given, p.GetValue(o.Seed) ?? 1, p.GetValue(batch), p.GetValue(output)!,
                       p.GetValue(format) ?? [], p.GetValue(trace));
        });
        return command;
    }

    private static int Run(CliContext context, string? modelName, ModelSwitches switches, ulong seed, int batch, string dotPath, string[] formatsGiven, bool trace)
    {
        var formats = CheckFormats(formatsGiven);
        CheckOut(dotPath, formats);
        if (batch < 1) throw new UserError($"--batch must be at least 1, got {batch}");

        using var scope = Tensor.NewDisposeScope();
        string description;
        Tensor loss;
        string? table = null;
        if (modelName is null)
        {
            if (switches.AnyGiven)
                throw new UserError($"{switches.Given().First()} describes a model; add --model gpt|vit|mixer|gmlp to draw that model's graph " +
                                    "(without --model the graph is the built-in one-neuron expression)");
            using (var t = trace ? ShapeTrace.Start() : null)
            {
                (loss, description) = OneNeuron(seed);
                table = t?.ToString();
            }
            return Finish(context, description, loss, table, dotPath, formats);
        }

        var kind = ModelKinds.Find(modelName)
                   ?? throw new UserError($"--model '{modelName}' is not a model; choose one of {string.Join(", ", ModelKinds.Names)}");
        ITrainingTask task = kind.Data == TrainingData.Language ? new SortTask(SortDigits, heldOutSeed: 20240) : new RandomImages();
        var config = kind.Configure(Small(switches, kind), task);
        using var model = kind.Build(config, seed, Device.Cpu, "the model options");
        var data = TrainingBatches.One(task, batch, new Generator(unchecked(seed * 0x9E3779B97F4A7C15UL + 1)), Device.Cpu);
        using (var t = trace ? ShapeTrace.Start() : null)
        {
            loss = task.Loss(model.Call(data.Input), data.Target);
            table = t?.ToString();
        }
        description = $"{kind.Describe(config, model)}; the loss of one training step on {(task is SortTask ? $"the sort task ({SortDigits} digits)" : "random MNIST-shaped images")}, batch {batch}";
        return Finish(context, description, loss, table, dotPath, formats);
    }

    /// <summary>
    /// The built-in expression: the squared error of one tanh neuron, <c>mean((tanh(x w + b) - y)^2)</c>, with inputs
    /// x [4, 3], weights w [3, 1], bias b [1] and targets y [4, 1] (w and b require grad; x and y are data).
    /// </summary>
    public static (Tensor Loss, string Description) OneNeuron(ulong seed)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn([4, 3], g);                                   // [4, 3]  four examples of three features
        var w = Tensor.Randn([3, 1], g).RequireGrad();                     // [3, 1]
        var b = Tensor.Zeros([1]).RequireGrad();                           // [1]     broadcast over the examples
        var y = Tensor.Randn([4, 1], g);                                   // [4, 1]
        var loss = ((x.MatMul(w) + b).Tanh() - y).Square().Mean();        // []
        return (loss, "one tanh neuron's squared error: mean((tanh(x w + b) - y)^2), x [4, 3], w [3, 1], b [1], y [4, 1]");
    }

    private static int Finish(CliContext context, string description, Tensor loss, string? table, string dotPath, string[] formats)
    {
        var w = context.Out;
        if (table is not null) w.Write(table);
        w.WriteLine($"graph     {description}");
        var (ops, leaves) = CountNodes(loss);
        w.WriteLine($"nodes     {ops + leaves} ({ops} ops, {leaves} leaves)");
        IReadOnlyList<string> rendered;
        try
        {
            rendered = Graphviz.Write(Autograd.ToDot(loss), dotPath, formats);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"--out '{dotPath}' cannot be written: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new UserError($"{dotPath} was written, but {e.Message}", e);
        }
        w.WriteLine($"dot       {dotPath}");
        foreach (var file in rendered) w.WriteLine($"{Path.GetExtension(file).TrimStart('.'),-9} {file}");
        if (rendered.Count == 0)
            w.WriteLine($"note      Graphviz's dot is not on the PATH, so no {string.Join(" or ", formats)} was drawn: {Graphviz.InstallHint}");
        w.Flush();
        return ExitCodes.Success;
    }

    /// <summary>Ops (boxes) and leaves (ellipses) in the graph behind <paramref name="root"/>, counted as Autograd.ToDot draws them.</summary>
    public static (int Ops, int Leaves) CountNodes(Tensor root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>([root]);
        int ops = 0, leaves = 0;
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!seen.Add((object?)t.GradFn ?? t)) continue;
            if (t.GradFn is { } fn)
            {
                ops++;
                foreach (var input in fn.Inputs) stack.Push(input);
            }
            else leaves++;
        }
        return (ops, leaves);
    }

    /// <summary>The user's switches with this command's small width, depth and heads where the kind takes them and none was given.</summary>
    private static ModelSwitches Small(ModelSwitches s, ModelKind kind) => s with
    {
        Width = s.Width ?? DefaultWidth,
        Depth = s.Depth ?? DefaultDepth,
        Heads = s.Heads ?? (kind.Switches.Contains("--heads") ? DefaultHeads : null),
    };

    private static string[] CheckFormats(string[] given)
    {
        var formats = given.SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                           .Select(f => f.ToLowerInvariant()).Distinct().ToArray();
        if (formats.FirstOrDefault(f => !Formats.Contains(f)) is { } bad)
            throw new UserError($"--format '{bad}' is not one this command renders; use png, svg, or both (--format png --format svg)");
        return formats.Length == 0 ? ["png"] : formats;
    }

    private static void CheckOut(string dotPath, string[] formats)
    {
        string ext = Path.GetExtension(dotPath).TrimStart('.').ToLowerInvariant();
        if (Formats.Contains(ext) || Path.GetFileName(dotPath).Length == 0)
            throw new UserError($"--out '{dotPath}' names the DOT file, and the pictures are written beside it with their own extension " +
                                $"({string.Join(", ", formats.Select(f => Path.ChangeExtension(Path.GetFileName(dotPath) is { Length: > 0 } n ? n : "graph", f)))}); " +
                                "give a .dot name such as graph.dot");
    }

    /// <summary>
    /// MNIST's shape without MNIST: random normal images [B, 28, 28, 1] and random labels in 0..9, so that the vision
    /// models' graphs need no data. Only batches and the loss are used.
    /// </summary>
    private sealed class RandomImages : IImageTask
    {
        public string Name => "random-images";
        public string Description => "random 28 x 28 x 1 images in 10 classes";
        public int ImageSize => 28;
        public int Channels => 1;
        public int Classes => 10;
        public TaskDefaults Defaults => new(Steps: 1, Batch: DefaultBatch, Lr: 1e-3, Warmup: 0, Schedule: "constant", Clip: null, EvalEvery: 0);
        public (string Unit, int PerExample) Throughput => ("img", 1);
        public (string Name, bool HigherIsBetter) Metric => ("accuracy", true);

        public TrainingBatches Batches(int batchSize, (ulong Seed, ulong Offset) data, Device device, int prefetch) =>
            TrainingBatches.Generated(g => (Tensor.Randn([batchSize, ImageSize, ImageSize, Channels], g, device: Device.Cpu),   // [B, 28, 28, 1]
                                            Tensor.Randint(0, Classes, [batchSize], g, device: Device.Cpu)),                   // [B]
                                      data, device, prefetch);

        public Tensor Loss(Tensor output, Tensor target) => Functional.CrossEntropy(output, target);  // output [B, 10], target [B]

        public Evaluation Evaluate(Module<Tensor, Tensor> model, Device device, bool final) =>
            throw new NotSupportedException("random images are for drawing a graph, not for evaluating");

        public System.Text.Json.Nodes.JsonObject ToJson() => new() { ["name"] = Name };
    }
}
