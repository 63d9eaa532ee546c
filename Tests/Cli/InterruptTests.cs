// Ctrl-C or SIGTERM during a run: the run finishes its step, writes a checkpoint, metrics.csv and loss.png, prints how
// to resume and exits with 130 or 143; resuming from that checkpoint ends with the weights of a run never interrupted.
// The run is a child process (a signal to this test host would be a signal to every test).
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DotGrad.Tests.Cli;

[NonParallelizable] // child processes that train: one at a time keeps their timing sane on 2 cores
public class InterruptTests
{
    private const int Steps = 400;
    private static readonly string[] Run = ["--seed", "3", "--log-every", "1", .. CliRunner.Tiny];

    [TestCase("INT", 130)]
    [TestCase("TERM", 143)]
    public void ASignal_StopsTheRunAfterItsStep_AndTheResumedRunEndsWithTheWeightsOfAnUninterruptedOne(string signal, int exitCode)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            Assert.Ignore("sends a POSIX signal with kill(1)");
        string dir = CliRunner.TempDir($"sig{signal}");
        var (code, stdout, stderr) = TrainAndSignal(["train", "--steps", $"{Steps}", "--out", dir, .. Run], signal, afterStep: 5);
        Assert.That(code, Is.EqualTo(exitCode), $"stdout:\n{stdout}\nstderr:\n{stderr}");
        var stopped = Regex.Match(stdout, @"stopped   by .* after step (\d+) of " + Steps);
        Assert.That(stopped.Success, Is.True, stdout);
        int at = int.Parse(stopped.Groups[1].Value);
        Assert.That(at, Is.GreaterThanOrEqualTo(5).And.LessThan(Steps));
        string checkpoint = Path.Combine(dir, "checkpoints", $"step-{at:D6}");
        Assert.That(stdout, Does.Contain($"resume    dotgrad train --resume {checkpoint}"));
        Assert.That(File.Exists(Path.Combine(checkpoint, "model.safetensors")), Is.True, "the checkpoint of the last finished step");
        Assert.That(File.ReadLines(Path.Combine(dir, "metrics.csv")).Count(), Is.EqualTo(1 + at), "every finished step's row");
        Assert.That(File.Exists(Path.Combine(dir, "loss.png")), Is.True, "the plot");
        Assert.That(File.Exists(Path.Combine(dir, "run.lock")), Is.False, "the directory is unlocked");

        var resumed = CliRunner.Run("train", "--resume", checkpoint);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        string whole = CliRunner.TempDir($"whole{signal}");
        var uninterrupted = CliRunner.Run(["train", "--steps", $"{Steps}", "--out", whole, .. Run]);
        Assert.That(uninterrupted.ExitCode, Is.EqualTo(0), uninterrupted.ToString());
        string final = Path.Combine("checkpoints", $"step-{Steps:D6}", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(dir, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, final))),
            $"stopped at step {at} and resumed: the final weights equal an uninterrupted run's, bit for bit");
    }

    [Test]
    public void Soak_SeveralInterruptsAtRandomSteps_EachResumed_EndWithTheWeightsOfAnUninterruptedRun()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            Assert.Ignore("sends a POSIX signal with kill(1)");
        const int steps = 600;
        string dir = CliRunner.TempDir("soak");
        var rng = new Random(20261203);
        int at = 0, interrupts = 0;
        string[] args = ["train", "--steps", $"{steps}", "--save-every", "97", "--out", dir, .. Run];
        while (at < steps - 60)
        {
            // The next interrupt somewhere in the next 10-60 steps, by SIGINT or SIGTERM.
            int target = at + rng.Next(10, 60);
            string signal = rng.Next(2) == 0 ? "INT" : "TERM";
            var (code, stdout, stderr) = TrainAndSignal(args, signal, afterStep: target);
            Assert.That(code, Is.EqualTo(signal == "INT" ? 130 : 143), $"stdout:\n{stdout}\nstderr:\n{stderr}");
            var stopped = Regex.Match(stdout, @"stopped   by .* after step (\d+) of " + steps);
            Assert.That(stopped.Success, Is.True, stdout);
            int now = int.Parse(stopped.Groups[1].Value);
            Assert.That(now, Is.GreaterThanOrEqualTo(target));
            at = now;
            interrupts++;
            args = ["train", "--resume", Path.Combine(dir, "checkpoints", $"step-{at:D6}"), "--log-every", "1"];
        }
        var last = CliRunner.Run(args);
        Assert.That(last.ExitCode, Is.EqualTo(0), last.ToString());
        string whole = CliRunner.TempDir("soak-whole");
        Assert.That(CliRunner.Run(["train", "--steps", $"{steps}", "--save-every", "97", "--out", whole, .. Run]).ExitCode, Is.EqualTo(0));
        string final = Path.Combine("checkpoints", $"step-{steps:D6}", "model.safetensors");
        Assert.That(File.ReadAllBytes(Path.Combine(dir, final)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, final))),
            $"{interrupts} interrupts and resumes: the final weights equal an uninterrupted run's, bit for bit");
        Assert.That(File.ReadLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')[1]),
            Is.EqualTo(File.ReadLines(Path.Combine(whole, "metrics.csv")).Skip(1).Select(l => l.Split(',')[1])), "and every step's loss");
        Assert.That(interrupts, Is.GreaterThanOrEqualTo(5));
    }

    /// <summary>Runs dotgrad as a child process and sends it SIG<paramref name="signal"/> once it has printed step <paramref name="afterStep"/>.</summary>
    private static (int Code, string Out, string Err) TrainAndSignal(string[] args, string signal, int afterStep)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "DotGrad.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("DOTGRAD_DEVICE");
        using var process = Process.Start(start)!;
        var stdout = new System.Text.StringBuilder();
        var reached = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (Regex.IsMatch(e.Data, $@"\bstep {afterStep}/")) reached.Set();
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!reached.Wait(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the run did not reach step {afterStep} in 90 s:\n{stdout}");
        }
        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()])!) kill.WaitForExit();
        if (!process.WaitForExit(90_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the run did not stop within 90 s of SIG{signal}:\n{stdout}");
        }
        process.WaitForExit();   // drains the output events
        lock (stdout) return (process.ExitCode, stdout.ToString(), stderr.Result);
    }
}
