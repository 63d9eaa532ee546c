// The command as a whole: a bare "dotgrad" shows the commands, --help works everywhere, and the exit codes.
namespace DotGrad.Tests.Cli;

public class ProgramTests
{
    [Test]
    public void NoArguments_ShowsTheCommands()
    {
        var r = CliRunner.Run();
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("train").And.Contain("sample").And.Contain("gradcheck").And.Contain("devices"));
    }

    [TestCase("train")]
    [TestCase("sample")]
    [TestCase("gradcheck")]
    [TestCase("devices")]
    public void Help_OfEveryCommand_ExitsZero(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("Usage:").And.Contain(command));
    }

    [Test]
    public void SampleWithoutItsRequiredOptions_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run("sample"), "--checkpoint");
}
