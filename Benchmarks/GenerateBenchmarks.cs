// Text generation with and without the key/value cache: tokens per second of Gpt.Generate for a small GPT and for
// GPT-2 small's shape (124M parameters, random weights), and a plain timed run of the same for a quiet machine.
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Benchmarks;

/// <summary>The model shapes the generation benchmarks run.</summary>
public static class GenerateShapes
{
    /// <summary>"small": V 256, ctx 256, width 128, 4 blocks of 4 heads (about 0.8M parameters); "gpt2-124m": GPT-2 small; "tiny": a smoke test.</summary>
    public static GptConfig For(string name) => name switch
    {
        "tiny" => new GptConfig(VocabSize: 64, ContextLength: 32, Width: 16, Depth: 1, Heads: 2, Activation: Activation.GeluTanh),
        "small" => new GptConfig(VocabSize: 256, ContextLength: 256, Width: 128, Depth: 4, Heads: 4, Activation: Activation.GeluTanh),
        "gpt2-124m" => new GptConfig(VocabSize: 50257, ContextLength: 1024, Width: 768, Depth: 12, Heads: 12, Activation: Activation.GeluTanh),
        _ => throw new ArgumentException($"unknown shape '{name}': tiny, small or gpt2-124m", nameof(name)),
    };

    /// <summary>A prompt of <paramref name="length"/> token ids, the same every run.</summary>
    public static Tensor Prompt(int length, int vocab, Device device) =>
        Tensor.FromArray(Enumerable.Range(0, length).Select(i => (i * 7919 + 13) % vocab).ToArray(), [1, length], device);
}

/// <summary>
/// One Generate call: a 16-token prompt continued by <see cref="NewTokens"/> tokens (temperature 1, seed 1), batch 1,
/// Float32 on the CPU, with and without the KV cache. The tokens/s column is NewTokens / median time.
/// </summary>
[Config(typeof(GenerateBenchmarkConfig))]
public class GenerateBenchmarks
{
    public const int PromptTokens = 16, NewTokens = 64;

    [Params("small", "gpt2-124m")]
    public string Shape = "small";

    [Params(true, false)]
    public bool Cache = true;

    private Gpt _model = null!;
    private Tensor _prompt = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = GenerateShapes.For(Shape);
        _model = new Gpt(config, new Generator(1));
        _model.Eval();
        _prompt = GenerateShapes.Prompt(PromptTokens, config.VocabSize, Device.Cpu).DetachFromDisposeScope();
    }

    [Benchmark]
    public Tensor Generate() => _model.Generate(_prompt, NewTokens, temperature: 1.0, generator: new Generator(1), kvCache: Cache);

    [GlobalCleanup]
    public void Cleanup()
    {
        _prompt.Dispose();
        _model.Dispose();
    }
}

/// <summary>Few iterations (a 124M step without the cache takes seconds), and tokens per second.</summary>
public sealed class GenerateBenchmarkConfig : ManualConfig
{
    public GenerateBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).AsDefault());
        AddColumn(new ThroughputColumn("GenerateTokensPerSecond", "tokens/s", $"{GenerateBenchmarks.NewTokens} new tokens / median time",
                                       _ => GenerateBenchmarks.NewTokens, "F1"));
    }
}

/// <summary>
/// A plain timed run without BenchmarkDotNet: <c>dotnet run -c Release --project Benchmarks -- generate [--shape
/// gpt2-124m] [--prompt 16] [--tokens 64] [--repeat 3]</c> builds the model with random weights, then times Generate
/// with and without the cache and prints tokens per second for each (the median of the repeats) and the speed-up.
/// </summary>
public static class GenerateProbe
{
    public static int Run(string[] args)
    {
        string shape = "gpt2-124m";
        int prompt = 16, tokens = 64, repeat = 3;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--shape": shape = args[i + 1]; break;
                case "--prompt": prompt = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--tokens": tokens = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"generate: unknown option {args[i]} (--shape, --prompt, --tokens, --repeat)"); return 2;
            }
        }
        var config = GenerateShapes.For(shape);
        var clock = Stopwatch.StartNew();
        using var model = new Gpt(config, new Generator(1));
        model.Eval();
        Console.WriteLine($"{shape}: {model.ParameterCount():N0} parameters, built in {clock.Elapsed.TotalSeconds:F1} s; prompt {prompt}, {tokens} new tokens, " +
                          $"{repeat} runs each, CPU, {Environment.ProcessorCount} cores");
        using var input = GenerateShapes.Prompt(prompt, config.VocabSize, Device.Cpu);
        var rates = new Dictionary<bool, double>();
        foreach (bool cache in new[] { true, false })
        {
            model.Generate(input, 2, generator: new Generator(1), kvCache: cache).Dispose();   // warm-up: JIT and pools (1 token would not use the cache)
            var seconds = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                clock.Restart();
                model.Generate(input, tokens, temperature: 1.0, generator: new Generator(1), kvCache: cache).Dispose();
                seconds.Add(clock.Elapsed.TotalSeconds);
            }
            seconds.Sort();
            rates[cache] = tokens / seconds[seconds.Count / 2];
            Console.WriteLine($"  {(cache ? "with the KV cache   " : "without the KV cache")}: {rates[cache],8:F2} tokens/s (median of {repeat})");
        }
        Console.WriteLine($"  speed-up: {rates[true] / rates[false]:F1}x");
        return 0;
    }
}
