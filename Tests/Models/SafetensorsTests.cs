// The safetensors format: the exact bytes of a small file written out by hand, exact round trips for every dtype,
// metadata, a file laid out as Python's package writes it, every corrupt-file error, atomic replacement, and module
// checkpoints.
using System.Buffers.Binary;
using System.Text;
using DotGrad;
using DotGrad.Backends;
using DotGrad.Models;
using DotGrad.Tests.Tensors;

namespace DotGrad.Tests.Models;

public class SafetensorsTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dotgrad-safetensors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private string FilePath(string name = "model.safetensors") => Path.Combine(_dir, name);

    /// <summary>An 8-byte little-endian length, the header as given (no padding added), then the data bytes.</summary>
    private static byte[] FileBytes(string header, params byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    [Test]
    public void Save_WritesExactlyTheHandWrittenBytes()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray(new float[,] { { 1, -2 } }),   // F32 [1, 2]
            ["n"] = Tensor.FromArray(new[] { 7 }),                  // I32 [1]
        };
        Safetensors.Save(FilePath(), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        // Header: compact JSON, metadata first, then the tensors in order; 141 bytes, padded with three spaces to 144.
        const string json = "{\"__metadata__\":{\"format\":\"pt\"}," +
                            "\"w\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}," +
                            "\"n\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Assert.That(json, Has.Length.EqualTo(141));
        byte[] expected =
        [
            144, 0, 0, 0, 0, 0, 0, 0,                             // header length, u64 little-endian
            .. Encoding.ASCII.GetBytes(json + "   "),
            0x00, 0x00, 0x80, 0x3F,                               // 1.0f
            0x00, 0x00, 0x00, 0xC0,                               // -2.0f
            0x07, 0x00, 0x00, 0x00,                               // 7
        ];
        Assert.That(File.ReadAllBytes(FilePath()), Is.EqualTo(expected));
    }

    [Test]
    public void Save_PadsTheHeaderWithSpacesToAMultipleOf8_AndOmitsEmptyMetadata()
    {
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(new[] { 1.0 }) });
        var bytes = File.ReadAllBytes(FilePath());
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        const string json = "{\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}"; // 54 bytes
        Assert.That(n, Is.EqualTo(56));
        Assert.That(Encoding.ASCII.GetString(bytes, 8, 56), Is.EqualTo(json + "  "));
        Assert.That(bytes, Has.Length.EqualTo(8 + 56 + 8));
        Assert.That(BitConverter.ToDouble(bytes, 64), Is.EqualTo(1.0));
    }

    [Test]
    public void Load_ReadsAFileLaidOutAsPythonWritesIt()
    {
        // Python's package orders the data by dtype, so header order and data order can differ; scalars have shape [].
        const string header = "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"10\"}," +
                              "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}," +
                              "\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}," +
                              "\"c\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[12,12]}}    ";
        File.WriteAllBytes(FilePath(), FileBytes(header,
            0, 0, 0, 0, 0, 0, 0x04, 0xC0,   // -2.5 as a double
            0x00, 0x3C, 0x00, 0xC4));       // 1.0 and -4.0 as halves
        var loaded = Safetensors.Load(FilePath(), Device.Cpu);
        Assert.That(loaded.Keys, Is.EqualTo(new[] { "a", "b", "c" }), "file (header) order");
        Assert.That((loaded["a"].DType, loaded["a"].Shape), Is.EqualTo((DType.Float16, new[] { 2 })));
        Assert.That(loaded["a"].ToArray<Half>(), Is.EqualTo(new[] { (Half)1, (Half)(-4) }));
        Assert.That((loaded["b"].DType, loaded["b"].Shape, loaded["b"].Item()), Is.EqualTo((DType.Float64, Array.Empty<int>(), -2.5)));
        Assert.That((loaded["c"].DType, loaded["c"].Count), Is.EqualTo((DType.Bool, 0)));
        Assert.That(Safetensors.ReadMetadata(FilePath()), Is.EqualTo(new Dictionary<string, string> { ["format"] = "pt", ["step"] = "10" }));
    }

    [Test]
    public void Load_ReadsI64_FromHandBuiltBytes()
    {
        // An int64 tensor as PyTorch saves torch.tensor([[2**40 + 5, -1], [2**53 + 1, -2**63]]): 32 bytes, little-endian.
        // 2^40 + 5 = 0x0000_0100_0000_0005; -1 = all ones; 2^53 + 1 = 0x0020_0000_0000_0001 (no double holds it);
        // -2^63 = 0x8000_0000_0000_0000. An I32 tensor follows, so one file mixes both widths.
        const string header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2,2],\"data_offsets\":[0,32]}," +
                              "\"n\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[32,36]}}";
        File.WriteAllBytes(FilePath(), FileBytes(header,
            0x05, 0, 0, 0, 0x00, 0x01, 0, 0,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0x01, 0, 0, 0, 0, 0, 0x20, 0x00,
            0, 0, 0, 0, 0, 0, 0, 0x80,
            0x2A, 0, 0, 0));
        var loaded = Safetensors.Load(FilePath(), Device.Cpu);
        Assert.That((loaded["ids"].DType, loaded["ids"].Shape), Is.EqualTo((DType.Int64, new[] { 2, 2 })));
        Assert.That(loaded["ids"].ToArray<long>(), Is.EqualTo(new[] { (1L << 40) + 5, -1, (1L << 53) + 1, long.MinValue }));
        Assert.That(loaded["n"].Item<int>(), Is.EqualTo(42));
    }

    [Test]
    public void Save_WritesI64_AsTheHandWrittenBytes()
    {
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["t"] = Tensor.FromArray(new long[] { 3, -(1L << 40) }) });
        const string json = "{\"t\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}"; // 55 bytes, 1 space of padding
        Assert.That(json, Has.Length.EqualTo(55));
        byte[] expected =
        [
            56, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json + " "),
            0x03, 0, 0, 0, 0, 0, 0, 0,                            // 3
            0, 0, 0, 0, 0x00, 0xFF, 0xFF, 0xFF,                   // -2^40 = 0xFFFF_FF00_0000_0000
        ];
        Assert.That(File.ReadAllBytes(FilePath()), Is.EqualTo(expected));
    }

    private static Tensor Halves(DType dtype) => Tensor.FromArray(new float[,] { { 1, -0f, 65504, 1e-7f }, { float.NaN, float.PositiveInfinity, -3.140625f, 0.1f } }).To(dtype);

    private static IEnumerable<TestCaseData> EveryDType()
    {
        yield return new TestCaseData(DType.Float32, (Func<Tensor>)(() => Tensor.FromArray(new float[,] { { 1.5f, -0f, float.Epsilon }, { float.NaN, float.NegativeInfinity, 3.4e38f } }))).SetArgDisplayNames("F32");
        yield return new TestCaseData(DType.Float64, (Func<Tensor>)(() => Tensor.FromArray(new double[,,] { { { Math.PI, -0.0 }, { double.Epsilon, double.NaN } } }))).SetArgDisplayNames("F64");
        yield return new TestCaseData(DType.Int32, (Func<Tensor>)(() => Tensor.FromArray(new[] { int.MinValue, -1, 0, int.MaxValue }))).SetArgDisplayNames("I32");
        yield return new TestCaseData(DType.Int64, (Func<Tensor>)(() => Tensor.FromArray(new long[,] { { long.MinValue, -1 }, { (1L << 53) + 1, long.MaxValue } }))).SetArgDisplayNames("I64");
        yield return new TestCaseData(DType.BFloat16, (Func<Tensor>)(() => Halves(DType.BFloat16))).SetArgDisplayNames("BF16");
        yield return new TestCaseData(DType.Float16, (Func<Tensor>)(() => Halves(DType.Float16))).SetArgDisplayNames("F16");
        yield return new TestCaseData(DType.Bool, (Func<Tensor>)(() => Tensor.FromArray(new[,] { { true, false }, { false, true } }))).SetArgDisplayNames("BOOL");
    }

    private static byte[] Raw(Tensor t) => t.DType switch
    {
        DType.Float32 => Bytes(t.ToArray<float>()),
        DType.Float64 => Bytes(t.ToArray<double>()),
        DType.Int32 => Bytes(t.ToArray<int>()),
        DType.Int64 => Bytes(t.ToArray<long>()),
        DType.BFloat16 => Bytes(t.ToArray<BFloat16>()),
        DType.Float16 => Bytes(t.ToArray<Half>()),
        _ => Bytes(t.ToArray<bool>()),
    };

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [TestCaseSource(nameof(EveryDType))]
    public void RoundTrip_IsBitExact(DType dtype, Func<Tensor> make)
    {
        using var t = make();
        Assert.That(t.DType, Is.EqualTo(dtype));
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["t"] = t });
        var loaded = Safetensors.Load(FilePath(), Device.Cpu)["t"];
        Assert.That((loaded.DType, loaded.Shape), Is.EqualTo((dtype, t.Shape)));
        Assert.That(Raw(loaded), Is.EqualTo(Raw(t)));
        var header = Encoding.UTF8.GetString(File.ReadAllBytes(FilePath()), 8, 40);
        Assert.That(header, Does.Contain($"\"dtype\":\"{Safetensors.DTypeName(dtype)}\""));
    }

    [Test]
    public void RoundTrip_ManyTensors_NonContiguousViews_OrderAndMetadata()
    {
        var g = new Generator(11);
        var big = Tensor.Randn([6, 5], g);
        var tensors = new Dictionary<string, Tensor>
        {
            ["z.last"] = Tensor.Randn([3], g, DType.Float64),
            ["a.transposed"] = big.T,                     // a strided view: written row-major
            ["m.slice"] = big[1..4, 2..],
            ["ids"] = Tensor.Arange(0, 10),
            ["ünïcode name+/<&>"] = Tensor.Ones([2, 2], DType.Float32),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "quotes \" and\nnew lines" };
        Safetensors.Save(FilePath(), tensors, metadata);

        var loaded = Safetensors.Load(FilePath(), Device.Cpu);
        Assert.That(loaded.Keys, Is.EqualTo(tensors.Keys), "insertion order is kept");
        foreach (var (name, t) in tensors)
        {
            Assert.That(loaded[name].Shape, Is.EqualTo(t.Shape), name);
            Assert.That(Raw(loaded[name]), Is.EqualTo(Raw(t)), name);
        }
        Assert.That(Safetensors.ReadMetadata(FilePath()), Is.EqualTo(metadata));
        Assert.That(File.ReadAllBytes(FilePath()).Skip(8).Take(300).ToArray(), Is.Not.Empty);
    }

    [Test]
    public void Load_ToAnotherDevice_PutsEveryTensorThere()
    {
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["x"] = Tensor.Arange(0, 6).Float() });
        var loaded = Safetensors.Load(FilePath(), Device.Reference);
        Assert.That(loaded["x"].Device, Is.EqualTo(Device.Reference));
        Assert.That(loaded["x"].ToArray<float>(), Is.EqualTo(new float[] { 0, 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void Save_RejectsTheMetadataKeyAsATensorName_AndDisposedTensors()
    {
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
        Assert.That(e!.Message, Does.Contain("__metadata__"));
        var disposed = Tensor.Zeros(1);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["d"] = disposed }));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    // ---- corrupt files: each names the file and the problem ----

    private const string OneF32 = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private static IEnumerable<TestCaseData> CorruptFiles()
    {
        TestCaseData Case(string name, byte[] bytes, string problem) => new TestCaseData(bytes, problem).SetArgDisplayNames(name);
        yield return Case("shorter than the length prefix", [1, 0, 0], "truncated: 3 bytes");
        yield return Case("header length beyond the file", FileBytes(OneF32, new byte[8])[..40], "header length 54 runs beyond the end of the file");
        yield return Case("bad JSON", FileBytes("{\"x\":{\"dtype\":", new byte[8]), "not valid JSON");
        yield return Case("not an object", FileBytes("[1, 2, 3]"), "must be a JSON object");
        yield return Case("unknown dtype", FileBytes(OneF32.Replace("F32", "I16"), new byte[8]), "dtype 'I16', which DotGrad does not read");
        yield return Case("missing shape", FileBytes("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8]), "'shape' is missing");
        yield return Case("negative size", FileBytes(OneF32.Replace("[2]", "[-2]"), new byte[8]), "shape entries must be non-negative");
        yield return Case("offsets beyond the data", FileBytes(OneF32, new byte[6]), "data_offsets [0, 8] beyond the data section of 6 bytes");
        yield return Case("end before begin", FileBytes(OneF32.Replace("[0,8]", "[8,0]"), new byte[8]), "end before begin");
        yield return Case("shape does not fit the offsets", FileBytes(OneF32.Replace("[2]", "[3]"), new byte[8]), "need 12 bytes, but its data_offsets [0, 8] span 8");
        yield return Case("overlapping", FileBytes(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
            "tensor 'y' has data_offsets [4, 8] overlapping the previous tensor, which ends at 8");
        yield return Case("gap", FileBytes(OneF32.Replace("[0,8]", "[4,12]"), new byte[12]), "leaving a gap after byte 0");
        yield return Case("trailing bytes", FileBytes(OneF32, new byte[10]), "the data section has 10 bytes but the tensors cover 8");
        yield return Case("duplicate name", FileBytes(OneF32[..^1] + ",\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", new byte[8]), "tensor 'x' appears twice");
        yield return Case("bad bool", FileBytes("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", 1, 7), "holds the byte 7");
        yield return Case("metadata not strings", FileBytes("{\"__metadata__\":{\"n\":1}}"), "metadata 'n' must be a string");
    }

    [TestCaseSource(nameof(CorruptFiles))]
    public void Load_CorruptFile_ThrowsNamingTheFileAndTheProblem(byte[] bytes, string problem)
    {
        File.WriteAllBytes(FilePath("bad.safetensors"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(FilePath("bad.safetensors"), Device.Cpu));
        Assert.That(e!.Message, Does.Contain(FilePath("bad.safetensors")).And.Contain(problem));
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => Safetensors.Load(FilePath("absent.safetensors")));

    // ---- atomic writes ----

    [Test]
    public void Save_ReplacesAnExistingFileWhole_AndLeavesNoTemporaryFiles()
    {
        File.WriteAllText(FilePath(), new string('x', 10_000));
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["a"] = Tensor.Ones([2], DType.Float32) });
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["b"] = Tensor.Zeros([3], DType.Int32) });
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "model.safetensors" }));
        var loaded = Safetensors.Load(FilePath(), Device.Cpu);
        Assert.That(loaded.Keys, Is.EqualTo(new[] { "b" }));
        Assert.That(new FileInfo(FilePath()).Length, Is.EqualTo(8 + 56 + 12));
    }

    [Test]
    public void Save_ThatFails_LeavesTheOldFileAndNoTemporaryFiles()
    {
        Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["a"] = Tensor.Ones([2], DType.Float32) });
        var before = File.ReadAllBytes(FilePath());
        // A metadata value that is null fails while the header is built, before anything is written.
        Assert.Throws<ArgumentException>(() => Safetensors.Save(FilePath(), new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(2) },
                                                                 new Dictionary<string, string> { ["k"] = null! }));
        Assert.That(File.ReadAllBytes(FilePath()), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    // ---- module checkpoints ----

    [Test]
    public void ModuleCheckpoint_RoundTripIsExact()
    {
        using var a = new TestNet(seed: 1);
        using var b = new TestNet(seed: 2);
        a.SaveSafetensors(FilePath(), new Dictionary<string, string> { ["step"] = "3" });
        b.LoadSafetensors(FilePath());
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()), name);
        Assert.That(Safetensors.Load(FilePath(), Device.Cpu).Keys, Is.EqualTo(a.StateDict().Keys));
        Assert.That(Safetensors.ReadMetadata(FilePath())["step"], Is.EqualTo("3"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void GptCheckpoint_RoundTripIsExact_AndGivesTheSameLogits(bool tiedHead)
    {
        var config = new GptConfig(VocabSize: 11, ContextLength: 8, Width: 16, Depth: 2, Heads: 4, TiedHead: tiedHead);
        using var a = new Gpt(config, new Generator(1));
        using var b = new Gpt(config, new Generator(2));
        a.SaveSafetensors(FilePath());
        b.LoadSafetensors(FilePath());
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()), name);
        a.Eval();
        b.Eval();
        using var tokens = Tensor.Randint(0, 11, [2, 8], new Generator(3));
        Assert.That(b.Call(tokens).ToArray<float>(), Is.EqualTo(a.Call(tokens).ToArray<float>()));
    }

    [Test]
    public void ModuleCheckpoint_MisshapedFile_FailsWithTheKeyAndBothShapes()
    {
        using var small = new TestSequential(new Linear(4, 3, generator: new Generator(1)));
        using var large = new TestSequential(new Linear(4, 5, generator: new Generator(1)));
        small.SaveSafetensors(FilePath());
        var e = Assert.Throws<ArgumentException>(() => large.LoadSafetensors(FilePath()));
        Assert.That(e!.Message, Does.Contain("0.weight: checkpoint [3, 4], model [5, 4]").And.Contain("0.bias: checkpoint [3], model [5]"));
        // Non-strict still refuses a mis-shaped key; it accepts a missing one.
        Assert.Throws<ArgumentException>(() => large.LoadSafetensors(FilePath(), strict: false));
        using var noBias = new TestSequential(new Linear(4, 3, bias: false, generator: new Generator(2)));
        Assert.Throws<ArgumentException>(() => noBias.LoadSafetensors(FilePath()));
        noBias.LoadSafetensors(FilePath(), strict: false);
        Assert.That(Check.Values(noBias.NamedParameters().Single().Parameter), Is.EqualTo(Check.Values(small.NamedParameters().First().Parameter)));
    }
}
