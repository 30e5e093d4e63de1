using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backprop.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face <c>safetensors.torch.save_file</c> / <c>load_file</c>): an 8-byte
/// little-endian header length, a JSON header giving each tensor's dtype, shape and byte range, then the raw
/// little-endian data. Saving writes a temporary file and renames it over the target, so a crash never leaves a
/// half-written file. Loading validates every header field and names the file in its errors.
/// </summary>
public static class SafeTensors
{
    /// <summary>Saves named tensors, with optional string metadata, atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in ordered)
        {
            long size = (long)t.Numel * t.DType.ElementSize();
            header[name] = new JsonObject
            {
                ["dtype"] = t.DType switch { DType.Float32 => "F32", DType.Float64 => "F64", _ => "I64" },
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the format allows
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                f.Write(len);
                f.Write(json);
                for (int i = json.Length; i < padded; i++) f.WriteByte((byte)' ');
                foreach (var (_, t) in ordered) f.Write(LittleEndianBytes(t));
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    /// <summary>Loads all tensors from a safetensors file.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Loads all tensors and the string metadata from a safetensors file.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: not a safetensors file: {bytes.Length} bytes, the header length alone needs 8.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file ({bytes.Length} bytes); the file is truncated or not safetensors.");
        List<KeyValuePair<string, JsonNode?>> header;
        try { header = [.. JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))!.AsObject()]; } // enumerating finds duplicate keys
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NullReferenceException)
        { throw new InvalidDataException($"{path}: the safetensors header is not a JSON object with distinct keys ({e.Message}).", e); }
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;
        metadata = [];
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                try { foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? ""; }
                catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
                { throw new InvalidDataException($"{path}: __metadata__ must map strings to strings ({e.Message}).", e); }
                continue;
            }
            try
            {
                var entry = node!.AsObject();
                var dtype = entry["dtype"]!.GetValue<string>() switch
                {
                    "F32" => DType.Float32,
                    "F64" => DType.Float64,
                    "I64" => DType.Int64,
                    var other => throw new InvalidDataException($"{path}: tensor '{name}' has dtype {other}; Backprop reads F32, F64 and I64."),
                };
                var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"{path}: tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}].");
                var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long expected = (long)ShapeUtil.Numel(shape) * dtype.ElementSize();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != expected || offsets[1] > dataLength)
                    throw new InvalidDataException($"{path}: tensor '{name}' of shape {ShapeUtil.Format(shape)} declares bytes [{string.Join(", ", offsets)}] of a {dataLength}-byte data section; expected {expected} bytes inside it.");
                result[name] = FromLittleEndian(bytes.AsSpan(dataStart + (int)offsets[0], (int)expected), shape, dtype);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"{path}: the header entry for '{name}' is malformed ({e.Message}).", e);
            }
        }
        return result;
    }


    private static byte[] LittleEndianBytes(Tensor t)
    {
        var c = t.Dense();
        var bytes = new byte[(long)c.Numel * c.DType.ElementSize()];
        switch (c.DType)
        {
            case DType.Float32: { var s = c.Span<float>(); for (int i = 0; i < s.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), s[i]); break; }
            case DType.Float64: { var s = c.Span<double>(); for (int i = 0; i < s.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), s[i]); break; }
            default: { var s = c.Span<long>(); for (int i = 0; i < s.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), s[i]); break; }
        }
        return bytes;
    }

    private static Tensor FromLittleEndian(ReadOnlySpan<byte> data, int[] shape, DType dtype)
    {
        int n = ShapeUtil.Numel(shape);
        switch (dtype)
        {
            case DType.Float32: { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i)); return Tensor.Wrap(a, shape, dtype); }
            case DType.Float64: { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i)); return Tensor.Wrap(a, shape, dtype); }
            default: { var a = new long[n]; for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * i)); return Tensor.Wrap(a, shape, dtype); }
        }
    }
}
