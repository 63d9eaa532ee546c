// The device runner's entry point: reads the options, runs the chosen modes in order on one OpenCL device and
// prints plain lines that can be pasted into the README. Exit code: 0 all passed, 1 a conformance failure, 2 bad
// arguments, 3 no OpenCL device to run on.
using System.Globalization;
using DotGrad.Backends.OpenCL;

namespace DotGrad.Benchmarks.OnDevice;

/// <summary>What one run does: the modes, the device and the sizes of each mode's work.</summary>
public sealed record RunnerOptions
{
    /// <summary>Every mode, in the order a run without modes runs them.</summary>
    public static readonly string[] AllModes = ["devices", "conformance", "gemm", "steps"];

    public IReadOnlyList<string> Modes { get; init; } = AllModes;
    /// <summary>The OpenCL device number (Device.OpenCL(index)).</summary>
    public int Device { get; init; }
    /// <summary>Op names or prefixes of the gradient-check registry; empty: every op.</summary>
    public IReadOnlyList<string> Ops { get; init; } = [];
    /// <summary>Square SGEMM sizes.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [1024, 2048, 4096];
    /// <summary>Timed SGEMM runs per size (after <see cref="Warmup"/> untimed ones); the median is reported.</summary>
    public int Runs { get; init; } = 10;
    /// <summary>Reference steps to time.</summary>
    public IReadOnlyList<string> Steps { get; init; } = ReferenceSteps.Names;
    /// <summary>Timed steps per reference step and device.</summary>
    public int StepCount { get; init; } = 20;
    /// <summary>Untimed runs before timing (kernel builds, allocator warm-up).</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Also time the reference steps on the CPU, for comparison.</summary>
    public bool Cpu { get; init; } = true;
}

/// <summary>Parses the command line and runs the modes.</summary>
public static class DeviceRunner
{
    public const string Usage =
        "usage: dotgrad-device-runner [devices] [conformance] [gemm] [steps]   (none: all four, in that order)\n" +
        "  --device N         OpenCL device number (default 0)\n" +
        "  --ops a,b          conformance: only these registry ops (names or prefixes; default all)\n" +
        "  --sizes 1024,2048  gemm: square sizes (default 1024,2048,4096)\n" +
        "  --runs N           gemm: timed runs per size (default 10)\n" +
        "  --names gpt,mlp    steps: reference steps (default gpt,mlp,vit)\n" +
        "  --steps N          steps: timed steps per model and device (default 20)\n" +
        "  --warmup N         gemm and steps: untimed runs first (default 3)\n" +
        "  --no-cpu           steps: skip the CPU comparison\n" +
        "exit code: 0 all passed, 1 a conformance check failed, 2 bad arguments, 3 no OpenCL device";

    /// <summary>Runs the command line <paramref name="args"/>, writing to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            output.WriteLine(Usage);
            return 0;
        }
        RunnerOptions options;
        try
        {
            options = Parse(args);
        }
        catch (FormatException e)
        {
            output.WriteLine(e.Message);
            output.WriteLine(Usage);
            return 2;
        }
        return Run(options, output);
    }

    /// <summary>Runs <paramref name="options"/>' modes in order; a conformance failure makes the code 1, but later modes still run.</summary>
    public static int Run(RunnerOptions options, TextWriter output)
    {
        if (options.Modes.Contains("devices")) Devices(output);
        if (options.Modes.All(m => m == "devices")) return 0;
        if (!OpenCLRuntime.IsAvailable || options.Device >= OpenCLRuntime.Devices.Count)
        {
            output.WriteLine($"error: no OpenCL device {options.Device} to run on: {OpenCLRuntime.UnavailableReason ?? $"there are {OpenCLRuntime.Devices.Count} device(s)"}");
            return 3;
        }
        var backend = OpenCLBackend.Get(options.Device);
        var peak = new Lazy<double>(() => backend.MeasureFmaPeakGflops());
        int code = 0;
        foreach (var mode in options.Modes)
        {
            output.WriteLine();
            switch (mode)
            {
                case "conformance": code = Math.Max(code, DeviceConformance.Run(backend, options, output)); break;
                case "gemm": DeviceGemm.Run(backend, options, peak, output); break;
                case "steps": DeviceSteps.Run(backend, options, peak, output); break;
            }
        }
        return code;
    }

    /// <summary>The host, the runtime and every OpenCL device the drivers list.</summary>
    public static void Devices(TextWriter output)
    {
        output.WriteLine($"== devices: {Environment.ProcessorCount} CPU threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        if (!OpenCLRuntime.IsAvailable)
        {
            output.WriteLine($"OpenCL: unavailable: {OpenCLRuntime.UnavailableReason}");
            return;
        }
        foreach (var d in OpenCLRuntime.Devices)
            output.WriteLine($"{d}; driver {d.DriverVersion}, {d.MaxClockMHz} MHz, {(d.IsGpu ? "GPU" : "not a GPU")}");
    }

    /// <summary>The options of a command line; a <see cref="FormatException"/> says what is wrong.</summary>
    public static RunnerOptions Parse(string[] args)
    {
        var o = new RunnerOptions();
        var modes = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (RunnerOptions.AllModes.Contains(a))
            {
                modes.Add(a);
                continue;
            }
            if (a == "--no-cpu")
            {
                o = o with { Cpu = false };
                continue;
            }
            if (i + 1 >= args.Length) throw new FormatException($"'{a}' is not a mode or an option with a value");
            string v = args[++i];
            o = a switch
            {
                "--device" => o with { Device = Count(a, v, min: 0) },
                "--ops" => o with { Ops = Ops(a, v) },
                "--sizes" => o with { Sizes = List(a, v).Select(s => Count(a, s, min: 1)).ToArray() },
                "--runs" => o with { Runs = Count(a, v, min: 1) },
                "--names" => o with { Steps = List(a, v).Select(n => ReferenceSteps.Names.Contains(n) ? n : throw new FormatException($"--names: expected {string.Join(", ", ReferenceSteps.Names)}, got '{n}'")).ToArray() },
                "--steps" => o with { StepCount = Count(a, v, min: 1) },
                "--warmup" => o with { Warmup = Count(a, v, min: 0) },
                _ => throw new FormatException($"unknown option '{a}'"),
            };
        }
        return modes.Count == 0 ? o : o with { Modes = RunnerOptions.AllModes.Where(modes.Contains).ToArray() };
    }

    /// <summary>Op names that the registry knows (checked now, so a typo fails before any device work).</summary>
    private static string[] Ops(string option, string value)
    {
        var names = List(option, value);
        try
        {
            DeviceConformance.Select(names);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
        return names;
    }

    private static string[] List(string option, string value)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new FormatException($"{option}: expected a comma-separated list, got '{value}'");
    }

    private static int Count(string option, string value, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min
            ? n : throw new FormatException($"{option}: expected a whole number >= {min}, got '{value}'");

    /// <summary>The median of <paramref name="values"/> (the upper one of the middle two for an even count).</summary>
    internal static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>Formats with the invariant culture, so the lines read the same on every machine.</summary>
    internal static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
