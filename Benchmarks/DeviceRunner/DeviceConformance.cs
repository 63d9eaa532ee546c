// The conformance suite on one OpenCL device: every op of the gradient-check registry checked in Float64 (first
// and second order, as `dotgrad gradcheck` does) and its Float32 forward compared with the CPU backend's.
using System.Diagnostics;
using DotGrad.Autodiff;
using DotGrad.Backends;
using DotGrad.Backends.OpenCL;
using static DotGrad.Benchmarks.OnDevice.DeviceRunner;

namespace DotGrad.Benchmarks.OnDevice;

internal static class DeviceConformance
{
    /// <summary>Float32 parity tolerance: |device - cpu| &lt;= Atol + Rtol |cpu|; a few ulps of a short sum or of a
    /// transcendental function, well below any real bug (a wrong index or a missing term).</summary>
    private const double Atol = 1e-5, Rtol = 1e-4;

    /// <summary>Prints one line per op and a summary; returns 1 when any check failed, else 0.</summary>
    public static int Run(OpenCLBackend backend, RunnerOptions options, TextWriter output)
    {
        var device = backend.Device;
        bool fp64 = backend.Info.SupportsFloat64;
        var ops = Select(options.Ops);
        output.WriteLine($"== conformance on {device} {backend.Info.Name}: {ops.Count} ops, " +
                         (fp64 ? "gradient checks in Float64 (first and second order) and " : "no Float64 on this device (no cl_khr_fp64), so no gradient checks; only ") +
                         "Float32 forward parity with the CPU backend");
        var clock = Stopwatch.StartNew();
        int failed = 0;
        foreach (var op in ops)
        {
            var failures = new List<string>();
            using var scope = Tensor.NewDisposeScope();
            var sample = op.Sample(new Generator(0));
            string first = "-", second = "-";
            if (fp64)
            {
                first = Verdict(() => GradCheck.Check(op.Apply, sample.On(device), eps: sample.Eps), "first order", failures);
                if (op.TwiceDifferentiable)
                    second = Verdict(() => GradCheck.CheckSecondOrder(op.Apply, sample.On(device), eps: sample.Eps, seed: 0), "second order", failures);
            }
            string parity = Parity(op, sample, device, failures);
            if (failures.Count > 0) failed++;
            output.WriteLine(F($"{(failures.Count == 0 ? "pass" : "FAIL")}  {op.Name,-34} {op.Family,-9} f64 1st {first,-4}  2nd {second,-4}  f32 parity {parity}"));
            foreach (var f in failures) output.WriteLine($"      {op.Name}: {f}");
        }
        output.WriteLine(F($"conformance: {ops.Count} ops on {device}, {ops.Count - failed} passed, {failed} failed ({clock.Elapsed.TotalSeconds:F1} s)"));
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The registry's ops named by <paramref name="names"/> (exact names, or prefixes as in `dotgrad gradcheck --op`); every op when empty.</summary>
    internal static IReadOnlyList<OpSpec> Select(IReadOnlyList<string> names)
    {
        if (names.Count == 0) return OpRegistry.All;
        bool Matches(OpSpec op, string n) => op.Name == n || (OpRegistry.All.All(o => o.Name != n) && op.Name.StartsWith(n, StringComparison.Ordinal));
        var unknown = names.Where(n => !OpRegistry.All.Any(o => Matches(o, n))).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"conformance --ops: no registry op is named or starts with {string.Join(", ", unknown)}; the ops are {string.Join(", ", OpRegistry.All.Select(o => o.Name))}");
        return OpRegistry.All.Where(o => names.Any(n => Matches(o, n))).ToList();
    }

    /// <summary>"pass" or "FAIL" for one gradient check; a check that throws is a failure with the exception's message.</summary>
    private static string Verdict(Func<GradCheckResult> check, string what, List<string> failures)
    {
        try
        {
            var result = check();
            if (!result.Passed) failures.Add($"{what}: {result.Message}");
            return result.Passed ? "pass" : "FAIL";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"{what} threw {e.GetType().Name}: {e.Message}");
            return "FAIL";
        }
    }

    /// <summary>
    /// The index of the element of <paramref name="actual"/> furthest outside |actual - expected| &lt;= Atol + Rtol |expected|,
    /// or -1 when all agree; equal values (NaN and infinities included) agree. <paramref name="maxDiff"/> is the largest
    /// |actual - expected| (infinity where one side is NaN).
    /// </summary>
    internal static int Disagreement(double[] expected, double[] actual, out double maxDiff)
    {
        int worstAt = -1;
        double worstExcess = 0;
        maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a)) continue;
            double diff = Math.Abs(a - e);
            double excess = double.IsNaN(diff) ? double.PositiveInfinity : diff - (Atol + Rtol * Math.Abs(e));
            maxDiff = double.IsNaN(diff) ? double.PositiveInfinity : Math.Max(maxDiff, diff);
            if (excess > 0 && (worstAt < 0 || excess > worstExcess)) (worstExcess, worstAt) = (excess, i);
        }
        return worstAt;
    }

    /// <summary>The op's forward in Float32 on the CPU and on <paramref name="device"/> from the same values and layouts, compared elementwise.</summary>
    private static string Parity(OpSpec op, OpSample sample, Device device, List<string> failures)
    {
        try
        {
            using var noGrad = Autograd.NoGrad();
            double[] Forward(Device on, out int[] shape)
            {
                var inputs = sample.On(on, requireGrad: false).Select(t => t.DType == DType.Float64 ? t.To(DType.Float32) : t).ToArray();
                var y = op.Apply(inputs);
                shape = y.Shape.ToArray();
                return y.To(Device.Cpu).To(DType.Float64).ToArray<double>();
            }
            var expected = Forward(Device.Cpu, out var cpuShape);
            var actual = Forward(device, out var deviceShape);
            if (!cpuShape.SequenceEqual(deviceShape))
            {
                failures.Add($"f32 parity: shape [{string.Join(", ", deviceShape)}] on {device}, [{string.Join(", ", cpuShape)}] on cpu");
                return "FAIL";
            }
            int worstAt = Disagreement(expected, actual, out double maxDiff);
            if (worstAt >= 0)
            {
                failures.Add(F($"f32 parity: element {worstAt} is {actual[worstAt]:G9} on {device}, {expected[worstAt]:G9} on cpu (tolerance {Atol:G2} + {Rtol:G2} |cpu|)"));
                return F($"FAIL (max |diff| {maxDiff:0.0e+0})");
            }
            return F($"pass (max |diff| {maxDiff:0.0e+0})");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"f32 parity threw {e.GetType().Name}: {e.Message}");
            return "FAIL";
        }
    }
}
