// Reading and writing the safetensors checkpoint format, so a file saved here loads in Python's `safetensors`
// package (and PyTorch, flax, candle) and back.
//
// Layout: 8 bytes, little-endian u64 N; N bytes of UTF-8 JSON, padded with spaces so the data starts 8-aligned:
//   {"__metadata__":{"k":"v"},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}
// then the data section: every tensor's elements, row-major and little-endian, back to back. Offsets are relative to
// the start of the data section; the tensors tile it exactly (no gaps, no overlap, nothing after the last).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DotGrad.Backends;

namespace DotGrad;

/// <summary>
/// The safetensors format (https://github.com/huggingface/safetensors): <see cref="Save"/> writes named tensors and
/// optional string metadata atomically; <see cref="Load"/> reads them back, in file order, after checking the
/// header against the file. Dtypes: F32, F64, I32, I64, BF16, F16 and BOOL (DotGrad's seven).
/// </summary>
public static class Safetensors
{
    /// <summary>The header key that holds string-to-string metadata instead of a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Writes <paramref name="tensors"/> (in dictionary order; any device, dtype and layout) and
    /// <paramref name="metadata"/> to <paramref name="path"/>. The file is written to a temporary file in the same
    /// directory, flushed to disk, and then moved over <paramref name="path"/>, so a crash never leaves a half-written
    /// checkpoint and an existing file is replaced whole.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Safetensors.Save: the format is little-endian and this machine is not");
        foreach (var (name, t) in tensors)
        {
            if (name == MetadataKey) throw new ArgumentException($"Safetensors.Save: '{MetadataKey}' is reserved for the metadata and cannot name a tensor", nameof(tensors));
            if (t is null) throw new ArgumentException($"Safetensors.Save: tensor '{name}' is null", nameof(tensors));
            t.ThrowIfDisposed();
        }

        byte[] header = Header(tensors, metadata);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var t in tensors.Values) WriteData(stream, t);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } // best effort; the original error is what matters
            throw;
        }
    }

    /// <summary>
    /// Reads every tensor of a safetensors file onto <paramref name="device"/> (default: <see cref="Tensor.DefaultDevice"/>),
    /// in file order. The header is checked first, and a bad file raises <see cref="InvalidDataException"/> naming the
    /// file and the problem (truncated file, header length beyond the file, bad JSON, unknown dtype, offsets out of
    /// range, overlapping or leaving gaps, a shape that does not fit its byte range).
    /// </summary>
    public static OrderedDictionary<string, Tensor> Load(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Safetensors.Load: the format is little-endian and this machine is not");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var (entries, _, dataStart) = ReadHeader(stream, path);
        var target = device ?? Tensor.DefaultDevice;
        var result = new OrderedDictionary<string, Tensor>();
        try
        {
            foreach (var e in entries)
            {
                var t = Tensor.Empty(e.Shape, e.DType, target);
                result.Add(e.Name, t);
                int bytes = checked((int)(e.End - e.Begin));
                if (bytes == 0) continue;
                var buffer = new byte[bytes];
                stream.Position = dataStart + e.Begin;
                stream.ReadExactly(buffer);
                if (e.DType == DType.Bool)
                    foreach (var b in buffer)
                        if (b > 1) throw Bad(path, $"tensor '{e.Name}' is BOOL but holds the byte {b} (expected 0 or 1)");
                t.Backend.Write(t.Storage, buffer);
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The <c>__metadata__</c> of a safetensors file (empty when it has none); reads only the header.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(stream, path).Metadata;
    }

    /// <summary>The safetensors name of a dtype: F32, F64, I32, I64, BF16, F16, BOOL.</summary>
    public static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.BFloat16 => "BF16",
        DType.Float16 => "F16",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Safetensors: unknown dtype"),
    };

    private static DType? ParseDType(string name) => name switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        "BF16" => DType.BFloat16,
        "F16" => DType.Float16,
        "BOOL" => DType.Bool,
        _ => null,
    };

    // ---- writing ----

    // Compact JSON (as the reference implementation writes it): metadata first, then the tensors in order, each with
    // dtype, shape and data_offsets; padded with spaces to a multiple of 8 bytes.
    private static byte[] Header(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata)
                {
                    if (v is null) throw new ArgumentException($"Safetensors.Save: metadata '{k}' is null", nameof(metadata));
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                long bytes = (long)t.Count * t.DType.ElementSize();
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(t.DType));
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(Stream stream, Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32: Write<float>(stream, t); break;
            case DType.Float64: Write<double>(stream, t); break;
            case DType.Int32: Write<int>(stream, t); break;
            case DType.Int64: Write<long>(stream, t); break;
            case DType.BFloat16: Write<BFloat16>(stream, t); break;
            case DType.Float16: Write<Half>(stream, t); break;
            case DType.Bool: Write<bool>(stream, t); break; // a .NET bool is one byte, 0 or 1, as safetensors' BOOL
            default: throw new ArgumentOutOfRangeException(nameof(t), t.DType, "Safetensors.Save: unknown dtype");
        }

        static void Write<T>(Stream stream, Tensor t) where T : unmanaged =>
            stream.Write(MemoryMarshal.AsBytes(t.ToArray<T>().AsSpan()));
    }

    // ---- reading ----

    private sealed record Entry(string Name, DType DType, int[] Shape, long Begin, long End);

    private static (List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw Bad(path, $"the file is truncated: {fileLength} bytes, too short for the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > (ulong)(fileLength - 8))
            throw Bad(path, $"the header length {n} runs beyond the end of the file ({fileLength} bytes, so at most {fileLength - 8} after the length); the file is truncated or not a safetensors file");
        if (n > MaxHeaderBytes) throw Bad(path, $"the header length {n} is above the limit of {MaxHeaderBytes} bytes");
        if (n < 2) throw Bad(path, $"the header length {n} is too short for a JSON object");
        var header = new byte[n];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)n;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, $"the header must be a JSON object, got {doc.RootElement.ValueKind}");
            var entries = new List<Entry>();
            var names = new HashSet<string>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Bad(path, $"'{MetadataKey}' must be an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"metadata '{m.Name}' must be a string, got {m.Value.ValueKind}");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (!names.Add(property.Name)) throw Bad(path, $"tensor '{property.Name}' appears twice in the header");
                entries.Add(ParseEntry(path, property));
            }

            // The byte ranges must tile [0, dataLength) exactly, as the reference loader requires.
            long end = 0;
            foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (e.End > dataLength)
                    throw Bad(path, $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}] beyond the data section of {dataLength} bytes; the file is truncated");
                if (e.Begin < end)
                    throw Bad(path, $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}] overlapping the previous tensor, which ends at {end}");
                if (e.Begin > end)
                    throw Bad(path, $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}], leaving a gap after byte {end} of the data section");
                end = e.End;
            }
            if (end != dataLength)
                throw Bad(path, $"the data section has {dataLength} bytes but the tensors cover {end}; the file has trailing bytes");
            return (entries, metadata, dataStart);
        }
    }

    private static Entry ParseEntry(string path, JsonProperty property)
    {
        string name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}': expected an object with dtype, shape and data_offsets, got {v.ValueKind}");
        if (!v.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}': 'dtype' is missing or not a string");
        string dtypeName = dtypeJson.GetString()!;
        var dtype = ParseDType(dtypeName)
            ?? throw Bad(path, $"tensor '{name}' has dtype '{dtypeName}', which DotGrad does not read (it reads F32, F64, I32, I64, BF16, F16 and BOOL)");
        if (!v.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}': 'shape' is missing or not an array");
        var shape = new int[shapeJson.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int size) || size < 0)
                throw Bad(path, $"tensor '{name}': shape entries must be non-negative 32-bit integers, got {d.GetRawText()}");
            shape[i++] = size;
        }
        if (!v.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array || offsetsJson.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}': 'data_offsets' is missing or not a pair [begin, end]");
        var offsets = new long[2];
        i = 0;
        foreach (var o in offsetsJson.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out long value) || value < 0)
                throw Bad(path, $"tensor '{name}': data_offsets must be non-negative integers, got {offsetsJson.GetRawText()}");
            offsets[i++] = value;
        }
        if (offsets[1] < offsets[0])
            throw Bad(path, $"tensor '{name}' has data_offsets [{offsets[0]}, {offsets[1]}] with end before begin");
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > int.MaxValue) throw Bad(path, $"tensor '{name}' has shape {ShapeMath.Format(shape)}, more elements than a tensor can hold");
        }
        long expected = count * dtype.ElementSize();
        if (offsets[1] - offsets[0] != expected)
            throw Bad(path, $"tensor '{name}' has shape {ShapeMath.Format(shape)} and dtype {dtypeName}, which need {expected} bytes, but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"Safetensors: '{path}' is not a valid safetensors file: {problem}", inner);
}
