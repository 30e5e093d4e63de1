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
    /// <summary>The most elements (and data bytes) an IDX file may declare: the largest .NET array.</summary>
    public static readonly long MaxElements = Array.MaxLength;

    /// <summary>Reads an IDX file into a tensor of the given dtype (values converted, not scaled).</summary>
    public static Tensor Read(string path, DType dtype = DType.Float32)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var file = File.OpenRead(path);
        if (file.Length > MaxElements) throw new InvalidDataException($"{path}: {file.Length} bytes is larger than an IDX file Backprop can hold ({MaxElements} bytes).");
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        if (!gzip)
        {
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return Parse(bytes, path, dtype);
        }
        byte[] data;
        try { data = Decompress(file, path); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        { throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message}).", e); }
        return Parse(data, path, dtype);
    }

    /// <summary>Parses IDX bytes (already decompressed); <paramref name="name"/> is used in error messages.</summary>
    public static Tensor Parse(ReadOnlySpan<byte> data, string name, DType dtype = DType.Float32)
    {
        var (shape, type, headerLength, expected) = Header(data, name);
        long actual = data.Length - headerLength;
        if (actual < expected)
            throw new InvalidDataException($"{name}: truncated IDX data: the header (shape {ShapeUtil.Format(shape)}) promises {expected} bytes after byte offset {headerLength}, but the file ends at byte offset {data.Length}.");
        if (actual > expected)
            throw new InvalidDataException($"{name}: the IDX header (shape {ShapeUtil.Format(shape)}) accounts for {expected} data bytes but {actual} follow it; extra data starts at byte offset {headerLength + expected}.");

        var body = data[headerLength..];
        int count = (int)(expected / ElementSize(type));
        return dtype switch
        {
            DType.Float32 => Tensor.Wrap(Decode<float>(body, type, count), shape, dtype),
            DType.Float64 => Tensor.Wrap(Decode<double>(body, type, count), shape, dtype),
            _ => Tensor.Wrap(Decode<long>(body, type, count), shape, dtype),
        };
    }

    /// <summary>
    /// Validates the header at the start of <paramref name="data"/>: the shape, the type code, the header's length and the
    /// number of data bytes it promises. Sizes are multiplied with overflow checks against <see cref="MaxElements"/>.
    /// </summary>
    private static (int[] Shape, byte Type, int HeaderLength, long DataBytes) Header(ReadOnlySpan<byte> data, string name)
    {
        if (data.Length < 4) throw new InvalidDataException($"{name}: truncated IDX header: the file has {data.Length} bytes, the magic number needs 4 (byte offset {data.Length}).");
        if (data[0] != 0 || data[1] != 0) throw new InvalidDataException($"{name}: not an IDX file: bytes 0-1 are 0x{data[0]:X2} 0x{data[1]:X2}, expected 0x00 0x00 (byte offset 0).");
        byte type = data[2];
        int elementSize = ElementSize(type);
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
            count *= d; // count <= MaxElements < 2^31 and d < 2^31, so the product fits in a long
            if (count * elementSize > MaxElements)
                throw new InvalidDataException($"{name}: the IDX dimension sizes up to byte offset {8 + 4 * i} ({string.Join(" x ", shape[..(i + 1)])}) describe more than {MaxElements} bytes of data; the header is corrupt.");
        }
        return (shape, type, headerLength, count * elementSize);
    }

    private static int ElementSize(byte type) => type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 0 };

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

    /// <summary>
    /// Decompresses a gzip IDX file, reading the header first and then at most the data it promises plus one byte: memory grows
    /// with the bytes really present, never with a size a corrupt header claims.
    /// </summary>
    private static byte[] Decompress(Stream file, string path)
    {
        using var gz = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        var output = new MemoryStream();
        Copy(gz, output, 4);
        if (output.Length == 4) Copy(gz, output, 4L * output.GetBuffer()[3]);
        long dataBytes;
        try { dataBytes = Header(output.GetBuffer().AsSpan(0, (int)output.Length), path).DataBytes; }
        catch (InvalidDataException) { return output.ToArray(); } // Parse reports the header's problem
        Copy(gz, output, dataBytes + 1);
        return output.ToArray();
    }

    /// <summary>Copies up to <paramref name="count"/> bytes, in chunks, stopping early at the end of the stream.</summary>
    private static void Copy(Stream from, MemoryStream to, long count)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = from.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0) return;
            to.Write(buffer, 0, n);
            count -= n;
        }
    }
}
