using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or raw): two zero bytes, a type code, the
/// number of dimensions, the big-endian 32-bit sizes, then the big-endian data. Every header field is validated; a
/// truncated or inconsistent file throws <see cref="InvalidDataException"/> naming the file and the byte offset.
/// </summary>
public static class IdxReader
{
    /// <summary>Reads an IDX file into a tensor of the given dtype (values converted, not scaled).</summary>
    public static Tensor Read(string path, DType dtype = DType.Float32)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] bytes;
        try { bytes = Decompress(File.ReadAllBytes(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message}).", e); }
        return Parse(bytes, path, dtype);
    }

    /// <summary>Parses IDX bytes (already decompressed); <paramref name="name"/> is used in error messages.</summary>
    public static Tensor Parse(ReadOnlySpan<byte> data, string name, DType dtype = DType.Float32)
    {
        if (data.Length < 4) throw new InvalidDataException($"{name}: truncated IDX header: the file has {data.Length} bytes, the magic number needs 4 (byte offset {data.Length}).");
        if (data[0] != 0 || data[1] != 0) throw new InvalidDataException($"{name}: not an IDX file: bytes 0-1 are 0x{data[0]:X2} 0x{data[1]:X2}, expected 0x00 0x00 (byte offset 0).");
        byte type = data[2];
        int elementSize = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };
        if (elementSize == 0) throw new InvalidDataException($"{name}: unknown IDX element type 0x{type:X2} at byte offset 2 (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).");
        int rank = data[3];
        if (rank == 0) throw new InvalidDataException($"{name}: IDX header declares 0 dimensions at byte offset 3.");
        int headerLength = 4 + 4 * rank;
        if (data.Length < headerLength)
            throw new InvalidDataException($"{name}: truncated IDX header: {rank} dimension sizes need {headerLength} bytes, the file ends at byte offset {data.Length}.");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(data.Slice(4 + 4 * i));
            if (d < 0) throw new InvalidDataException($"{name}: dimension {i} has negative size {d} at byte offset {4 + 4 * i}.");
            shape[i] = d;
            count *= d;
        }
        long expected = count * elementSize, actual = data.Length - headerLength;
        if (actual < expected)
            throw new InvalidDataException($"{name}: truncated IDX data: the header (shape {ShapeUtil.Format(shape)}) promises {expected} bytes after byte offset {headerLength}, but the file ends at byte offset {data.Length}.");
        if (actual > expected)
            throw new InvalidDataException($"{name}: the IDX header (shape {ShapeUtil.Format(shape)}) accounts for {expected} data bytes but {actual} follow it; extra data starts at byte offset {headerLength + expected}.");

        var body = data[headerLength..];
        return dtype switch
        {
            DType.Float32 => Tensor.Wrap(Decode<float>(body, type, (int)count), shape, dtype),
            DType.Float64 => Tensor.Wrap(Decode<double>(body, type, (int)count), shape, dtype),
            _ => Tensor.Wrap(Decode<long>(body, type, (int)count), shape, dtype),
        };
    }

    /// <summary>Converts the big-endian body straight into the target element type (one pass, no intermediate copy).</summary>
    private static T[] Decode<T>(ReadOnlySpan<byte> body, byte type, int count) where T : unmanaged, INumberBase<T>
    {
        var values = GC.AllocateUninitializedArray<T>(count);
        switch (type)
        {
            case 0x08: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(body[i]); break;
            case 0x09: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating((sbyte)body[i]); break;
            case 0x0B: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(BinaryPrimitives.ReadInt16BigEndian(body.Slice(2 * i))); break;
            case 0x0C: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(BinaryPrimitives.ReadInt32BigEndian(body.Slice(4 * i))); break;
            case 0x0D: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(BinaryPrimitives.ReadSingleBigEndian(body.Slice(4 * i))); break;
            default: for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(BinaryPrimitives.ReadDoubleBigEndian(body.Slice(8 * i))); break;
        }
        return values;
    }

    private static byte[] Decompress(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1F || bytes[1] != 0x8B) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gz.CopyTo(output);
        return output.ToArray();
    }
}
