// --labels and --train-examples: an MNIST run on some digits only is a smaller problem whose classes are those
// digits renumbered in ascending order, on both splits; --train-examples keeps the first N training images (after the
// label filter); both are saved with the task, so a resumed run trains on the same subset; bad lists and counts are
// usage errors. The synthetic directory's image i is digit i mod 10 with a bright column at 2 (digit) + 4.
using System.Text.Json.Nodes;
using DotGrad.Backends;
using DotGrad.Cli;
using DotGrad.Cli.Data;
using DotGrad.Cli.Tasks;

namespace DotGrad.Tests.Cli;

public class MnistSubsetTests
{
    private static readonly string[] TinyVit = ["--width", "16", "--depth", "1", "--heads", "2", "--mlp-hidden", "32", "--batch", "8", "--eval-every", "0"];
    private string _synthetic = "";

    [OneTimeSetUp]
    public void WriteASmallMnistDirectory() =>
        _synthetic = IdxFiles.Directory(CliRunner.TempDir("subset-mnist"), train: 64, test: 20, gzip: false);

    [TestCase("0-4", new[] { 0, 1, 2, 3, 4 })]
    [TestCase("5,6,7", new[] { 5, 6, 7 })]
    [TestCase("0-2,7", new[] { 0, 1, 2, 7 })]
    [TestCase(" 9, 3 ", new[] { 3, 9 })]
    public void ParseLabels_GivesTheDigitsAscending(string list, int[] digits)
    {
        Assert.That(MnistTask.ParseLabels(list), Is.EqualTo(digits));
        Assert.That(MnistTask.ParseLabels(DigitList.Format(digits)), Is.EqualTo(digits), "Format writes a list that parses back");
    }

    [Test]
    public void ParseLabels_OfAllTenDigits_IsTheFullTask() => Assert.That(MnistTask.ParseLabels("0-4,5-9"), Is.Null);

    [TestCase("", "no digits given")]
    [TestCase(",", "empty item")]
    [TestCase("3,10", "'10' in '10' is not a digit")]
    [TestCase("0-12", "'12' in '0-12' is not a digit")]
    [TestCase("0-4,3", "digit 3 is named twice")]
    [TestCase("4-1", "runs backwards")]
    [TestCase("one,two", "'one' in 'one' is not a digit")]
    [TestCase("-3", "in '-3' is not a digit")]
    [TestCase("7", "at least two")]
    public void ParseLabels_OfABadList_IsAUserError(string list, string mention)
    {
        var e = Assert.Throws<UserError>(() => MnistTask.ParseLabels(list))!;
        Assert.That(e.Message, Does.Contain("--labels").And.Contain(mention));
    }

    /// <summary>The digit each synthetic image shows: its bright column is 2 (digit) + 4.</summary>
    private static int[] DigitsOf(Tensor images)
    {
        var x = images.ToArray<float>();                                  // [B, 28, 28, 1]
        return Enumerable.Range(0, images.Shape[0]).Select(b => (Array.IndexOf(x, x.Skip(b * 784).Take(28).Max(), b * 784, 28) - b * 784 - 4) / 2).ToArray();
    }

    [Test]
    public void Labels_KeepThoseDigitsOnly_RenumberedInAscendingOrder()
    {
        var task = MnistTask.Load(_synthetic, [2, 5, 7]);
        Assert.That((task.Classes, task.TrainCount, task.TestCount), Is.EqualTo((3, 19, 6)), "64 training images hold 7, 6 and 6 of 2, 5, 7; 20 test images 2 each");
        Assert.That(task.Description, Does.Contain("digits 2,5,7 only, a 3-class problem").And.Contain("relabelled 0-2"));
        var batch = task.NextBatch(200, new Generator(3), Device.Cpu);
        var digits = DigitsOf(batch.Input);
        var classes = batch.Target.ToArray<int>();
        Assert.That(digits.Distinct().Order(), Is.EqualTo(new[] { 2, 5, 7 }), "200 draws see every kept digit and no other");
        for (int i = 0; i < digits.Length; i++)
            Assert.That(classes[i], Is.EqualTo(Array.IndexOf(new[] { 2, 5, 7 }, digits[i])), $"draw {i}: digit {digits[i]}");
    }

    [Test]
    public void TrainExamples_KeepTheFirstN_AfterTheLabelFilter()
    {
        var first = MnistTask.Load(_synthetic, null, 3);
        Assert.That((first.TrainCount, first.TestCount, first.Classes), Is.EqualTo((3, 20, 10)), "the test set stays whole");
        Assert.That(DigitsOf(first.NextBatch(100, new Generator(1), Device.Cpu).Input).Distinct().Order(), Is.EqualTo(new[] { 0, 1, 2 }),
                    "images 0, 1, 2 are digits 0, 1, 2");
        // Digits 5-7 are images 5, 6, 7, 15, 16, ...: 18 of them, of which the first four are kept.
        var filtered = MnistTask.Load(_synthetic, [5, 6, 7], 4);
        Assert.That(filtered.TrainCount, Is.EqualTo(4));
        Assert.That(filtered.Description, Does.Contain("4 training (the first 4)"));
        var e = Assert.Throws<UserError>(() => MnistTask.Load(_synthetic, [5, 6, 7], 30))!;
        Assert.That(e.Message, Does.Contain("--train-examples").And.Contain("18 training images of digits 5-7").And.Contain("got 30"));
        Assert.Throws<UserError>(() => MnistTask.Load(_synthetic, null, 0));
    }

    [Test]
    public void Run_OnSomeDigits_HasThatManyClasses_AndResumeKeepsTheSubset()
    {
        string dir = CliRunner.TempDir("subset-run");
        var r = CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--labels", "5,6,7", "--train-examples", "12", "--steps", "4", "--save-every", "2",
                               "--out", dir, .. TinyVit]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Out, Does.Contain("MNIST digits 5-7 only, a 3-class problem").And.Contain("12 training (the first 12) and 6 test images"));
        Assert.That(r.Out, Does.Match(@"of 6 test images"), "evaluated on the test images of those digits");
        string checkpoint = Path.Combine(dir, "checkpoints", "step-000002");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "run.json")))!;
        Assert.That(run["task"]!["labels"]!.AsArray().Select(d => d!.GetValue<int>()), Is.EqualTo(new[] { 5, 6, 7 }));
        Assert.That(run["task"]!["train_examples"]!.GetValue<int>(), Is.EqualTo(12));
        Assert.That(run["config"]!["Classes"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(DotGrad.Safetensors.Load(Path.Combine(checkpoint, "model.safetensors"))["head.weight"].Shape, Is.EqualTo(new[] { 3, 16 }));

        string resumed = CliRunner.TempDir("subset-resumed");
        var b = CliRunner.Run("train", "--resume", checkpoint, "--out", resumed);
        Assert.That(b.ExitCode, Is.EqualTo(0), b.ToString());
        Assert.That(b.Out, Does.Contain("a 3-class problem").And.Contain("(the first 12)"));
        Assert.That(File.ReadAllLines(Path.Combine(resumed, "metrics.csv"))[^1].Split(',')[1],
                    Is.EqualTo(File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[^1].Split(',')[1]), "the resumed run draws from the same subset: the same last loss");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", checkpoint, "--labels", "0-4"), "--labels");
        CliRunner.AssertUsageError(CliRunner.Run("train", "--resume", checkpoint, "--train-examples", "10"), "--train-examples");
    }

    [Test]
    public void TooManyTrainExamples_NamesTheCountAvailable() =>
        CliRunner.AssertUsageError(CliRunner.Run(["train", "vit", "--mnist", _synthetic, "--labels", "0-4", "--train-examples", "100", "--steps", "1", .. TinyVit]),
                                   "34 training images of digits 0-4");

    [Test]
    public void ABadLabelList_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run(["train", "mixer", "--mnist", _synthetic, "--labels", "3,3", "--steps", "1"]), "digit 3 is named twice");

    [Test]
    public void Labels_WithGpt_IsAUsageError() =>
        CliRunner.AssertUsageError(CliRunner.Run(["train", "--labels", "0-4", "--steps", "1", .. CliRunner.Tiny]), "--labels applies to the image models");
}
