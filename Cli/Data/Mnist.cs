// MNIST in the IDX format (gzip or raw): images as Float32 [N, 28, 28, 1] in [0, 1] (NHWC), labels as Int32 [N].
using System.Buffers.Binary;
using System.IO.Compression;

namespace DotGrad.Cli.Data;

/// <summary>A split of MNIST held in host memory: pixels scaled to [0, 1] and labels 0..9.</summary>
public sealed record MnistSplit(float[] Pixels, int[] Labels, int Rows, int Cols)
{
    public int Count => Labels.Length;
}

/// <summary>
/// Reads the four MNIST IDX files from a directory: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw or with <c>.gz</c>. IDX is a big-endian
/// int32 magic (0x00000803 for images, 0x00000801 for labels), one big-endian int32 per dimension, then the raw
/// unsigned bytes. A missing, truncated or foreign file gives an <see cref="InvalidDataException"/> naming it.
/// </summary>
public static class Mnist
{
    public static (MnistSplit Train, MnistSplit Test) Load(string directory) =>
        (LoadSplit(directory, "train"), LoadSplit(directory, "t10k"));

    public static MnistSplit LoadSplit(string directory, string prefix)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"MNIST: the directory '{directory}' does not exist");
        string images = Find(directory, $"{prefix}-images-idx3-ubyte"), labels = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var (imageDims, pixels) = ReadIdx(images, 0x803, 3);
        var (labelDims, labelBytes) = ReadIdx(labels, 0x801, 1);
        if (imageDims[0] != labelDims[0])
            throw new InvalidDataException($"MNIST: '{images}' holds {imageDims[0]} images but '{labels}' holds {labelDims[0]} labels");
        var scaled = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) scaled[i] = pixels[i] / 255f;
        var y = new int[labelBytes.Length];
        for (int i = 0; i < y.Length; i++)
        {
            if (labelBytes[i] > 9) throw new InvalidDataException($"MNIST: '{labels}' holds the label {labelBytes[i]} at {i} (expected 0 to 9)");
            y[i] = labelBytes[i];
        }
        return new MnistSplit(scaled, y, imageDims[1], imageDims[2]);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"MNIST: neither '{name}' nor '{name}.gz' is in '{directory}'");
    }

    /// <summary>The dims and the data bytes of one IDX file of unsigned bytes.</summary>
    public static (int[] Dims, byte[] Data) ReadIdx(string path, int magic, int rank)
    {
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"MNIST: '{path}' is not a valid gzip file ({e.Message})", e);
        }
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw new InvalidDataException($"MNIST: '{path}' is {bytes.Length} bytes, shorter than its {header}-byte IDX header");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new InvalidDataException($"MNIST: '{path}' starts with 0x{found:X8}, expected the IDX magic 0x{magic:X8}");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] <= 0) throw new InvalidDataException($"MNIST: '{path}' has dimension {d} of size {dims[d]}");
            count *= dims[d];
        }
        if (bytes.Length - header != count)
            throw new InvalidDataException($"MNIST: '{path}' should hold {count} bytes after its header for dims [{string.Join(", ", dims)}] but holds {bytes.Length - header} (truncated?)");
        return (dims, bytes[header..]);
    }
}
