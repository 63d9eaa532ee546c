// The mixers study: which token mixer learns characters best, after the MLP-Mixer / gMLP / Synthesizer / CONTAINER
// thread on character-level LMs, in miniature: tinyshakespeare, context 128, constant learning rate 1e-3, adaptive
// gradient clipping at 0.003 and every mixer at the same parameter count (MixerLmConfig.MatchParameters). A second
// group trains the Mixer with SM3 (Nesterov momentum) against Adam, each at the library's defaults.
using System.Globalization;
using System.Text;
using DotGrad.Cli.Output;
using DotGrad.Cli.Tasks;
using DotGrad.Cli.Training;
using DotGrad.Models;

namespace DotGrad.Cli.Study;

internal sealed class MixersStudy : TrainingStudy
{
    public const string MixersGroup = "mixers", OptimizersGroup = "optimizers";

    public override string Name => "mixers";

    public override StudyData Data => StudyData.Text;

    public override string Summary => "token mixers at equal parameters on characters: attention, MLP-Mixer (1 and 4 heads), gMLP, gMLP-tanh, " +
                                      "Synthesizers, CONTAINER, ReZero on and off; then SM3 with Nesterov momentum against Adam on the Mixer";

    public override string Question =>
        "Which token mixer learns characters best at an equal parameter count? The claim under test: an MLP-Mixer converges best on " +
        "character-level language modelling, runs faster and uses the least memory; gMLP is unstable (NaN); attention is a strong " +
        "baseline; attention's probabilities cost batch x heads x seq^2 floats where a learned token-mixing matrix costs seq^2. " +
        "Every run uses a constant learning rate of 1e-3 (no warmup), adaptive gradient clipping at 0.003 (each weight's gradient " +
        "clipped to 0.003 of its norm, unit-wise; no global-norm clipping) and the same parameter count within 5%. The second part " +
        "trains the Mixer with SM3 (Nesterov momentum) and with Adam, each at the library's defaults, and compares loss and optimizer memory.";

    /// <summary>The run shape, default and quick: the parameter target every mixer is matched to, and the seeds.</summary>
    private static (long Target, int Depth, int Context, int Batch, int Steps, int EvalEvery, ulong[] Seeds) Shape(StudyOptions o) =>
        o.Quick ? (24_000, 1, 32, 8, 30, 10, [1]) : (320_000, 2, 128, 16, 600, 100, [1, 2]);

    /// <summary>One configuration: its label, mixer word, mixer heads and ReZero.</summary>
    private sealed record Mixer(string Label, string Word, int Heads, bool ReZero);

    private static readonly Mixer[] MixerConfigs =
    [
        new("attention", "attention", 4, false),
        new("mixer", "mixer", 1, false),
        new("mixer h=4", "mixer", 4, false),
        new("gmlp", "gmlp", 1, false),
        new("gmlp-tanh", "gmlp-tanh", 1, false),
        new("synthesizer-dense", "synthesizer-dense", 4, false),
        new("synthesizer-random", "synthesizer-random", 4, false),
        new("container", "container", 4, false),
        new("mixer --rezero", "mixer", 1, true),
        new("gmlp --rezero", "gmlp", 1, true),
    ];

    /// <summary>The optimizers group: the Mixer (one head) with each optimizer at its defaults; Adam first, the baseline.</summary>
    private static readonly (string Label, string[] Args)[] OptimizerConfigs =
    [
        ("adam", ["--optimizer", "adam"]),
        ("sm3 nesterov", ["--optimizer", "sm3", "--sm3-momentum", "nesterov"]),
    ];

    public override IReadOnlyList<StudyGroup> Groups(StudyOptions o)
    {
        var s = Shape(o);
        return
        [
            new(MixersGroup, $"Every mixer at {s.Target:N0} parameters (within 5%; the table below gives each run's width, hidden size and " +
                             $"count), depth {s.Depth}, context {s.Context}, batch {s.Batch}, {s.Steps} steps, Adam at a constant 1e-3 with " +
                             "--agc 0.003. ReZero (no norms, each branch joined as x + alpha f(x)) on and off for the Mixer and gMLP. " +
                             "A run diverges when its training loss becomes NaN or infinite."),
            new(OptimizersGroup, "The one-head Mixer of the first group trained by Adam and by SM3 with Nesterov momentum, each at the " +
                                 $"library's defaults (Adam lr {Optimizers.DefaultLr("adam", 2e-3):G3}, betas 0.9/0.999; SM3 lr " +
                                 $"{Optimizers.DefaultLr("sm3", 2e-3):G3}, momentum 0.9), constant schedule, --agc 0.003."),
        ];
    }

    /// <summary>The model each mixer configuration trains: the parameter-matched MixerLmConfig.</summary>
    private static MixerLmConfig Model(Mixer m, StudyOptions o, int vocab)
    {
        var s = Shape(o);
        var kind = MixerLmModel.Mixers.First(x => x.Word == m.Word).Value;
        var template = new MixerLmConfig(vocab, s.Context, Width: 64, Depth: s.Depth, Mixer: kind, Heads: m.Heads, ReZero: m.ReZero);
        return MixerLmConfig.MatchParameters(s.Target, template, widthMultiple: 4);
    }

    /// <summary>The text's vocabulary size, as the text task builds it (65 for tinyshakespeare when the file is absent).</summary>
    private static int Vocab(StudyOptions o)
    {
        try { return File.Exists(o.TextFile) ? CharVocab.FromText(File.ReadAllText(o.TextFile)).Size : 65; }
        catch (IOException) { return 65; }
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string[] ModelArgs(MixerLmConfig c, string word) =>
        ["--width", I(c.Width), "--mlp-hidden", I(c.Hidden), "--mixer", word, "--mixer-heads", I(c.Heads), .. c.ReZero ? new[] { "--rezero" } : []];

    public override IReadOnlyList<StudyRun> Plan(StudyOptions o)
    {
        var s = Shape(o);
        int vocab = Vocab(o);
        string[] common =
        [
            "lm", "--text", o.TextFile, "--context", I(s.Context), "--depth", I(s.Depth), "--batch", I(s.Batch), "--steps", I(s.Steps),
            "--eval-every", I(s.EvalEvery), "--schedule", "constant", "--warmup", "0", "--clip", "0", "--agc", "0.003",
        ];
        var configs = MixerConfigs.Select(m => (Group: MixersGroup, m.Label, Args: (string[])[.. ModelArgs(Model(m, o, vocab), m.Word), "--optimizer", "adam", "--lr", "1e-3"]))
            .Concat(OptimizerConfigs.Select(c => (Group: OptimizersGroup, c.Label, Args: (string[])[.. ModelArgs(Model(MixerConfigs[1], o, vocab), "mixer"), .. c.Args])));
        return (from c in configs
                from seed in s.Seeds
                select new StudyRun($"{c.Group}-{StudyReport.Slug(c.Label)}-seed{seed}", c.Group, c.Label, seed, s.Steps,
                                    [.. common, .. c.Args, "--seed", seed.ToString(CultureInfo.InvariantCulture)]))
               .ToArray();
    }

    // Measured on a 2-core CPU at the default shape: 35 ms (Mixer, 4 heads) to 95 ms (attention) a step with the evaluations.
    public override double SecondsPerStep(StudyOptions o) => o.Quick ? 0.01 : 0.1;

    /// <summary>
    /// The floats of one block's mixing tensors at batch B and sequence T: the attention probabilities B h T T; the
    /// Mixer's two learned token matrices per head 2 h T T; gMLP's gate T T; the Dense Synthesizer's per-example
    /// mixing B h T T; the Random Synthesizer's learned (and softmaxed) h T T; CONTAINER both B h T T and T T.
    /// </summary>
    public static long MixingFloats(TokenMixerKind kind, int heads, int batch, int T) => kind switch
    {
        TokenMixerKind.Attention or TokenMixerKind.SynthesizerDense => (long)batch * heads * T * T,
        TokenMixerKind.Mixer => 2L * heads * T * T,
        TokenMixerKind.GMlp or TokenMixerKind.GMlpTanh => (long)T * T,
        TokenMixerKind.SynthesizerRandom => (long)heads * T * T,
        TokenMixerKind.Container => (long)batch * heads * T * T + (long)T * T,
        _ => 0,
    };

    private static string Formula(TokenMixerKind kind) => kind switch
    {
        TokenMixerKind.Attention => "B h T^2 (probabilities)",
        TokenMixerKind.SynthesizerDense => "B h T^2 (synthesized mixing)",
        TokenMixerKind.Mixer => "2 h T^2 (W1, W2)",
        TokenMixerKind.GMlp or TokenMixerKind.GMlpTanh => "T^2 (gate W)",
        TokenMixerKind.SynthesizerRandom => "h T^2 (learned logits)",
        TokenMixerKind.Container => "B h T^2 + T^2",
        _ => "-",
    };

    /// <summary>What each configuration of the study trains: the parameter-matched config, its mixing bytes, its optimizer state.</summary>
    private sealed record Sizing(string Group, string Config, MixerLmConfig Model, long Parameters, long MixingBytes, long? OptimizerBytes);

    private static IEnumerable<Sizing> Sizings(StudyOptions o)
    {
        var s = Shape(o);
        int vocab = Vocab(o);
        foreach (var m in MixerConfigs)
        {
            var c = Model(m, o, vocab);
            yield return new(MixersGroup, m.Label, c, c.ParameterCount(), 4 * c.Depth * MixingFloats(c.Mixer, c.Heads, s.Batch, s.Context), null);
        }
        var mixer = Model(MixerConfigs[1], o, vocab);
        foreach (var (label, args) in OptimizerConfigs)
        {
            // The optimizer's state, measured by building it on the run's model as the train command does.
            var model = new MixerLm(mixer, new Generator(1));
            var optimizer = OptimizerFor(args, model);
            yield return new(OptimizersGroup, label, mixer, mixer.ParameterCount(), 4 * mixer.Depth * MixingFloats(mixer.Mixer, mixer.Heads, s.Batch, s.Context),
                             optimizer.StateBytes());
        }
    }

    private static Optim.Optimizer OptimizerFor(string[] args, Module model)
    {
        string name = args[Array.IndexOf(args, "--optimizer") + 1];
        int k = Array.IndexOf(args, "--sm3-momentum");
        return Optimizers.Create(name, model, Optimizers.DefaultLr(name, 2e-3), Optimizers.DefaultWeightDecay(name),
                                 sm3Momentum: k >= 0 ? args[k + 1] : null);
    }

    public override string? Sections(StudyResults r, StudyOptions o, string root)
    {
        var s = Shape(o);
        var md = new StringBuilder();
        md.AppendLine("## Sizes and memory").AppendLine();
        md.AppendLine($"Each configuration's parameter-matched model and the floats its mixing tensors hold per block at batch B = {s.Batch}, " +
                      $"T = {s.Context}, over all {s.Depth} block(s), as 4-byte floats; the optimizer's state is measured by building the optimizer " +
                      "on the run's model (Optimizer.StateBytes).").AppendLine();
        md.AppendLine("| group | configuration | width | mixer heads | hidden | parameters | vs target | mixing tensor | mixing memory | optimizer state | tokens/s |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (var z in Sizings(o))
        {
            var c = r.Find(z.Group, z.Config);
            md.AppendLine($"| {z.Group} | {z.Config} | {z.Model.Width} | {(TokenMixers.IsGated(z.Model.Mixer) ? "-" : I(z.Model.Heads))} | {z.Model.Hidden} | " +
                          $"{z.Parameters.ToString("N0", CultureInfo.InvariantCulture)} | {(z.Parameters - s.Target) / (double)s.Target:+0.0%;-0.0%;0.0%} | " +
                          $"{Formula(z.Model.Mixer)} | {Tables.Bytes(z.MixingBytes)} | {(z.OptimizerBytes is { } b ? Tables.Bytes(b) : "-")} | " +
                          $"{(c is null ? "-" : c.Rate.ToString("N0", CultureInfo.InvariantCulture))} |");
        }
        md.AppendLine();
        return md.ToString();
    }

    public override IEnumerable<string> Claims(StudyResults r)
    {
        var mixers = r.Configs.Where(c => c.Group == MixersGroup).ToArray();
        if (mixers.Length == 0) yield break;
        var sizing = Sizings(OptionsOf(r)).ToArray();
        static bool IsMixer(string config) => config.StartsWith("mixer", StringComparison.Ordinal);

        // Best by final validation loss, and whether it stands out from the runner-up beyond the spread over seeds.
        var ranked = mixers.Where(c => double.IsFinite(c.Mean)).OrderBy(c => c.Mean).ToArray();
        if (ranked.Length > 0)
        {
            var best = ranked[0];
            string detail = $"the lowest mean final validation loss is {best.Config}'s ({best.Mean:F4} nats)";
            if (ranked.Length > 1)
            {
                var cmp = new Comparison(ranked[1], best);
                detail += $", {cmp.Delta:0.0000} below the runner-up {ranked[1].Config}{(cmp.Significant ? " (beyond the spread over seeds)" : " (within the spread over seeds, or too few seeds to tell)")}";
                var bestOther = IsMixer(best.Config) ? ranked.FirstOrDefault(c => !IsMixer(c.Config)) : null;
                bool significant = bestOther is not null && new Comparison(bestOther, best).Significant;
                yield return $"'an MLP-Mixer converges best' {(IsMixer(best.Config) ? significant ? "held" : "held weakly (not beyond the spread)" : "did not hold")}: {detail}.";
            }
            else yield return $"'an MLP-Mixer converges best' {(IsMixer(best.Config) ? "held weakly (only one finite configuration)" : "did not hold")}: {detail}.";
        }

        var fastest = mixers.OrderByDescending(c => c.Rate).First();
        var mixerRate = mixers.Where(c => IsMixer(c.Config)).Max(c => c.Rate);
        var attention = r.Find(MixersGroup, "attention");
        yield return $"'the Mixer runs faster' {(IsMixer(fastest.Config) ? "held" : "did not hold")}: the fastest is {fastest.Config} at " +
                     $"{fastest.Rate:N0} tokens/s; the fastest Mixer runs {mixerRate:N0}" +
                     (attention is { Rate: > 0 } ? $", {mixerRate / attention.Rate:F2} x attention's {attention.Rate:N0}." : ".");

        var mixing = sizing.Where(z => z.Group == MixersGroup).ToArray();
        var least = mixing.MinBy(z => z.MixingBytes)!;
        var leastMixer = mixing.Where(z => IsMixer(z.Config)).MinBy(z => z.MixingBytes)!;
        yield return $"'the Mixer uses the least memory' {(IsMixer(least.Config) ? "held" : "did not hold")} for the mixing tensors: the least is " +
                     $"{least.Config} ({Tables.Bytes(least.MixingBytes)}), the one-head Mixer holds {Tables.Bytes(leastMixer.MixingBytes)}.";

        var att = mixing.First(z => z.Config == "attention");
        var mix = mixing.First(z => z.Config == "mixer");
        yield return $"'attention's tensor costs batch x heads x seq^2 where a learned token-mixing matrix costs seq^2' held by construction: " +
                     $"here attention's probabilities take {Tables.Bytes(att.MixingBytes)} against the Mixer's {Tables.Bytes(mix.MixingBytes)} " +
                     $"({att.MixingBytes / (double)mix.MixingBytes:F1} x), and the ratio grows with the batch.";

        var gmlps = mixers.Where(c => c.Config.StartsWith("gmlp", StringComparison.Ordinal)).ToArray();
        int gDiverged = gmlps.Sum(c => c.Diverged), gRuns = gmlps.Sum(c => c.Runs.Length);
        string where = string.Join(", ", gmlps.SelectMany(c => c.Runs).Where(o => o.DivergedAt is not null).Select(o => $"{o.Run.Name} at step {o.DivergedAt}"));
        yield return $"'gMLP is unstable (NaN)' {(gDiverged > 0 ? "held" : "did not hold")}: {gDiverged} of {gRuns} gMLP runs diverged{(where.Length > 0 ? $" ({where})" : "")}.";

        if (attention is not null && ranked.Length > 0)
        {
            var best = ranked[0];
            if (best == attention) yield return "'attention is a strong baseline' held: attention is itself the best.";
            else if (!double.IsFinite(attention.Mean)) yield return "'attention is a strong baseline' did not hold: no attention run finished.";
            else
            {
                var cmp = new Comparison(attention, best);
                yield return $"'attention is a strong baseline' {(cmp.Significant ? "did not hold" : "held")}: attention's final validation loss is " +
                             $"{cmp.Delta:+0.0000;-0.0000} nats from the best ({best.Config}), {(cmp.Significant ? "beyond" : "within")} the spread over seeds.";
            }
        }

        if (r.Find(OptimizersGroup, "adam") is { } adam && r.Find(OptimizersGroup, "sm3 nesterov") is { } sm3)
        {
            var a = sizing.First(z => z.Config == "adam");
            var b = sizing.First(z => z.Config == "sm3 nesterov");
            var cmp = new Comparison(sm3, adam);
            string loss = double.IsFinite(cmp.Delta)
                ? $"SM3 ended {cmp.Delta:+0.0000;-0.0000} nats from Adam{(cmp.Significant ? "" : " (not significant)")}"
                : $"SM3 {(sm3.Diverged > 0 ? "diverged" : "did not finish")} in {sm3.Diverged} of {sm3.Runs.Length} seeds, Adam in {adam.Diverged} of {adam.Runs.Length}";
            bool lower = double.IsFinite(cmp.Delta) ? cmp.Delta < 0 : sm3.Finite.Length > adam.Finite.Length;
            yield return $"'SM3 with Nesterov momentum beats Adam at less memory' {(lower && b.OptimizerBytes < a.OptimizerBytes ? cmp.Significant || !double.IsFinite(cmp.Delta) ? "held" : "held weakly (within the spread)" : "did not hold")}: " +
                         $"{loss}; its state takes {Tables.Bytes(b.OptimizerBytes ?? 0)} against Adam's {Tables.Bytes(a.OptimizerBytes ?? 0)} " +
                         $"({(b.OptimizerBytes ?? 0) / (double)Math.Max(1, a.OptimizerBytes ?? 1):P0}).";
        }
    }

    /// <summary>The options the runs were planned with, recovered from their arguments (the claims see only the results).</summary>
    private static StudyOptions OptionsOf(StudyResults r)
    {
        var args = r.Outcomes[0].Run.Args;
        string text = args[Array.IndexOf(args, "--text") + 1];
        bool quick = args[Array.IndexOf(args, "--context") + 1] == I(Shape(new StudyOptions(true, text, null)).Context);
        return new StudyOptions(quick, text, null);
    }
}
