// Entry point for the BenchmarkDotNet suites: `dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'`,
// and for a plain timed run of a reference step: `dotnet run -c Release --project Benchmarks -- steps gpt` (StepRunner).
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "steps") return DotGrad.Benchmarks.StepRunner.Run(args[1..]);
if (args.Length > 0 && args[0] == "threshold") return DotGrad.Benchmarks.ThresholdProbe.Run();
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
