using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backprop.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face <c>safetensors.torch.save_file</c> / <c>load_file</c>): an 8-byte
/// little-endian header length, a JSON header giving each tensor's dtype, shape and byte range, then the raw
/// little-endian data. Saving writes a temporary file, flushes it to disk and renames it over the target, so a crash
/// never leaves a half-written file. Loading memory-maps the file (nothing is read whole), uses 64-bit offsets
/// throughout, accepts F16, BF16, F32, F64, I8, I16, I32, I64, U8 and BOOL (see <see cref="SafeTensorsDType"/>),
/// validates every header field and names the file in its errors.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Saves named tensors, with optional string metadata, atomically (<c>safetensors.torch.save_file</c>). Tensors are
    /// stored in their own dtype (F32, F64, I64), or floating-point ones as <paramref name="floatAs"/> (e.g.
    /// <see cref="SafeTensorsDType.F16"/> or <see cref="SafeTensorsDType.BF16"/> to halve the file).
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        SafeTensorsDType? floatAs = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, Tensor: kv.Value, Stored: SafeTensorsCodec.Stored(kv.Value.DType, floatAs))).ToList();
        foreach (var (name, t, stored) in ordered)
        {
            long size = (long)t.Numel * SafeTensorsCodec.Size(stored);
            header[name] = new JsonObject
            {
                ["dtype"] = SafeTensorsCodec.Name(stored),
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the format allows
        AtomicFile.Write(path, f =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            f.Write(len);
            f.Write(json);
            for (int i = json.Length; i < padded; i++) f.WriteByte((byte)' ');
            foreach (var (_, t, stored) in ordered) SafeTensorsCodec.Encode(t.Dense(), stored, f);
        });
    }

    /// <summary>Loads all tensors from a safetensors file (<c>safetensors.torch.load_file</c>).</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Loads all tensors and the string metadata from a safetensors file.</summary>
    public static unsafe Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8) throw new InvalidDataException($"{path}: not a safetensors file: {fileLength} bytes, the header length alone needs 8.");
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* basePtr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            byte* p = basePtr + view.PointerOffset;
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p, 8));
            if (headerLength > (ulong)(fileLength - 8) || headerLength > int.MaxValue)
                throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated or not safetensors.");
            // Enumerating inside the try finds duplicate keys and property names that are not valid UTF-8
            // (System.Text.Json transcodes them lazily and would otherwise throw InvalidOperationException later).
            List<KeyValuePair<string, JsonNode?>> header;
            try { header = [.. JsonNode.Parse(new ReadOnlySpan<byte>(p + 8, (int)headerLength))!.AsObject()]; }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NullReferenceException)
            { throw new InvalidDataException($"{path}: the safetensors header is not a JSON object with distinct keys ({e.Message}).", e); }
            long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
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
                var (dtype, shape, begin) = Entry(path, name, node, dataLength);
                long size = (long)ShapeUtil.Numel(shape) * SafeTensorsCodec.Size(dtype);
                if (size > int.MaxValue)
                    throw new InvalidDataException($"{path}: tensor '{name}' has {size} bytes; Backprop reads tensors of up to 2 GiB each. Split it, or load it with another tool.");
                result[name] = SafeTensorsCodec.Decode(new ReadOnlySpan<byte>(p + dataStart + begin, (int)size), dtype, shape);
            }
            return result;
        }
        finally { view.SafeMemoryMappedViewHandle.ReleasePointer(); }
    }

    /// <summary>Validates one header entry; returns its dtype, shape and the start of its bytes in the data section.</summary>
    private static (SafeTensorsDType DType, int[] Shape, long Begin) Entry(string path, string name, JsonNode? node, long dataLength)
    {
        try
        {
            var entry = node!.AsObject();
            var dtypeName = entry["dtype"]!.GetValue<string>();
            if (!SafeTensorsCodec.TryParse(dtypeName, out var dtype))
                throw new InvalidDataException($"{path}: tensor '{name}' has dtype {dtypeName}; Backprop reads F16, BF16, F32, F64, I8, I16, I32, I64, U8 and BOOL. Convert it (e.g. tensor.float()) before saving.");
            var dims = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (dims.Any(d => d < 0 || d > int.MaxValue))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", dims)}]; each dimension must be between 0 and {int.MaxValue}.");
            var shape = dims.Select(d => (int)d).ToArray();
            var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long expected = (long)ShapeUtil.Numel(shape) * SafeTensorsCodec.Size(dtype);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != expected || offsets[1] > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}' of shape {ShapeUtil.Format(shape)} declares bytes [{string.Join(", ", offsets)}] of a {dataLength}-byte data section; expected {expected} bytes inside it. The file is truncated or corrupt.");
            return (dtype, shape, offsets[0]);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{path}: the header entry for '{name}' is malformed ({e.Message}).", e);
        }
    }
}
