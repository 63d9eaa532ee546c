// The scaling-vit study: the recipe of "Scaling Vision Transformers" in miniature on MNIST. Five groups of train
// runs: Adam against Adafactor as published and as the paper modified it (accuracy and optimizer memory); decoupled
// head weight decay (pre-train on digits 0-4, then a few-shot linear probe of the frozen body on digits 5-9); the
// class token against GAP and MAP heads (accuracy and activation memory); linear decay against rsqrt and constant
// schedules whose cooldowns branch off one run's checkpoints; and a sweep of model and data sizes with the
// double-saturating power law E = a (C + d)^(-b) + c fitted to the error-compute frontier.
using System.Globalization;
using System.Text;
using System.Text.Json;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Study;

internal sealed class ScalingVitStudy : TrainingStudy
{
    public const string OptimizersGroup = "optimizers", HeadDecayGroup = "head-decay", HeadsGroup = "heads",
                        SchedulesGroup = "schedules", ScalingGroup = "scaling";

    public override string Name => "scaling-vit";

    public override string Summary => "the Scaling-ViT recipe on MNIST: Adam vs Adafactor (published and modified), decoupled head weight decay " +
                                      "and few-shot transfer, cls vs GAP vs MAP heads, cooldowns branched from one run, and a fitted power law";

    public override string Question =>
        "Do the recipe's findings in \"Scaling Vision Transformers\" show in a ViT small enough to train on MNIST in minutes? The modified " +
        "Adafactor (first momentum in bfloat16, no parameter-scaled step, second-moment decay capped at 0.999) should match Adam at a " +
        "fraction of its memory; a high weight decay on the head alone should lower upstream accuracy and raise few-shot transfer; the " +
        "class token, GAP and MAP heads should perform alike, GAP and MAP with less memory; rsqrt and constant schedules with a linear " +
        "cooldown should come close to linear decay while evaluating several training lengths from one run; and error against compute " +
        "should follow a double-saturating power law.";

    public override StudyData Data => StudyData.Mnist;

    public override StudyMetric Metric => StudyMetric.TestAccuracy;

    /// <summary>The sizes of the study, default and quick.</summary>
    internal sealed record Sizes(
        int Width, int Depth, int Heads, int Mlp, int Batch, int Steps, int EvalEvery, int Warmup, ulong[] Seeds,
        int[] Lengths, (int Width, int Depth, int Heads)[] Models, int[] DataSizes, int ScalingSteps, int Shots, int Draws);

    internal static Sizes Shape(StudyOptions o) => o.Quick
        ? new(16, 1, 2, 32, 32, 20, 10, 2, [1], [10, 20], [(8, 1, 2), (16, 1, 2)], [600, 6000], 20, 2, 2)
        : new(32, 2, 4, 128, 128, 500, 100, 50, [1, 2], [200, 400, 600],
              [(8, 1, 2), (16, 1, 2), (16, 2, 2), (32, 2, 4), (48, 3, 4), (64, 4, 4)], [6000, 60000], 400, 10, 5);

    /// <summary>Head weight decay: none, low and high (big_vision's form with adafactor-bv: wd x schedule x p per step, not times the lr).</summary>
    internal static readonly (string Label, string Value)[] HeadDecays = [("head wd 0", "0"), ("head wd 1e-3", "1e-3"), ("head wd 3e-2", "3e-2")];

    /// <summary>The body's weight decay in the head-decay group (adafactor-bv's default, big_vision's form).</summary>
    internal const string BodyDecay = "1e-4";

    /// <summary>Upstream digits of the head-decay group, and the digits its few-shot probe transfers to.</summary>
    internal const string Upstream = "0-4", Downstream = "5-9";

    internal static readonly int[] ShotCounts = [1, 5, 10];

    public override IReadOnlyList<StudyGroup> Groups(StudyOptions o)
    {
        var s = Shape(o);
        string model = $"a ViT of width {s.Width}, depth {s.Depth}, {s.Heads} heads, MLP {s.Mlp}, patch 7 (16 tokens), batch {s.Batch}";
        return
        [
            new(OptimizersGroup, $"Adam against Adafactor as published (relative step min(1e-2, 1/sqrt(t)) times the parameter scale, no " +
                                 "momentum, update clipping at 1, every matrix factored) and as the paper modified it (adafactor-bv: momentum " +
                                 $"0.9 in bfloat16, no parameter scaling, beta2 capped at 0.999), on {model}, {s.Steps} steps, cosine decay " +
                                 $"after {s.Warmup} warm-up steps."),
            new(HeadDecayGroup, $"{model}, pre-trained on digits {Upstream} only for {s.Steps} steps with adafactor-bv, body weight decay " +
                                $"{BodyDecay} and the head's decoupled weight decay at 0, low and high; then the body is frozen and a " +
                                $"few-shot linear probe (ridge regression on the pooled features) learns digits {Downstream} from " +
                                $"{string.Join(", ", ShotCounts)} examples per class ({s.Draws} draws each) and is scored on their test images."),
            new(HeadsGroup, $"The class token against global average pooling (GAP) and multi-head attention pooling (MAP) on {model}, {s.Steps} steps, AdamW."),
            new(SchedulesGroup, $"Training lengths {string.Join(", ", s.Lengths)} steps, {s.Warmup} warm-up steps, AdamW at a peak lr of 3e-3. " +
                                "Linear decay to the task's floor needs one run per length; rsqrt and constant schedules train one run each, and " +
                                "each length branches a linear cooldown over its last fifth off that run's checkpoint (dotgrad train --branch)."),
            new(ScalingGroup, $"Models of width/depth/heads {string.Join(", ", s.Models.Select(m => $"{m.Width}/{m.Depth}/{m.Heads}"))} (MLP 2 x width) " +
                              $"on the first {string.Join(" and ", s.DataSizes.Select(d => d.ToString("N0", CultureInfo.InvariantCulture)))} training " +
                              $"images, {s.ScalingSteps} steps of {s.Batch}, AdamW. Compute is counted as 6 N T images seen (N parameters, T tokens " +
                              "per image), the usual estimate of training FLOPs."),
        ];
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string[] ModelArgs(int width, int depth, int heads, int mlp) =>
        ["--width", I(width), "--depth", I(depth), "--heads", I(heads), "--mlp-hidden", I(mlp)];

    /// <summary>The cooldown of a training length: its last fifth.</summary>
    internal static int Cooldown(int length) => Math.Max(1, length / 5);

    public override IReadOnlyList<StudyRun> Plan(StudyOptions o)
    {
        var s = Shape(o);
        string[] data = ["vit", "--mnist", o.MnistDir, "--batch", I(s.Batch), "--eval-every", I(s.EvalEvery), "--warmup", I(s.Warmup)];
        string[] model = [.. data, .. ModelArgs(s.Width, s.Depth, s.Heads, s.Mlp)];
        string[] steps = ["--steps", I(s.Steps)];
        var runs = new List<StudyRun>();
        void Add(string group, string config, ulong seed, int n, string[] args, string? name = null) =>
            runs.Add(new StudyRun(name ?? $"{group}-{StudyReport.Slug(config)}-seed{seed}", group, config, seed, n, [.. args, "--seed", I((long)seed)]));

        foreach (var seed in s.Seeds)
        {
            Add(OptimizersGroup, "adam", seed, s.Steps, [.. model, .. steps, "--optimizer", "adam"]);
            Add(OptimizersGroup, "adafactor (published)", seed, s.Steps, [.. model, .. steps, "--optimizer", "adafactor-paper"]);
            Add(OptimizersGroup, "adafactor (modified)", seed, s.Steps, [.. model, .. steps, "--optimizer", "adafactor-bv"]);
        }
        foreach (var (label, value) in HeadDecays)
            foreach (var seed in s.Seeds)
                Add(HeadDecayGroup, label, seed, s.Steps, [.. model, .. steps, "--labels", Upstream, "--optimizer", "adafactor-bv",
                                                            "--weight-decay", BodyDecay, "--head-weight-decay", value]);
        foreach (var head in new[] { "tok", "gap", "map" })
            foreach (var seed in s.Seeds)
                Add(HeadsGroup, $"--head {head}", seed, s.Steps, [.. model, .. steps, "--head", head]);

        // Schedules: linear runs one per length; rsqrt and constant one main run each, cooldowns branched off it.
        int lastBranch = s.Lengths.Max(l => l - Cooldown(l));
        foreach (var seed in s.Seeds)
        {
            foreach (var length in s.Lengths)
                Add(SchedulesGroup, $"linear {length}", seed, length, [.. model, "--steps", I(length), "--schedule", "linear"]);
            foreach (var shape in new[] { "rsqrt", "constant" })
            {
                string main = $"{SchedulesGroup}-{shape}-main-seed{seed}";
                // The main run goes as far as the last branch point and keeps a checkpoint at every branch point.
                var points = s.Lengths.Select(l => l - Cooldown(l)).ToArray();
                Add(SchedulesGroup, $"{shape} main", seed, lastBranch, [.. model, "--steps", I(lastBranch), "--schedule", shape,
                                                                        "--save-every", I(Gcd(points)), "--keep", "0"], main);
                foreach (var length in s.Lengths)
                {
                    int at = length - Cooldown(length);
                    string checkpoint = Path.Combine(StudyRun.Root, main, "checkpoints", $"step-{at.ToString("D6", CultureInfo.InvariantCulture)}");
                    runs.Add(new StudyRun($"{SchedulesGroup}-{shape}-{length}-seed{seed}", SchedulesGroup, $"{shape} {length} (branch)", seed, length,
                                          ["vit", "--branch", checkpoint, "--steps", I(length), "--cooldown", I(Cooldown(length))]));
                }
            }
        }

        foreach (int images in s.DataSizes)
            foreach (var (width, depth, heads) in s.Models)
                Add(ScalingGroup, $"{width}/{depth}/{heads} on {images:N0}", s.Seeds[0], s.ScalingSteps,
                    [.. data, .. ModelArgs(width, depth, heads, 2 * width), "--steps", I(s.ScalingSteps), "--train-examples", I(images)]);
        return runs;
    }

    private static int Gcd(IEnumerable<int> values) => values.Aggregate(0, (a, b) => b == 0 ? a : Gcd2(a, b));

    private static int Gcd2(int a, int b) => b == 0 ? a : Gcd2(b, a % b);

    // A width-32 depth-2 ViT step of 128 images with its evaluations on 2 cores (39 ms measured; the sweep's larger models
    // cost more, its smaller ones less): the 52 default runs took 14 minutes, the estimate says 19.
    public override double SecondsPerStep(StudyOptions o) => o.Quick ? 0.01 : 0.05;
    // ---- after the runs: optimizer memory, activation memory, few-shot probes, the scaling points and fits ----

    /// <summary>A few-shot result of one configuration at one shot count: accuracy over seeds and draws.</summary>
    internal sealed record Probe(int Shots, double Mean, double Min, double Max, int Samples);

    /// <summary>One point of the scaling sweep: a run's compute and error at one evaluation.</summary>
    internal sealed record ScalingPoint(string Config, int Images, long Parameters, double Compute, double Error);

    internal sealed record Extras(
        IReadOnlyDictionary<string, (long State, long Parameters)> OptimizerMemory,
        IReadOnlyDictionary<string, IReadOnlyList<Probe>> Probes,
        IReadOnlyDictionary<string, long> StepMemory,
        IReadOnlyList<ScalingPoint> Scaling,
        IReadOnlyDictionary<int, PowerLawFit?> Fits,
        IReadOnlyDictionary<int, string> FitErrors);

    /// <summary>The config of a ViT of the study on MNIST, as `dotgrad train vit` builds it from these switches.</summary>
    private static VitConfig Vit(int width, int depth, int heads, int mlp, VitHead head = VitHead.Tok, int classes = 10) =>
        new(28, 7, 1, classes, width, depth, mlp, heads, Head: head);

    public override object? Measure(StudyResults results, StudyOptions options, string root, TextWriter log)
    {
        var s = Shape(options);
        var memory = new Dictionary<string, (long, long)>();
        foreach (var (config, name) in new[] { ("adam", "adam"), ("adafactor (published)", "adafactor-paper"), ("adafactor (modified)", "adafactor-bv") })
        {
            using var model = new VisionTransformer(Vit(s.Width, s.Depth, s.Heads, s.Mlp), new Generator(1));
            var optimizer = Optimizers.Create(name, model, Optimizers.DefaultLr(name, 3e-3), Optimizers.DefaultWeightDecay(name));
            memory[config] = (optimizer.StateBytes(), model.ParameterCount() * sizeof(float));
        }

        var stepMemory = new Dictionary<string, long>();
        foreach (var (config, head) in new[] { ("--head tok", VitHead.Tok), ("--head gap", VitHead.Gap), ("--head map", VitHead.Map) })
            stepMemory[config] = StepBytes(Vit(s.Width, s.Depth, s.Heads, s.Mlp, head), s.Batch);

        var probes = new Dictionary<string, IReadOnlyList<Probe>>();
        foreach (var c in results.Configs.Where(c => c.Group == HeadDecayGroup))
        {
            var perShots = new Dictionary<int, List<double>>();
            foreach (var run in c.Finite)
            {
                string dir = Path.Combine(root, run.Run.Name), json = Path.Combine(dir, "probe.json");
                if (!File.Exists(json))
                {
                    log.WriteLine($"probe     {run.Run.Name}: digits {Downstream}, {string.Join("/", ShotCounts.Where(n => n <= s.Shots))} shots, {s.Draws} draws");
                    log.Flush();
                    using var err = new StringWriter();
                    int code = Program.Run(["probe", "--checkpoint", dir, "--mnist", options.MnistDir, "--labels", Downstream,
                                            "--shots", string.Join(",", ShotCounts.Where(n => n <= s.Shots)), "--draws", I(s.Draws),
                                            "--seed", "1", "--out", json], TextWriter.Null, err);
                    if (code != ExitCodes.Success) throw new InvalidOperationException($"study {Name}: the probe of {run.Run.Name} failed: {err}");
                }
                using var doc = JsonDocument.Parse(File.ReadAllText(json));
                foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
                {
                    int shots = r.GetProperty("shots").GetInt32();
                    if (!perShots.TryGetValue(shots, out var list)) perShots[shots] = list = [];
                    list.AddRange(r.GetProperty("accuracies").EnumerateArray().Select(a => a.GetDouble()));
                }
            }
            probes[c.Config] = perShots.OrderBy(kv => kv.Key).Select(kv => new Probe(kv.Key, kv.Value.Average(), kv.Value.Min(), kv.Value.Max(), kv.Value.Count)).ToArray();
        }

        var points = new List<ScalingPoint>();
        foreach (var o in results.Outcomes.Where(o => o.Run.Group == ScalingGroup && o.Status == RunStatus.Finished))
        {
            int width = Arg(o.Run, "--width"), depth = Arg(o.Run, "--depth"), heads = Arg(o.Run, "--heads"), images = Arg(o.Run, "--train-examples");
            using var model = new VisionTransformer(Vit(width, depth, heads, 2 * width), new Generator(1));
            long n = model.ParameterCount();
            int tokens = 16 + 1;                                               // 16 patches and the class token
            for (int i = 0; i < o.EvalSteps.Length; i++)
                if (o.EvalLoss[i] is var accuracy && double.IsFinite(accuracy) && accuracy < 1)
                    points.Add(new ScalingPoint(o.Run.Config, images, n, 6.0 * n * tokens * s.Batch * o.EvalSteps[i], 1 - accuracy));
        }
        var fits = new Dictionary<int, PowerLawFit?>();
        var fitErrors = new Dictionary<int, string>();
        foreach (var group in points.GroupBy(p => p.Images))
        {
            var frontier = Frontier(group);
            try { fits[group.Key] = PowerLaw.Fit(frontier.Select(p => p.Compute).ToArray(), frontier.Select(p => p.Error).ToArray()); }
            catch (ArgumentException e)
            {
                fits[group.Key] = null;
                fitErrors[group.Key] = e.Message;
            }
        }
        return new Extras(memory, probes, stepMemory, points, fits, fitErrors);
    }

    private static int Arg(StudyRun run, string option) =>
        int.Parse(run.Args[Array.IndexOf(run.Args, option) + 1], CultureInfo.InvariantCulture);

    /// <summary>The points no other point beats with less or equal compute: the error-compute frontier the power law describes.</summary>
    internal static ScalingPoint[] Frontier(IEnumerable<ScalingPoint> points)
    {
        var frontier = new List<ScalingPoint>();
        double best = double.PositiveInfinity;
        foreach (var p in points.OrderBy(p => p.Compute).ThenBy(p => p.Error))
            if (p.Error < best)
            {
                frontier.Add(p);
                best = p.Error;
            }
        return frontier.ToArray();
    }

    /// <summary>
    /// The peak bytes one training step of <paramref name="config"/> holds beyond the weights: forward and backward on a
    /// batch of blank images (activations kept for the backward, gradients, temporaries), from the CPU backend's
    /// high-water mark (PyTorch's max_memory_allocated after reset_peak_memory_stats).
    /// </summary>
    private static long StepBytes(VitConfig config, int batch)
    {
        using var scope = Tensor.NewDisposeScope();
        var model = new VisionTransformer(config, new Generator(1));
        var images = Tensor.Zeros([batch, config.ImageSize, config.ImageSize, config.Channels]);
        var backend = Backend.For(Device.Cpu);
        long before = backend.Memory.LiveBytes;
        backend.ResetPeakMemoryStats();
        model.Forward(images).Square().Mean().Backward();
        return backend.Memory.PeakLiveBytes - before;
    }

    public override string? Sections(StudyResults r, StudyOptions o, string root)
    {
        if (r.Extra is not Extras x) return null;
        var s = Shape(o);
        var md = new StringBuilder();

        md.AppendLine("## Optimizer memory").AppendLine();
        md.AppendLine("Optimizer state (Optimizer.StateBytes) on the optimizers group's model, against the parameters' own bytes (float32). " +
                      "The paper: Adam needs 200% of the parameters' memory, the modified Adafactor about 50%.").AppendLine();
        md.AppendLine("| optimizer | state | parameters | state / parameters |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var (config, (state, parameters)) in x.OptimizerMemory)
            md.AppendLine($"| {config} | {Tables.Bytes(state)} | {Tables.Bytes(parameters)} | {100.0 * state / parameters:0}% |");
        md.AppendLine();

        md.AppendLine("## Few-shot transfer").AppendLine();
        md.AppendLine($"Linear probes of the frozen bodies pre-trained on digits {Upstream}, learning digits {Downstream} (chance 20%): accuracy " +
                      "on their test images, mean and min-max over seeds and draws.").AppendLine();
        var shotColumns = x.Probes.Values.SelectMany(p => p.Select(q => q.Shots)).Distinct().Order().ToArray();
        md.AppendLine($"| configuration | upstream accuracy | {string.Join(" | ", shotColumns.Select(n => $"{n}-shot"))} |");
        md.AppendLine($"| --- | ---: | {string.Join(" | ", shotColumns.Select(_ => "---:"))} |");
        foreach (var (config, probes) in x.Probes)
        {
            var c = r.Find(HeadDecayGroup, config);
            md.AppendLine($"| {config} | {Metric.Format(c?.Mean ?? double.NaN)} | " +
                          string.Join(" | ", shotColumns.Select(n => probes.FirstOrDefault(p => p.Shots == n) is { } p
                              ? $"{Metric.Format(p.Mean)} ({Metric.Format(p.Min)}-{Metric.Format(p.Max)})" : "-")) + " |");
        }
        md.AppendLine();

        md.AppendLine("## Head memory").AppendLine();
        md.AppendLine($"The peak bytes one training step (forward and backward of a batch of {s.Batch}) holds beyond the weights, per head, as " +
                      "the CPU allocator holds them: in power-of-two size classes, so a buffer of 17 tokens takes the class a buffer of 32 would. " +
                      "That rounding plays the part TPU padding of 257 tokens played in the paper.").AppendLine();
        md.AppendLine("| head | step memory | vs class token | final test accuracy |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        long tok = x.StepMemory.GetValueOrDefault("--head tok");
        foreach (var (config, bytes) in x.StepMemory)
            md.AppendLine($"| {config} | {Tables.Bytes(bytes)} | {(tok > 0 ? $"{100.0 * bytes / tok:0.0}%" : "-")} | {Metric.Format(r.Find(HeadsGroup, config)?.Mean ?? double.NaN)} |");
        md.AppendLine();

        md.AppendLine("## Schedules by training length").AppendLine();
        md.AppendLine("Final test accuracy (mean over seeds) for each training length: linear decay trained once per length; rsqrt and constant " +
                      "each from one run, the length's cooldown branched off its checkpoint.").AppendLine();
        md.AppendLine($"| schedule | {string.Join(" | ", s.Lengths.Select(l => $"{l} steps"))} |");
        md.AppendLine($"| --- | {string.Join(" | ", s.Lengths.Select(_ => "---:"))} |");
        var series = new List<LossCurve>();
        foreach (var shape in new[] { "linear", "rsqrt", "constant" })
        {
            var values = s.Lengths.Select(l => r.Find(SchedulesGroup, ScheduleConfig(shape, l))?.Mean ?? double.NaN).ToArray();
            md.AppendLine($"| {shape}{(shape == "linear" ? "" : " + cooldown")} | {string.Join(" | ", values.Select(Metric.Format))} |");
            series.Add(new LossCurve(shape == "linear" ? "linear (one run per length)" : $"{shape} + cooldown (branches of one run)",
                                     s.Lengths.Select(l => (double)l).ToArray(), values.Select(Metric.Plotted).ToArray()));
        }
        md.AppendLine();
        LossPlot.Save(Path.Combine(root, "schedules-lengths.png"), $"{Name}: test error by training length", series,
                      xLabel: "training length (steps)", yLabel: Metric.PlotName);
        md.AppendLine("![test error by training length](schedules-lengths.png)").AppendLine();

        md.AppendLine("## Scaling").AppendLine();
        md.AppendLine("Test error against training compute (6 N T images: N parameters, T = 17 tokens) at every evaluation of every run of the " +
                      "scaling group; the power law E = a (C + d)^(-b) + c is fitted by least squares to the frontier (the points no run " +
                      "beat with less compute), one fit per data size.").AppendLine();
        md.AppendLine("| training images | frontier points | a | b | c | d | residual RMS |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var figures = new List<string>();
        foreach (var (images, fit) in x.Fits.OrderBy(kv => kv.Key))
        {
            var frontier = Frontier(x.Scaling.Where(p => p.Images == images));
            md.AppendLine(fit is null
                ? $"| {images:N0} | {frontier.Length} | no fit: {x.FitErrors.GetValueOrDefault(images)} | | | | |"
                : $"| {images:N0} | {frontier.Length} | {G(fit.A)} | {G(fit.B)} | {G(fit.C)} | {G(fit.D)} | {G(fit.ResidualRms)} |");
            if (fit is not null)
            {
                string png = $"scaling-fit-{images}.png";
                var all = x.Scaling.Where(p => p.Images == images).ToArray();
                PowerLawPlot.Save(Path.Combine(root, png), all.Select(p => p.Compute).ToArray(), all.Select(p => p.Error).ToArray(), fit,
                                  "training compute (FLOPs, 6 N T images)", "test error");
                figures.Add($"![error against compute, {images:N0} images]({png})");
            }
        }
        md.AppendLine();
        foreach (var figure in figures) md.AppendLine(figure).AppendLine();
        return md.ToString();
    }

    private static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string ScheduleConfig(string shape, int length) => shape == "linear" ? $"linear {length}" : $"{shape} {length} (branch)";

    public override IEnumerable<string> Claims(StudyResults r)
    {
        var x = r.Extra as Extras;
        string D(Comparison c) => Metric.FormatDelta(c.Delta) + (c.Significant ? "" : " (not significant)");

        // Optimizers.
        if (r.Compare(OptimizersGroup, "adafactor (modified)") is { } modified)
            yield return $"'the modified Adafactor performs on par with Adam or better' {(!modified.SignificantlyWorse ? "held" : "did not hold")}: {D(modified)} against Adam.";
        if (r.Compare(OptimizersGroup, "adafactor (published)") is { } published)
            yield return $"'Adafactor as published does not work out of the box' {(published.SignificantlyWorse ? "held" : "did not hold")}: {D(published)} against Adam.";
        if (x is not null && x.OptimizerMemory.TryGetValue("adam", out var adam) && x.OptimizerMemory.TryGetValue("adafactor (modified)", out var bv))
        {
            double a = 100.0 * adam.State / adam.Parameters, m = 100.0 * bv.State / bv.Parameters;
            yield return $"'the modified Adafactor needs about 50% of the parameters' memory, Adam 200%' {(Math.Abs(a - 200) <= 10 && m <= 75 ? "held" : "did not hold")}: " +
                         $"{m:0}% and {a:0}% measured (the momentum in bfloat16 is 50%; the factored second moment adds the rest).";
        }

        // Head weight decay.
        if (r.Compare(HeadDecayGroup, HeadDecays[^1].Label) is { } high)
            yield return $"'a high head weight decay lowers upstream accuracy' {(high.SignificantlyWorse ? "held" : "did not hold")}: {D(high)} for {HeadDecays[^1].Label} against none.";
        if (x is not null && x.Probes.TryGetValue(HeadDecays[0].Label, out var none) && x.Probes.TryGetValue(HeadDecays[^1].Label, out var strong))
        {
            var pairs = none.Join(strong, p => p.Shots, q => q.Shots, (p, q) => (p.Shots, None: p, High: q)).ToArray();
            int raised = pairs.Count(t => t.High.Mean > t.None.Mean && t.High.Min > t.None.Min);
            string each = string.Join(", ", pairs.Select(t => $"{t.Shots}-shot {Metric.Format(t.None.Mean)} -> {Metric.Format(t.High.Mean)}"));
            yield return $"'a high head weight decay raises few-shot transfer' {(pairs.Length > 0 && raised == pairs.Length ? "held" : raised > 0 ? "held in part" : "did not hold")}: " +
                         $"{each} (raised means a higher mean and a higher worst draw).";
        }

        // Heads.
        var heads = new[] { "--head gap", "--head map" }.Select(h => (h, Cmp: r.Compare(HeadsGroup, h))).Where(t => t.Cmp is not null).ToArray();
        if (heads.Length > 0)
            yield return $"'the class token, GAP and MAP heads perform similarly' {(heads.All(t => !t.Cmp!.Significant) ? "held" : "did not hold")}: " +
                         string.Join("; ", heads.Select(t => $"{t.h} {D(t.Cmp!)} against the class token")) + ".";
        if (x is not null && x.StepMemory.TryGetValue("--head tok", out long tokBytes) && tokBytes > 0)
        {
            var less = x.StepMemory.Where(kv => kv.Key != "--head tok").ToArray();
            yield return $"'GAP and MAP heads need less memory than the class token' {(less.All(kv => kv.Value < tokBytes) ? "held" : "did not hold")}: " +
                         string.Join(", ", less.Select(kv => $"{kv.Key} {100.0 * kv.Value / tokBytes:0.0}%")) + " of the class token's step memory " +
                         "(the class token adds one token to 16, and the allocator rounds buffers up to powers of two, as TPUs padded 257 tokens in the paper).";
        }

        // Schedules.
        var lengths = r.Configs.Where(c => c.Group == SchedulesGroup && c.Config.StartsWith("linear ", StringComparison.Ordinal))
                                .Select(c => int.Parse(c.Config["linear ".Length..], CultureInfo.InvariantCulture)).ToArray();
        if (lengths.Length > 0)
        {
            var gaps = new List<string>();
            bool linearBest = true, close = true;
            foreach (int length in lengths)
            {
                var linear = r.Find(SchedulesGroup, ScheduleConfig("linear", length))!;
                foreach (var shape in new[] { "rsqrt", "constant" })
                {
                    if (r.Find(SchedulesGroup, ScheduleConfig(shape, length)) is not { } branch) continue;
                    var cmp = new Comparison(branch, linear, HigherIsBetter: true);
                    if (cmp.SignificantlyBetter) linearBest = false;
                    if (-cmp.Delta > CloseGap && cmp.Significant) close = false;
                    gaps.Add($"{shape} at {length} {Metric.FormatDelta(cmp.Delta)}");
                }
            }
            yield return $"'linear decay is best when the length is known' {(linearBest ? "held" : "did not hold")}, and 'the cooldown schedules come reasonably close' " +
                         $"{(close ? "held" : "did not hold")}, against linear at each length: {string.Join(", ", gaps)} " +
                         $"(close is within {CloseGap * 100:0.#} point or the spread over seeds).";
        }

        // Scaling.
        if (x is not null)
            foreach (var (images, fit) in x.Fits.OrderBy(kv => kv.Key))
            {
                if (fit is null) { yield return $"No power law could be fitted on {images:N0} images: {x.FitErrors.GetValueOrDefault(images)}."; continue; }
                var frontier = Frontier(x.Scaling.Where(p => p.Images == images));
                double mean = frontier.Average(p => p.Error), total = frontier.Sum(p => (p.Error - mean) * (p.Error - mean));
                double r2 = total > 0 ? 1 - fit.ResidualRms * fit.ResidualRms * frontier.Length / total : double.NaN;
                yield return $"'error against compute follows a double-saturating power law' {(r2 >= 0.9 ? "held" : "did not hold")} on {images:N0} images: " +
                             $"E = {G(fit.A)} (C + {G(fit.D)})^-{G(fit.B)} + {G(fit.C)} over {frontier.Length} frontier points, R^2 {r2:0.000}.";
            }
        if (x is not null && x.Scaling.Count > 0)
        {
            var largest = x.Scaling.MaxBy(p => p.Parameters)!;
            var final = x.Scaling.Where(p => p.Parameters == largest.Parameters).GroupBy(p => p.Images)
                                 .ToDictionary(g => g.Key, g => g.MaxBy(p => p.Compute)!.Error);
            if (final.Count >= 2)
            {
                var (small, big) = (final.MinBy(kv => kv.Key), final.MaxBy(kv => kv.Key));
                yield return $"'the largest model benefits from more data' {(big.Value < small.Value ? "held" : "did not hold")}: its final test error was " +
                             $"{big.Value * 100:0.00}% on {big.Key:N0} images against {small.Value * 100:0.00}% on {small.Key:N0}.";
            }
        }
    }

    /// <summary>How far below linear decay, in accuracy, a cooldown schedule may end and still be "reasonably close": half a point.</summary>
    internal const double CloseGap = 0.005;
}
