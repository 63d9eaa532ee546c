// DotGrad build script: `./build.sh [--target=NAME] [--configuration=Release|Debug] [--filter=EXPR] [--suite=GLOB] [--args="..."]`.
var target        = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var testFilter    = Argument("filter", "");
var benchSuite    = Argument("suite", "*");
var trainArgs     = Argument("args", "");

var projects   = new[] { "DotGrad.csproj", "Cli/DotGrad.Cli.csproj", "Tests/DotGrad.Tests.csproj", "Benchmarks/DotGrad.Benchmarks.csproj", "Benchmarks/DeviceRunner/DotGrad.DeviceRunner.csproj", "Examples/Quickstart/Quickstart.csproj" };
var resultsDir = MakeAbsolute(Directory("artifacts/test-results"));

// Clean: delete build outputs (artifacts/) and any stray TestResults folders.
Task("Clean").Does(() =>
{
    foreach (var dir in new[] { "artifacts", "TestResults", "Tests/TestResults" })
        if (DirectoryExists(dir))
            DeleteDirectory(dir, new DeleteDirectorySettings { Recursive = true, Force = true });
});

// Build: compile the library, the tests and the benchmarks in the chosen configuration.
Task("Build").Does(() =>
{
    foreach (var project in projects)
        DotNetBuild(project, new DotNetBuildSettings { Configuration = configuration });
});

// Test: run the NUnit suite on the built binaries; TRX goes to artifacts/test-results/dotgrad.trx.
Task("Test").IsDependentOn("Build").Does(() =>
{
    DotNetTest("Tests/DotGrad.Tests.csproj", new DotNetTestSettings
    {
        Configuration    = configuration,
        NoBuild          = true,
        Filter           = string.IsNullOrEmpty(testFilter) ? null : testFilter,
        ResultsDirectory = resultsDir,
        Loggers          = { "trx;LogFileName=dotgrad.trx", "console;verbosity=normal" },
    });
});

// Bench: run the BenchmarkDotNet suites matching --suite (always Release); reports go to artifacts/benchmarks.
Task("Bench").Does(() =>
{
    var args = new ProcessArgumentBuilder()
        .Append("--filter").AppendQuoted(benchSuite)
        .Append("--artifacts").AppendQuoted(MakeAbsolute(Directory("artifacts/benchmarks")).FullPath);
    DotNetRun("Benchmarks/DotGrad.Benchmarks.csproj", args, new DotNetRunSettings { Configuration = "Release" });
});

// Train: the main job, `dotgrad train` (the built-in sort task) in Release; pass more with --args="--steps 800 --seed 2".
Task("Train").Does(() =>
{
    var args = new ProcessArgumentBuilder().Append("train").Append(trainArgs);
    DotNetRun("Cli/DotGrad.Cli.csproj", args, new DotNetRunSettings { Configuration = "Release" });
});

// Pack: the DotGrad library package and the dotgrad tool package into artifacts/packages. Install the tool with
// `dotnet tool install --global --add-source artifacts/packages DotGrad.Cli` (or --tool-path DIR).
Task("Pack").Does(() =>
{
    foreach (var project in new[] { "DotGrad.csproj", "Cli/DotGrad.Cli.csproj" })
        DotNetPack(project, new DotNetPackSettings
        {
            Configuration   = configuration,
            OutputDirectory = "artifacts/packages",
        });
});

// Default: what `./build.sh` with no arguments does, i.e. build and run the tests.
Task("Default").IsDependentOn("Test");

RunTarget(target);
