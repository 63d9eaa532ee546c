// dotgrad gradcheck: the first- and second-order gradient checks of every registered op (OpRegistry) in Float64 on
// one device, as a pass/fail table; exit code 1 when any check fails.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using DotGrad.Cli.Output;
using Spectre.Console;

namespace DotGrad.Cli.Commands;

internal static class GradCheckCommand
{
    private sealed record Outcome(string Op, string Family, string First, string Second, double MaxError, List<string> Failures)
    {
        public bool Passed => Failures.Count == 0;
    }

    public static Command Create(CliContext context)
    {
        var device = DeviceChoice.CreateOption();
        var ops = new Option<string[]>("--op")
        {
            Description = "Check only these ops (repeatable; names as in OpRegistry, e.g. matmul, softmax)",
            AllowMultipleArgumentsPerToken = true,
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the first sample of each op", DefaultValueFactory = _ => 0 };
        var samples = new Option<int>("--samples") { Description = "Random samples (shapes, layouts, values) per op", DefaultValueFactory = _ => 1 };
        var command = new Command("gradcheck", "Check every registered op's gradients (first and second order, Float64) against central differences")
        {
            device, ops, seed, samples,
        };
        command.SetAction(parse => Run(context, DeviceChoice.Resolve(parse.GetValue(device)), parse.GetValue(ops) ?? [],
                                       parse.GetValue(seed), parse.GetValue(samples)));
        return command;
    }

    private static int Run(CliContext context, Device device, string[] names, ulong seed, int samples)
    {
        if (samples < 1) throw new UserError($"--samples must be at least 1, got {samples}");
        if (device.Kind == DeviceKind.OpenCL && !OpenCLRuntime.Device(device.Index).SupportsFloat64)
            throw new UserError($"--device {device}: the device has no Float64 (cl_khr_fp64), and gradient checks run in Float64; use --device cpu");
        var unknown = names.Where(n => !OpRegistry.All.Any(o => Matches(o, n))).ToArray();
        if (unknown.Length > 0)
            throw new UserError($"--op: no op is named or starts with {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the registered ops are {string.Join(", ", OpRegistry.All.Select(o => o.Name))}");
        var selected = names.Length == 0 ? OpRegistry.All : OpRegistry.All.Where(o => names.Any(n => Matches(o, n))).ToList();

        var clock = Stopwatch.StartNew();
        var outcomes = new List<Outcome>();
        if (context.Interactive)
            context.Console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("gradcheck", maxValue: selected.Count);
                    foreach (var op in selected)
                    {
                        task.Description = $"gradcheck {op.Name}";
                        outcomes.Add(CheckOp(op, device, seed, samples));
                        task.Increment(1);
                    }
                });
        else
            outcomes.AddRange(selected.Select(op => CheckOp(op, device, seed, samples)));

        var table = Tables.Create(context, "Op", "Family", "First order", "Second order", ">Worst error");
        foreach (var o in outcomes)
            Tables.Row(table, o.Op, o.Family, o.First, o.Second, o.MaxError.ToString("0.0e+0", CultureInfo.InvariantCulture));
        context.Console.Write(table);
        foreach (var o in outcomes.Where(o => !o.Passed))
            foreach (var f in o.Failures) context.Out.WriteLine($"FAIL {o.Op}: {f}");
        int failed = outcomes.Count(o => !o.Passed);
        context.Out.WriteLine($"{outcomes.Count} ops on {device}, {samples} sample(s) each from seed {seed}: {outcomes.Count - failed} passed, {failed} failed ({clock.Elapsed.TotalSeconds:F1} s)");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>An op is selected by its exact name, or by a prefix when no op has that exact name ("matmul" selects matmul_1d, matmul_2d, ...).</summary>
    private static bool Matches(OpSpec op, string name) =>
        op.Name == name || (OpRegistry.All.All(o => o.Name != name) && op.Name.StartsWith(name, StringComparison.Ordinal));

    /// <summary>Both orders of one op over <paramref name="samples"/> seeds; a check that throws counts as a failure.</summary>
    private static Outcome CheckOp(OpSpec op, Device device, ulong seed, int samples)
    {
        var failures = new List<string>();
        double maxError = 0;
        bool firstOk = true, secondOk = true;
        for (int i = 0; i < samples; i++)
        {
            ulong s = seed + (ulong)i;
            using var scope = Tensor.NewDisposeScope();
            var sample = op.Sample(new Generator(s));
            firstOk &= Check(() => GradCheck.Check(op.Apply, sample.On(device), eps: sample.Eps), "first order", s);
            if (op.TwiceDifferentiable)
                secondOk &= Check(() => GradCheck.CheckSecondOrder(op.Apply, sample.On(device), eps: sample.Eps, seed: s), "second order", s);
        }
        return new Outcome(op.Name, op.Family, firstOk ? "pass" : "FAIL", !op.TwiceDifferentiable ? "-" : secondOk ? "pass" : "FAIL", maxError, failures);

        bool Check(Func<GradCheckResult> run, string order, ulong s)
        {
            try
            {
                var result = run();
                double error = Math.Abs(result.Analytic - result.Numeric);
                if (double.IsFinite(error)) maxError = Math.Max(maxError, error);
                if (!result.Passed) failures.Add($"{order}, seed {s}: {result.Message}");
                return result.Passed;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add($"{order}, seed {s}: the check threw {e.GetType().Name}: {e.Message}");
                return false;
            }
        }
    }
}
