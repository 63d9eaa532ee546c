// report.md of the shapes study: the question, the machine, the verdict per device, the shapes with their FLOPs and
// largest products, a results table per device, two figures, the tile sizes read from the backends with how each
// dimension fills them, every product of every shape, and the exact command.
using System.Globalization;
using System.Text;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Study;

internal static class ShapesReport
{
    public const string RelativeFigure = "relative-throughput.png", GflopsFigure = "gflops.png";

    /// <summary>Writes report.md and its figures into <paramref name="root"/>; returns the report's path.</summary>
    public static string Write(string root, ShapesStudy study, StudyOptions options, IReadOnlyList<BlockShape> shapes, IReadOnlyList<DeviceRun> runs, string? noOpenCL)
    {
        var (warmup, rounds, target) = ShapesStudy.Plan(options.Quick);
        int tokens = runs[0].Tokens;
        var md = new StringBuilder();
        md.AppendLine($"# Study: {study.Name}{(options.Quick ? " (quick)" : "")}").AppendLine();
        md.AppendLine(study.Question).AppendLine();
        md.AppendLine($"Written by `{Command(root, options)}` on {DateTime.Now:yyyy-MM-dd HH:mm}. One block of each shape (the ViT's " +
                      $"`TransformerBlock`: pre-norm LayerNorm, tanh-GELU MLP, biases) on {tokens} tokens per sequence, Float32, forward and backward " +
                      "into the input and every weight. FLOPs count the matrix products only: 2 m n k each, the backward pass twice the forward " +
                      "(see [the products](#products)); norms, softmax, GELU and the residual adds take time but are not counted. Each time is the " +
                      $"median of {rounds} rounds after {warmup} warm-up step(s) per shape; a round times every shape in turn, " +
                      (target > 0 ? $"each for as many steps as make about {target.ToString("0.##", CultureInfo.InvariantCulture)} s." : "one step each.") +
                      (options.Quick ? " --quick halves width, heads and MLP (the head dims are kept) and uses 64 tokens: its numbers check the machinery, not the claims." : ""))
          .AppendLine();

        md.AppendLine("## Machine").AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        string devices = string.Join("; ", runs.Select(r => r.Tiles is OpenCLTiles o ? $"{r.Tiles.Device} ({o.Name})" : r.Tiles.Device.ToString()));
        foreach (var (k, v) in MachineInfo.Describe(devices)) md.AppendLine($"| {k} | {v} |");
        if (noOpenCL is not null) md.AppendLine($"| OpenCL | none: {noOpenCL.TrimEnd('.')} |");
        md.AppendLine();

        md.AppendLine("## Verdict").AppendLine();
        foreach (var run in runs) md.AppendLine($"**{run.Tiles.Device}.** {ShapesVerdict.Paragraph(run)}").AppendLine();
        md.AppendLine($"A ratio counts as the same throughput when it is within the tolerance: {ShapesVerdict.P(ShapesVerdict.MinTolerance)}, or " +
                      $"{ShapesVerdict.NoiseFactor.ToString(CultureInfo.InvariantCulture)} times the largest median absolute deviation of the rounds " +
                      "(over their median) among the shapes compared, when that is larger; past " +
                      $"{ShapesVerdict.P(ShapesVerdict.MaxTolerance)} a claim is not judged.").AppendLine();

        md.AppendLine("## Shapes").AppendLine();
        md.AppendLine("| shape | width | heads x head dim | MLP | block parameters | FLOPs per token (fwd + bwd) | vs family original | largest products (share of FLOPs) |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        var first = runs[0];
        foreach (var t in first.Timings)
        {
            var baseline = first.Timings.First(x => x.Shape.Family == t.Shape.Family);
            var gemms = BlockGemms.Forward(t.Shape.Block, first.Batch, tokens);
            double total = gemms.Sum(g => g.Flops);
            string largest = string.Join(", ", gemms.OrderByDescending(g => g.Flops).Take(3).Select(g => $"{g.Name} {g} ({ShapesVerdict.P(g.Flops / total)})"));
            md.AppendLine($"| {t.Shape.Label} | {t.Shape.Vit.Width} | {t.Shape.Vit.Heads} x {t.Shape.HeadDim} | {t.Shape.Vit.MlpHidden} | " +
                          $"{t.Parameters.ToString("N0", CultureInfo.InvariantCulture)} | {(t.FlopsPerToken / 1e6).ToString("N2", CultureInfo.InvariantCulture)} M | " +
                          $"{Change(t.FlopsPerToken / baseline.FlopsPerToken)} | {largest} |");
        }
        md.AppendLine();
        md.AppendLine($"Products as m x n x k at batch {first.Batch} (m = batch x tokens = {first.Batch * tokens} rows for the projections); each forward " +
                      "product's share stands for it and its two gradients, which cost the same FLOPs between them as twice the forward.").AppendLine();

        foreach (var run in runs)
        {
            md.AppendLine($"## Results on {run.Tiles.Device}").AppendLine();
            string load = run.LoadBefore is { } before && run.LoadAfter is { } after
                ? $" Load average (1 minute) {before.ToString("0.0", CultureInfo.InvariantCulture)} before and {after.ToString("0.0", CultureInfo.InvariantCulture)} after, " +
                  $"on {Environment.ProcessorCount} cores{(Math.Max(before, after) > Environment.ProcessorCount ? ": other work competed for the cores, which widens the spread of the rounds" : "")}."
                : "";
            md.AppendLine($"{run.Tiles.Describe()}. Batch {run.Batch} x {run.Tokens} tokens; {ShapesStudy.Clock(run.WallSeconds)} for this device.{load}").AppendLine();
            bool opencl = run.Tiles is OpenCLTiles;
            md.AppendLine("| shape | median step (min-max) | steps per round | tokens/s | vs family original | GFLOP/s | tile fill | predicted by padding |" +
                          (opencl ? " bounds-checked |" : ""));
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (opencl ? " ---: |" : ""));
            foreach (var t in run.Timings)
            {
                string original = run.Timings.First(x => x.Shape.Family == t.Shape.Family).Shape.Key;
                md.AppendLine($"| {t.Shape.Label} | {Ms(t.Median)} ({Ms(t.Min)}-{Ms(t.Max)}) | {t.Iterations} | {t.TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture)} | " +
                              $"{(t.Shape.Key == original ? "original" : ShapesVerdict.X(run.Relative(t.Shape.Key)))} | {ShapesVerdict.G(t.Gflops)} | " +
                              $"{ShapesVerdict.P(ShapesVerdict.Fill(run.Tiles, t.Shape, run.Batch, run.Tokens))} | " +
                              $"{(t.Shape.Key == original ? "-" : ShapesVerdict.X(ShapesVerdict.Predicted(run, t.Shape.Key, original)))} |" +
                              (opencl ? $" {ShapesVerdict.P(ShapesVerdict.CheckedShare(run.Tiles, t.Shape, run.Batch, run.Tokens))} |" : ""));
            }
            md.AppendLine();
            md.AppendLine("*Tile fill*: the useful share of the multiply-adds the kernels do, over every product of the step (forward and backward), " +
                          "weighted by FLOPs; *predicted by padding*: the throughput against the original if every kernel ran at one rate and only the " +
                          "padded work differed" + (opencl ? "; *bounds-checked*: the share of the FLOPs run by the kernel built with edge checks on every " +
                          "load and store, which every product with a dimension that is not a multiple of its tile runs" : "") + ".").AppendLine();
        }

        md.AppendLine("## Figures").AppendLine();
        var categories = shapes.Select(s => s.Key).ToArray();
        BarPlot.Save(Path.Combine(root, RelativeFigure), "tokens/s relative to the family's original shape (150M or So400m)", categories,
                     runs.Select(r => new BarSeries(r.Tiles.Device.ToString(), shapes.Select(s => r.Relative(s.Key)).ToArray())).ToArray(),
                     "relative throughput", reference: 1.0);
        BarPlot.Save(Path.Combine(root, GflopsFigure), "achieved GFLOP/s, one block forward + backward", categories,
                     runs.Select(r => new BarSeries(r.Tiles.Device.ToString(), shapes.Select(s => r.Of(s.Key).Gflops).ToArray())).ToArray(), "GFLOP/s");
        md.AppendLine($"![relative throughput]({RelativeFigure})").AppendLine();
        md.AppendLine($"![achieved GFLOP/s]({GflopsFigure})").AppendLine();

        md.AppendLine("## Tile sizes").AppendLine();
        md.AppendLine("Read from the backends of this build on this machine (`CpuGemmBlocking.For`, `OpenCLBackend.MatMulTiling`).").AppendLine();
        foreach (var run in runs) md.AppendLine($"- {run.Tiles.Describe()}.");
        md.AppendLine();
        md.AppendLine("How each dimension fills the tiles along each axis: the share of the tiles that is real (and the tiles it takes, the last one's use).").AppendLine();
        var dims = new List<(string Name, int Size)>();
        foreach (int d in shapes.Select(s => s.HeadDim).Distinct().Order()) dims.Add(($"head dim {d}", d));
        foreach (int d in shapes.Select(s => s.Vit.MlpHidden).Distinct().Order()) dims.Add(($"MLP {d}", d));
        foreach (int d in shapes.Select(s => s.Vit.Width).Distinct().Order()) dims.Add(($"width {d}", d));
        dims.Add(($"tokens {tokens}", tokens));
        foreach (int rows in runs.Select(r => r.Batch * tokens).Distinct().Order()) dims.Add(($"rows {rows} (batch x tokens)", rows));
        var axes = runs.SelectMany(r => r.Tiles.Axes.Select(a => (Device: r.Tiles.Device.ToString(), a.Axis, a.Size))).ToArray();
        if (axes.Length > 0)
        {
            md.AppendLine("| dimension | " + string.Join(" | ", axes.Select(a => $"{a.Device} {a.Axis}")) + " |");
            md.AppendLine("| --- | " + string.Join(" | ", axes.Select(_ => "---:")) + " |");
            foreach (var (name, d) in dims)
                md.AppendLine($"| {name} | " + string.Join(" | ", axes.Select(a => FillCell(d, a.Size))) + " |");
            md.AppendLine();
        }

        md.AppendLine("## Products").AppendLine();
        md.AppendLine("Every matrix product of one step of each shape, as m x n x k (x how many, for the per-head products), with the share of the " +
                      "step's FLOPs that the product and its two gradients take, and the tile fill of the three on each device (FLOP-weighted; " +
                      "*bounds checks*: the OpenCL kernel built with edge checks runs because a dimension is not a multiple of its tile).").AppendLine();
        foreach (var shape in shapes)
        {
            var all = BlockGemms.ForwardBackward(shape.Block, first.Batch, tokens);
            double total = all.Sum(g => g.Flops);
            md.AppendLine($"**{shape.Label}** ({shape.Describe()}), batch {first.Batch}:").AppendLine();
            md.AppendLine("| product | forward | dA = dC B^T | dB = A^T dC | share | " + string.Join(" | ", runs.Select(r => $"fill on {r.Tiles.Device}")) + " |");
            md.AppendLine("| --- | --- | --- | --- | ---: | " + string.Join(" | ", runs.Select(_ => "---:")) + " |");
            foreach (var group in all.GroupBy(g => g.Name))
            {
                var g3 = group.ToArray();
                string fills = string.Join(" | ", runs.Select(r =>
                {
                    var uses = g3.Select(g => (g, Use: r.Tiles.Use(g.M, g.N, g.K))).ToArray();
                    double fill = g3.Sum(g => g.Flops) / uses.Sum(u => u.g.Flops / u.Use.Fill);
                    var notes = uses.Select(u => u.Use.Note).Where(n => n.Length > 0).Distinct().ToArray();
                    return ShapesVerdict.P(fill) + (notes.Length > 0 ? $" ({string.Join(", ", notes)})" : "");
                }));
                md.AppendLine($"| {group.Key} | {g3[0]} | {g3[1]} | {g3[2]} | {ShapesVerdict.P(g3.Sum(g => g.Flops) / total)} | {fills} |");
            }
            md.AppendLine();
        }

        md.AppendLine("## Command").AppendLine();
        md.AppendLine("```").AppendLine(Command(root, options)).AppendLine("```");

        string path = Path.Combine(root, StudyReport.FileName);
        File.WriteAllText(path + ".tmp", md.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>The command that repeats this study into the same directory.</summary>
    public static string Command(string root, StudyOptions options) =>
        "dotgrad study shapes" + (options.Quick ? " --quick" : "") + (options.Device is { } d ? $" --device {d}" : "") +
        $" --out {(root.Any(char.IsWhiteSpace) ? $"'{root}'" : root)}";

    /// <summary>"75% (3 tiles, last 8/32)", or "100% (2 tiles)".</summary>
    private static string FillCell(int d, int tile)
    {
        int tiles = (d + tile - 1) / tile, last = d - (tiles - 1) * tile;
        return $"{ShapesVerdict.P(GemmTiles.Fill(d, tile))} ({tiles} tile{(tiles == 1 ? "" : "s")}{(last == tile ? "" : $", last {last}/{tile}")})";
    }

    private static string Ms(double seconds) => (seconds * 1000).ToString(seconds >= 0.1 ? "N0" : "0.0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>"same" for 1, else "+1.1%" or "-1.2%".</summary>
    private static string Change(double ratio) => Math.Abs(ratio - 1) < 5e-4 ? "same" : (ratio - 1).ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture);
}
