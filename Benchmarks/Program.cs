// Entry point for the BenchmarkDotNet suites: `dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'`,
// for a plain timed run of a reference step: `dotnet run -c Release --project Benchmarks -- steps gpt` (StepRunner), and
// for the GEMM shapes the steps run: `dotnet run -c Release --project Benchmarks -- gemm [m,n,k[,ta][,tb]] [--pack]` (GemmProbe),
// for generation speed with and without the KV cache: `dotnet run -c Release --project Benchmarks -- generate [--shape gpt2-124m]` (GenerateProbe).
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "steps") return DotGrad.Benchmarks.StepRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm") return DotGrad.Benchmarks.GemmProbe.Run(args[1..]);
if (args.Length > 0 && args[0] == "attention") return DotGrad.Benchmarks.AttentionProbe.Run(args[1..]);
if (args.Length > 0 && args[0] == "generate") return DotGrad.Benchmarks.GenerateProbe.Run(args[1..]);
if (args.Length > 0 && args[0] == "kernel") return DotGrad.Benchmarks.KernelProbe.Run();
if (args.Length > 0 && args[0] == "threshold") return DotGrad.Benchmarks.ThresholdProbe.Run();
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
