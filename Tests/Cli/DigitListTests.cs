// The digit lists of --labels: ranges, single digits and both, in order without repeats; anything else a usage error.
using DotGrad.Cli;
using DotGrad.Cli.Data;

namespace DotGrad.Tests.Cli;

public class DigitListTests
{
    [TestCase("0-4", new[] { 0, 1, 2, 3, 4 })]
    [TestCase("5,6,7", new[] { 5, 6, 7 })]
    [TestCase("0-2,7", new[] { 0, 1, 2, 7 })]
    [TestCase(" 9 , 3-3, 1 ", new[] { 1, 3, 9 })]
    [TestCase("0-9", new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    public void Parse_ReadsRangesAndDigits(string text, int[] expected)
    {
        var digits = DigitList.Parse(text, "--labels");
        Assert.That(digits, Is.EqualTo(expected));
        Assert.That(DigitList.Parse(DigitList.Format(digits), "--labels"), Is.EqualTo(expected), "Format reads back");
    }

    [TestCase(new[] { 0, 1, 2, 3, 4 }, "0-4")]
    [TestCase(new[] { 0, 1, 2, 7 }, "0-2,7")]
    [TestCase(new[] { 5, 6 }, "5,6")]
    public void Format_WritesRunsAsRanges(int[] digits, string expected) => Assert.That(DigitList.Format(digits), Is.EqualTo(expected));

    [TestCase("9-5", "runs backwards (write 5-9)")]
    [TestCase("10", "'10' in '10' is not a digit from 0 to 9")]
    [TestCase("a", "'a' in 'a' is not a digit")]
    [TestCase("1,,2", "an empty item between commas")]
    [TestCase("", "no digits given")]
    [TestCase("1-2-3", "'1-2-3' is not a digit or a range")]
    [TestCase("-3", "'' in '-3' is not a digit")]
    [TestCase("2,2,1-3", "the digit 2 is named twice")]
    public void Parse_RefusesWhatIsNotADigitList(string text, string why)
    {
        var e = Assert.Throws<UserError>(() => DigitList.Parse(text, "--labels"));
        Assert.That(e!.Message, Does.StartWith($"--labels '{text}'").And.Contain(why).And.Contain("0-2,7"));
    }
}
