// The dualized study: modula's "dualized ViT" against Adam on MNIST, after the pull request that ported it (a ViT
// built for dualized updates, trained with momentum and dualized updates, "not quite as performant as Adam" after
// 1,000 steps), then a bisection of the three ways its optimizer differs from Muon, and the parameter norm over
// training (the thread saw it grow 50-fold on ImageNet).
using System.Globalization;
using System.Text;
using DotGrad.Cli.Output;

namespace DotGrad.Cli.Study;

internal sealed class DualizedStudy : TrainingStudy
{
    public const string GroupName = "dualized";

    // The configuration labels the claims look up.
    public const string Dualized = "dualized updates", WarmUp = "dualized updates, warm-up", AdamWSame = "AdamW, same net",
                        AdamWStandard = "AdamW, standard ViT", UniformTargets = "uniform target norms",
                        AdamWVectors = "AdamW for biases and gains", ClippedFan = "clipped fan factor";

    public override string Name => "dualized";

    public override string Summary => "modula's dualized ViT with dualized updates against AdamW on MNIST, the three differences from Muon " +
                                      "bisected, and the parameter norm over training";

    public override string Question =>
        "Does a ViT built for dualized updates (GELU scaled by 1/1.1289, attention logits scaled by 1/d with the output times 1/3, " +
        "residual x = (1 - s) x + s f(x) with s = 1/(2 depth), constant sin-cos positions), trained with momentum 0.95 and dualized " +
        "updates, trail Adam only a little on MNIST after 1,000 steps, as the modula thread found? Which of the three ways its optimizer " +
        "differs from Muon matters (per-layer target norms; momentum + L2-normalised updates for biases and sign updates for norm gains " +
        "instead of an AdamW fallback; the unclipped sqrt(fan_out / fan_in) factor instead of sqrt(max(1, fan_out / fan_in)))? And does the " +
        "parameter norm grow many-fold, as the thread saw?";

    public override StudyData Data => StudyData.Mnist;

    public override StudyMetric Metric => StudyMetric.TestAccuracy;

    /// <summary>The network (the modula port's MNIST shape: width 32, 4 blocks of 4 heads, MLP 128) and the run shape.</summary>
    private static (int Width, int Depth, int Heads, int Mlp, int Batch, int Steps, int EvalEvery, int WarmUpSteps, ulong[] Seeds) Shape(StudyOptions o) =>
        o.Quick ? (16, 1, 2, 32, 32, 30, 10, 5, [1, 2]) : (32, 4, 4, 128, 128, 1000, 100, 50, [1, 2, 3]);

    /// <summary>The dualized updates as the thread ran them: momentum 0.95 (the optimizer's default), cosine decay to 0, no warm-up.</summary>
    internal const string DualizedLr = "0.1";

    public override IReadOnlyList<StudyGroup> Groups(StudyOptions o)
    {
        var s = Shape(o);
        return
        [
            new(GroupName, $"The dualized ViT (width {s.Width}, depth {s.Depth}, {s.Heads} heads, MLP {s.Mlp}, patch 7, GAP head) on MNIST, " +
                           $"batch {s.Batch}, {s.Steps} steps. The baseline trains it with dualized updates (lr {DualizedLr}, momentum 0.95, " +
                           $"cosine decay, no warm-up); then the same with a {s.WarmUpSteps}-step warm-up; the same network and a standard ViT of " +
                           "the same size with AdamW at the MNIST task's defaults (lr 3e-3, cosine, 100 warm-up steps, weight decay 0.01); and " +
                           "the baseline with one difference from Muon switched back to Muon's way each: one target norm for every layer, an " +
                           "AdamW fallback for biases and norm gains, the fan factor clipped from below at 1."),
        ];
    }

    private static IEnumerable<(string Config, string[] Args)> Configurations(StudyOptions o)
    {
        var s = Shape(o);
        string[] dualized = ["--dualized", "--optimizer", "dualized", "--lr", DualizedLr, "--schedule", "cosine", "--warmup", "0"];
        yield return (Dualized, dualized);
        yield return (WarmUp, ["--dualized", "--optimizer", "dualized", "--lr", DualizedLr, "--schedule", "cosine", "--warmup", I(s.WarmUpSteps)]);
        yield return (AdamWSame, ["--dualized", "--optimizer", "adamw"]);
        yield return (AdamWStandard, ["--optimizer", "adamw"]);
        yield return (UniformTargets, [.. dualized, "--dualized-targets", "uniform"]);
        yield return (AdamWVectors, [.. dualized, "--dualized-vectors", "adamw"]);
        yield return (ClippedFan, [.. dualized, "--dualized-fan", "clipped"]);
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    public override IReadOnlyList<StudyRun> Plan(StudyOptions o)
    {
        var s = Shape(o);
        string[] common =
        [
            "vit", "--mnist", o.MnistDir, "--width", I(s.Width), "--depth", I(s.Depth), "--heads", I(s.Heads), "--mlp-hidden", I(s.Mlp),
            "--batch", I(s.Batch), "--steps", I(s.Steps), "--eval-every", I(s.EvalEvery),
        ];
        return (from c in Configurations(o)
                from seed in s.Seeds
                select new StudyRun($"{GroupName}-{StudyReport.Slug(c.Config)}-seed{seed}", GroupName, c.Config, seed, s.Steps,
                                    [.. common, .. c.Args, "--seed", seed.ToString(CultureInfo.InvariantCulture)]))
               .ToArray();
    }

    // A width-32 ViT step of 128 images, with the evaluations, on 2 cores: the 21 default runs took 16 minutes (the estimate says 17.5).
    public override double SecondsPerStep(StudyOptions o) => o.Quick ? 0.01 : 0.05;

    /// <summary>The parameter norm of each configuration, averaged over its finished seeds, step by step.</summary>
    internal sealed record NormCurves(IReadOnlyDictionary<string, (double[] Steps, double[] Norms)> ByConfig)
    {
        /// <summary>How many times the parameter norm grew from the first step to the last (NaN without a curve).</summary>
        public double Growth(string config) =>
            ByConfig.TryGetValue(config, out var c) && c.Norms.Length > 1 && c.Norms[0] > 0 ? c.Norms[^1] / c.Norms[0] : double.NaN;
    }

    public override object? Measure(StudyResults results, StudyOptions options, string root, TextWriter log)
    {
        var curves = new Dictionary<string, (double[], double[])>();
        foreach (var c in results.Configs)
        {
            var runs = (c.Finite.Length > 0 ? c.Finite : c.Runs).Select(Norms).Where(x => x.Values.Length > 0).ToArray();
            if (runs.Length == 0) continue;
            int n = runs.Min(r => r.Values.Length);
            curves[c.Config] = (runs[0].Steps[..n], Enumerable.Range(0, n).Select(i => runs.Average(r => r.Values[i])).ToArray());
        }
        return new NormCurves(curves);

        // A run's param_norm column as RunOutcome read it from metrics.csv, without the rows that have none (NaN).
        static (double[] Steps, double[] Values) Norms(RunOutcome r)
        {
            var keep = Enumerable.Range(0, r.ParamNorm.Length).Where(i => double.IsFinite(r.ParamNorm[i])).ToArray();
            return (keep.Select(i => r.RowSteps[i]).ToArray(), keep.Select(i => r.ParamNorm[i]).ToArray());
        }
    }

    public override string? Sections(StudyResults r, StudyOptions o, string root)
    {
        if (r.Extra is not NormCurves norms || norms.ByConfig.Count == 0) return null;
        var md = new StringBuilder();
        md.AppendLine("## Parameter norm").AppendLine();
        md.AppendLine("The global L2 norm of all parameters after each step (metrics.csv's `param_norm`), averaged over seeds. The thread " +
                      "saw it grow about 50-fold under dualized updates on ImageNet.").AppendLine();
        md.AppendLine("| configuration | after step 1 | at the end | growth |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var (config, (_, values)) in norms.ByConfig)
            md.AppendLine($"| {config} | {values[0].ToString("F2", CultureInfo.InvariantCulture)} | {values[^1].ToString("F2", CultureInfo.InvariantCulture)} | " +
                          $"{norms.Growth(config).ToString("F2", CultureInfo.InvariantCulture)} x |");
        md.AppendLine();
        LossPlot.Save(Path.Combine(root, "param-norm.png"), $"{Name}: parameter norm vs steps",
                      norms.ByConfig.Select(kv => new LossCurve(kv.Key, kv.Value.Steps, kv.Value.Norms)).ToArray(), yLabel: "parameter norm");
        md.AppendLine("![parameter norm vs steps](param-norm.png)").AppendLine();
        return md.ToString();
    }

    public override IEnumerable<string> Claims(StudyResults r)
    {
        var metric = Metric;
        string Points(double delta) => metric.FormatDelta(delta);
        if (r.Find(GroupName, Dualized) is not { } dualized) yield break;

        if (r.Find(GroupName, AdamWSame) is { } adamw)
        {
            var cmp = new Comparison(dualized, adamw, HigherIsBetter: true);  // dualized against AdamW: negative when it trails
            double gap = -cmp.Delta;
            string verdict = !double.IsFinite(gap) ? "could not be judged (no finished run on one side)"
                : gap <= 0 ? "did not hold: the dualized updates did as well as AdamW or better"
                : gap <= LittleGap ? (cmp.Significant ? "held" : "held weakly (the gap is within the spread over seeds)")
                : "did not hold: the dualized updates trailed by more than a little";
            yield return $"'momentum with dualized updates trails Adam a little on MNIST' {verdict} " +
                         $"({metric.Format(dualized.Mean)} against AdamW's {metric.Format(adamw.Mean)} on the same network, {Points(cmp.Delta)}; " +
                         $"'a little' is taken as at most {LittleGap * 100:0.#} point).";
        }
        if (r.Find(GroupName, AdamWStandard) is { } standard && r.Find(GroupName, AdamWSame) is { } same)
        {
            var cmp = new Comparison(same, standard, HigherIsBetter: true);
            yield return $"Under AdamW the dualized ViT's scalings {(cmp.SignificantlyWorse ? "cost accuracy" : cmp.SignificantlyBetter ? "helped" : "made no significant difference")} " +
                         $"against a standard ViT of the same size ({Points(cmp.Delta)}{(cmp.Significant ? "" : ", not significant")}).";
        }
        if (r.Compare(GroupName, WarmUp) is { } warm)
            yield return $"'the dualized updates need a learning-rate warm-up' {(warm.SignificantlyBetter ? "held" : warm.SignificantlyWorse ? "did not hold (the warm-up hurt)" : "was not shown (within the spread)")}: " +
                         $"a short warm-up changed the accuracy by {Points(warm.Delta)}.";

        var bisect = new[] { (UniformTargets, "per-layer target norms"), (AdamWVectors, "the dualized rules for biases and norm gains"),
                             (ClippedFan, "the unclipped fan factor") }
            .Select(b => (b.Item2, Cmp: r.Compare(GroupName, b.Item1))).Where(b => b.Cmp is not null && double.IsFinite(b.Cmp.Delta)).ToArray();
        if (bisect.Length > 0)
        {
            var matters = bisect.Where(b => b.Cmp!.Significant).OrderByDescending(b => Math.Abs(b.Cmp!.Delta)).ToArray();
            string each = string.Join("; ", bisect.Select(b => $"switching {b.Item1} back to Muon's way changed the accuracy by {Points(b.Cmp!.Delta)}" +
                                                                 (b.Cmp!.Significant ? "" : " (not significant)")));
            yield return matters.Length == 0
                ? $"Of the three differences from Muon, none mattered beyond the spread over seeds: {each}."
                : $"Of the three differences from Muon, {string.Join(" and ", matters.Select(m => m.Item1))} mattered: {each}.";
        }

        if (r.Extra is NormCurves norms)
        {
            double dual = norms.Growth(Dualized), adam = norms.Growth(AdamWSame);
            if (double.IsFinite(dual) && double.IsFinite(adam))
                yield return $"'the parameter norm grows many-fold under dualized updates' {(dual >= ManyFold && dual > 2 * adam ? "held" : "did not hold")}: " +
                             $"it grew {dual:0.0}-fold over training, against {adam:0.0}-fold under AdamW on the same network " +
                             $"(many-fold is taken as at least {ManyFold:0}-fold and twice AdamW's growth; the thread saw 50-fold on ImageNet).";
        }
    }

    /// <summary>The largest accuracy gap, as a fraction, that still counts as trailing "a little": one percentage point.</summary>
    internal const double LittleGap = 0.01;

    /// <summary>The growth of the parameter norm that counts as many-fold.</summary>
    internal const double ManyFold = 5;
}
