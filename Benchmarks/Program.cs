// Entry point for the BenchmarkDotNet suites: `dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'`.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
