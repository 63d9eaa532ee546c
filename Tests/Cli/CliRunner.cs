// Running the dotgrad command from tests: in-process through Program.Run (fast, output captured), or as a child
// process of the built DotGrad.Cli.dll when the environment must differ (OCL_ICD_VENDORS); temp directories; and
// the shared data folder (../shared/data from the repository root, or DOTGRAD_DATA).
using System.Diagnostics;
using DotGrad.Cli;

namespace DotGrad.Tests.Cli;

/// <summary>What one dotgrad invocation returned and printed.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

internal static class CliRunner
{
    /// <summary>A tiny GPT and few examples, for runs that test plumbing rather than learning.</summary>
    public static readonly string[] Tiny = ["--width", "16", "--depth", "1", "--heads", "2", "--batch", "4", "--digits", "4", "--eval-every", "0"];

    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built command as a child process with extra environment variables.</summary>
    public static CliResult RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "DotGrad.Cli.dll");
        Assert.That(File.Exists(dll), Is.True, $"the built command is missing: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        start.Environment.Remove("DOTGRAD_DEVICE");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotgrad {string.Join(" ", args)} did not finish in 120 s");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Where this test run's directories go; <see cref="CliTestCleanup"/> deletes it when the tests end.</summary>
    public static readonly string TempRoot = Path.Combine(Path.GetTempPath(), "dotgrad-cli-tests", $"{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>A fresh empty directory for one test's run outputs.</summary>
    public static string TempDir(string name)
    {
        string dir = Path.Combine(TempRoot, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Asserts a usage error: exit code 2, one paragraph on stderr, no stack trace.</summary>
    public static void AssertUsageError(CliResult r, string mustMention)
    {
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Err, Does.StartWith("dotgrad: "), r.ToString());
        Assert.That(r.Err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), $"one paragraph expected\n{r}");
        Assert.That(r.Err, Does.Not.Contain("   at "), $"no stack trace without --verbose\n{r}");
        Assert.That(r.Err, Does.Contain(mustMention).IgnoreCase, r.ToString());
    }

    /// <summary>
    /// The shared data folder: DOTGRAD_DATA when set, else the first "shared/data" found walking up from the test
    /// binary (it sits at ../shared/data from the repository root); null, with the reason, when there is none.
    /// </summary>
    public static string? DataDir(out string reason)
    {
        if (Environment.GetEnvironmentVariable("DOTGRAD_DATA") is { Length: > 0 } env)
        {
            reason = $"DOTGRAD_DATA='{env}' is not a directory";
            return Directory.Exists(env) ? env : null;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                reason = "";
                return candidate;
            }
        }
        reason = $"no shared/data folder above {AppContext.BaseDirectory} and DOTGRAD_DATA is not set";
        return null;
    }

    /// <summary>The path of a directory in the shared data folder (mnist), or an ignored test saying why it is absent.</summary>
    public static string RequireDataDirectory(string name)
    {
        var dir = DataDir(out var reason);
        if (dir is null) Assert.Ignore($"the shared data is not available: {reason}");
        string path = Path.Combine(dir!, name);
        if (!Directory.Exists(path)) Assert.Ignore($"the shared data has no {name} directory (looked in {dir})");
        return path;
    }

    /// <summary>The path of a file in the shared data folder, or an ignored test saying why it is absent.</summary>
    public static string RequireData(string file)
    {
        var dir = DataDir(out var reason);
        if (dir is null) Assert.Ignore($"the shared data is not available: {reason}");
        string path = Path.Combine(dir!, file);
        if (!File.Exists(path)) Assert.Ignore($"the shared data has no {file} (looked in {dir})");
        return path;
    }
}

/// <summary>Deletes the run directories the CLI tests wrote, once every test in this namespace has run.</summary>
[SetUpFixture]
public sealed class CliTestCleanup
{
    [OneTimeTearDown]
    public void DeleteTempRoot()
    {
        if (Directory.Exists(CliRunner.TempRoot)) Directory.Delete(CliRunner.TempRoot, recursive: true);
    }
}
