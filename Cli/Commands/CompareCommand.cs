// dotgrad compare: the same training run under several optimizers or architecture switches, one after another,
// then every loss curve in one PNG, and a table (and compare.csv) of final loss, evaluation, wall time and optimizer
// memory (and the final parameter norm in compare.csv). Each run is an ordinary 'dotgrad train' run with its own directory, so any of them can be resumed or sampled.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DotGrad.Backends;
using DotGrad.Cli.Output;
using DotGrad.Cli.Training;
using DotGrad.Optim;

namespace DotGrad.Cli.Commands;

internal static class CompareCommand
{
    /// <summary>What a comparison of optimizers runs when --optimizers is not given.</summary>
    public static readonly string[] DefaultOptimizers = ["sgd", "adamw", "adafactor", "adafactor-bv", "lion", "sm3", "muon", "dualized"];

    public static Command Create(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "The model every run trains, as in 'dotgrad train MODEL' (default gpt)", HelpName = "MODEL" };
        var optimizers = new Option<string?>("--optimizers")
        {
            Description = $"Comma-separated optimizers to compare (default: {string.Join(",", DefaultOptimizers)}; with --variant: adamw)",
            HelpName = "LIST",
        };
        var variants = new Option<string[]>("--variant")
        {
            Description = "One architecture variant as quoted train options, e.g. --variant '--norm post' --variant '--mlp swiglu --rope'; " +
                          "repeat for more (a baseline without switches runs first)",
            HelpName = "OPTIONS",
        };
        var output = new Option<string?>("--out") { Description = "Directory for the runs, compare.png and compare.csv (default runs/compare-TIMESTAMP)", HelpName = "DIR" };
        var command = new Command("compare", "Train the same task under several optimizers or architecture switches and plot their loss curves together; " +
                                             "any other option (--steps, --text, --seed, --device, ...) goes to every run")
        {
            model, optimizers, variants, output,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(p => Run(context, p, p.GetValue(model), p.GetValue(optimizers), p.GetValue(variants) ?? [], p.GetValue(output)));
        return command;
    }

    /// <summary>One run of the comparison: its legend label and the train options that make it.</summary>
    private sealed record Plan(string Label, string Optimizer, string[] Switches, string Dir);

    private static int Run(CliContext context, ParseResult parse, string? model, string? optimizerList, string[] variants, string? outDir)
    {
        var passThrough = parse.UnmatchedTokens.ToArray();
        foreach (var reserved in new[] { "--optimizer", "--out", "--resume", "--branch", "--overwrite" })
            if (passThrough.Contains(reserved))
                throw new UserError($"dotgrad compare sets {reserved} for each run itself; use --optimizers LIST{(reserved == "--out" ? " and compare's own --out" : "")} instead");

        var names = (optimizerList ?? (variants.Length > 0 ? "adamw" : string.Join(",", DefaultOptimizers)))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Optimizers.Validate).Distinct().ToArray();
        if (names.Length == 0) throw new UserError("--optimizers is empty; name at least one optimizer, e.g. --optimizers sgd,adamw");
        var switchSets = new List<(string Label, string[] Tokens)>();
        if (variants.Length > 0) switchSets.Add(("baseline", []));
        foreach (var v in variants)
        {
            var tokens = CommandLineParser.SplitCommandLine(v).ToArray();
            if (tokens.Length == 0) throw new UserError("--variant '' is empty; give train options, e.g. --variant '--norm post'");
            switchSets.Add((string.Join(" ", tokens), tokens));
        }
        if (switchSets.Count == 0) switchSets.Add(("", []));
        if (names.Length * switchSets.Count < 2)
            throw new UserError("dotgrad compare needs at least two runs: give two or more --optimizers, or one or more --variant");

        string root = Path.GetFullPath(outDir ?? Path.Combine("runs", $"compare-{DateTime.Now:yyyyMMdd-HHmmss}"));
        var plans = (from o in names
                     from s in switchSets
                     let label = names.Length > 1 && s.Label.Length > 0 ? $"{o} {s.Label}" : names.Length > 1 ? o : s.Label
                     select new Plan(label, o, s.Tokens, Path.Combine(root, Slug(label)))).ToArray();

        for (int i = 0; i < plans.Length; i++)
        {
            var plan = plans[i];
            context.Out.WriteLine($"== run {i + 1} of {plans.Length}: {plan.Label}");
            string[] args = ["train", .. model is null ? Array.Empty<string>() : [model], .. passThrough, .. plan.Switches,
                             "--optimizer", plan.Optimizer, "--out", plan.Dir, "--overwrite"];   // compare's own run directories: a rerun replaces them
            int code = Program.Run(args, context.Out, context.Err, context.Interactive);
            if (code != ExitCodes.Success)
            {
                context.Err.WriteLine($"dotgrad: compare stopped at run {i + 1} ({plan.Label}); the runs before it are in {root}.");
                return code;
            }
        }

        var results = plans.Select(Summarise).ToArray();
        LossPlot.Save(Path.Combine(root, "compare.png"), "Training loss", results.Select(r => new LossCurve(r.Plan.Label, r.Steps, r.Losses)).ToArray());
        WriteCsv(Path.Combine(root, "compare.csv"), results);
        PrintTable(context, results);
        context.Out.WriteLine($"plot      {Path.Combine(root, "compare.png")}");
        context.Out.WriteLine($"table     {Path.Combine(root, "compare.csv")}");
        return ExitCodes.Success;
    }

    /// <summary>What one finished run reports: its loss curve, its final loss and evaluation, wall time, optimizer memory and final parameter norm.</summary>
    private sealed record Result(Plan Plan, double[] Steps, double[] Losses, double FinalLoss, double? Metric, string? MetricName, double Seconds, long StateBytes,
                                 double ParamNorm);

    private static Result Summarise(Plan plan)
    {
        string metrics = Path.Combine(plan.Dir, MetricsWriter.FileName);
        var (steps, losses, evals, norms) = MetricsWriter.Read(metrics);
        // The mean of the last tenth of the run, so that one noisy batch does not decide a comparison.
        int tail = Math.Max(1, losses.Length / 10);
        double finalLoss = losses.Length == 0 ? double.NaN : losses[^tail..].Average();
        string header = File.ReadLines(metrics).First();
        string? metricName = header.Split(',').ElementAtOrDefault(MetricsWriter.EvalColumn);
        double seconds = double.Parse(File.ReadLines(metrics).Last().Split(',')[MetricsWriter.ElapsedColumn], CultureInfo.InvariantCulture);
        string checkpoint = Checkpoint.Resolve(plan.Dir, "compare");
        using var state = OptimizerState.Load(Path.Combine(checkpoint, Checkpoint.OptimizerFile), Device.Cpu);
        long bytes = state.Tensors.Values.Sum(t => (long)t.Count * t.DType.ElementSize());
        return new Result(plan, steps, losses, finalLoss, evals.Count > 0 ? evals[^1].Value : null, metricName, seconds, bytes,
                          norms.Length == 0 ? double.NaN : norms[^1]);
    }

    private static void PrintTable(CliContext context, Result[] results)
    {
        string metric = results.Select(r => r.MetricName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? "evaluation";
        var table = Tables.Create(context, "run", ">final loss", $">{metric}", ">wall time", ">optimizer memory");
        foreach (var r in results)
            Tables.Row(table, r.Plan.Label, r.FinalLoss.ToString("F4", CultureInfo.InvariantCulture),
                r.Metric is { } m ? m.ToString("G4", CultureInfo.InvariantCulture) : "-",
                $"{r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s", Tables.Bytes(r.StateBytes));
        context.Console.Write(table);
    }

    private static void WriteCsv(string path, Result[] results)
    {
        var lines = new List<string> { "run,optimizer,switches,final_loss,metric,wall_s,optimizer_state_bytes,param_norm" };
        lines.AddRange(results.Select(r => string.Join(",",
            Quote(r.Plan.Label), r.Plan.Optimizer, Quote(string.Join(" ", r.Plan.Switches)),
            r.FinalLoss.ToString("R", CultureInfo.InvariantCulture),
            r.Metric?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            r.Seconds.ToString("F3", CultureInfo.InvariantCulture),
            r.StateBytes.ToString(CultureInfo.InvariantCulture),
            r.ParamNorm.ToString("R", CultureInfo.InvariantCulture))));
        string temp = path + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;

    /// <summary>A directory name for a label: letters, digits and dashes.</summary>
    private static string Slug(string label)
    {
        var chars = label.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray();
        string slug = string.Join("-", new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length == 0 ? "baseline" : slug;
    }
}
