// The MNIST IDX reader on hand-made files: raw and gzip give the same dims and bytes, and a foreign, truncated or
// damaged file is an InvalidDataException that names it. IdxFiles also writes small MNIST directories for CLI tests.
using System.Buffers.Binary;
using System.IO.Compression;
using DotGrad.Cli.Data;

namespace DotGrad.Tests.Cli;

/// <summary>Writes IDX files (big-endian magic and dims, then the bytes), raw or gzip, and whole small MNIST directories.</summary>
internal static class IdxFiles
{
    public const int ImageMagic = 0x803, LabelMagic = 0x801;

    public static byte[] Bytes(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, gzip-compressed when the name ends in .gz.</summary>
    public static string Write(string path, byte[] bytes)
    {
        using var file = File.Create(path);
        using var stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file;
        stream.Write(bytes);
        return path;
    }

    /// <summary>
    /// A directory holding the four MNIST files with <paramref name="train"/> and <paramref name="test"/> 28 x 28 images:
    /// image i has label i mod 10 and a bright column at 2 (label) + 4, so the classes can be told apart.
    /// </summary>
    public static string Directory(string dir, int train, int test, bool gzip)
    {
        string ext = gzip ? ".gz" : "";
        foreach (var (prefix, count) in new[] { ("train", train), ("t10k", test) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var pixels = new byte[count * 28 * 28];
            for (int i = 0; i < count; i++)
                for (int row = 0; row < 28; row++)
                    pixels[i * 784 + row * 28 + 2 * labels[i] + 4] = 255;
            Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}"), Bytes(ImageMagic, [count, 28, 28], pixels));
            Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}"), Bytes(LabelMagic, [count], labels));
        }
        return dir;
    }
}

public class MnistReaderTests
{
    [TestCase("labels", false)]
    [TestCase("labels.gz", true)]
    public void ReadIdx_RawAndGzip_GiveTheDimsAndTheBytes(string name, bool gzip)
    {
        string path = IdxFiles.Write(Path.Combine(CliRunner.TempDir("idx"), name), IdxFiles.Bytes(IdxFiles.LabelMagic, [5], [3, 1, 4, 1, 5]));
        Assert.That(new FileInfo(path).Length, gzip ? Is.Not.EqualTo(13) : Is.EqualTo(13), "a header of 8 bytes and 5 labels, compressed or not");
        var (dims, data) = Mnist.ReadIdx(path, IdxFiles.LabelMagic, 1);
        Assert.That(dims, Is.EqualTo(new[] { 5 }));
        Assert.That(data, Is.EqualTo(new byte[] { 3, 1, 4, 1, 5 }));
    }

    [Test]
    public void ReadIdx_AnImageFile_GivesItsThreeDims()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        string path = IdxFiles.Write(Path.Combine(CliRunner.TempDir("idx"), "images.gz"), IdxFiles.Bytes(IdxFiles.ImageMagic, [2, 3, 4], pixels));
        var (dims, data) = Mnist.ReadIdx(path, IdxFiles.ImageMagic, 3);
        Assert.That(dims, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(data, Is.EqualTo(pixels));
    }

    [Test]
    public void ReadIdx_TheWrongMagic_NamesTheFileAndBothMagics()
    {
        string path = IdxFiles.Write(Path.Combine(CliRunner.TempDir("idx"), "labels"), IdxFiles.Bytes(IdxFiles.ImageMagic, [1], [0]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadIdx(path, IdxFiles.LabelMagic, 1))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("0x00000803").And.Contain("0x00000801"));
    }

    [Test]
    public void ReadIdx_FewerBytesThanTheDimsSay_IsTruncated()
    {
        var bytes = IdxFiles.Bytes(IdxFiles.LabelMagic, [5], [3, 1, 4, 1, 5]);
        string path = IdxFiles.Write(Path.Combine(CliRunner.TempDir("idx"), "labels.gz"), bytes[..^2]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadIdx(path, IdxFiles.LabelMagic, 1))!;
        Assert.That(e.Message, Does.Contain("truncated").And.Contain(path));
    }

    [Test]
    public void ReadIdx_ShorterThanItsHeader_SaysSo()
    {
        string path = IdxFiles.Write(Path.Combine(CliRunner.TempDir("idx"), "images"), [0, 0, 8, 3, 0]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadIdx(path, IdxFiles.ImageMagic, 3))!;
        Assert.That(e.Message, Does.Contain("header"));
    }

    [Test]
    public void ReadIdx_AGzFileThatIsNotGzip_SaysSo()
    {
        string path = Path.Combine(CliRunner.TempDir("idx"), "labels.gz");
        File.WriteAllBytes(path, IdxFiles.Bytes(IdxFiles.LabelMagic, [3], [1, 2, 3]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadIdx(path, IdxFiles.LabelMagic, 1))!;
        Assert.That(e.Message, Does.Contain("gzip").And.Contain(path));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Load_ADirectory_ScalesPixelsToUnitRange_AndKeepsLabels(bool gzip)
    {
        string dir = IdxFiles.Directory(CliRunner.TempDir("mnist-dir"), train: 12, test: 4, gzip);
        var (train, test) = Mnist.Load(dir);
        Assert.That((train.Count, test.Count, train.Rows, train.Cols), Is.EqualTo((12, 4, 28, 28)));
        Assert.That(train.Labels, Is.EqualTo(Enumerable.Range(0, 12).Select(i => i % 10)));
        Assert.That(train.Pixels, Has.Length.EqualTo(12 * 784));
        Assert.That(train.Pixels.Max(), Is.EqualTo(1f));
        Assert.That(train.Pixels[784 + 6], Is.EqualTo(1f), "image 1 (label 1) has its bright column at x = 6");
        Assert.That(train.Pixels[784 + 4], Is.EqualTo(0f));
    }

    [Test]
    public void Load_AMissingFile_NamesBothNamesItLookedFor()
    {
        string dir = IdxFiles.Directory(CliRunner.TempDir("mnist-dir"), train: 2, test: 2, gzip: false);
        File.Delete(Path.Combine(dir, "t10k-labels-idx1-ubyte"));
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir))!;
        Assert.That(e.Message, Does.Contain("t10k-labels-idx1-ubyte").And.Contain("t10k-labels-idx1-ubyte.gz"));
    }
}
