using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Backprop.IO;

/// <summary>
/// Element types of the safetensors format (the <c>dtype</c> header field; <c>torch.float16</c>, <c>torch.bfloat16</c>,
/// ...). Backprop computes in Float32, Float64 and Int64: on load, F16 and BF16 widen exactly to Float32, and the
/// integer and BOOL types widen to Int64 (BOOL as 0/1); on save, floating-point tensors may be narrowed to F16 or BF16
/// with round-to-nearest-even, as <c>tensor.half()</c> / <c>tensor.bfloat16()</c> do.
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE half precision (<c>torch.float16</c>).</summary>
    F16,
    /// <summary>bfloat16 (<c>torch.bfloat16</c>): float32's exponent with 8 bits of mantissa.</summary>
    BF16,
    /// <summary>32-bit float (<c>torch.float32</c>).</summary>
    F32,
    /// <summary>64-bit float (<c>torch.float64</c>).</summary>
    F64,
    /// <summary>8-bit signed integer (<c>torch.int8</c>).</summary>
    I8,
    /// <summary>16-bit signed integer (<c>torch.int16</c>).</summary>
    I16,
    /// <summary>32-bit signed integer (<c>torch.int32</c>).</summary>
    I32,
    /// <summary>64-bit signed integer (<c>torch.int64</c>).</summary>
    I64,
    /// <summary>8-bit unsigned integer (<c>torch.uint8</c>).</summary>
    U8,
    /// <summary>Boolean, one byte 0 or 1 (<c>torch.bool</c>).</summary>
    Bool,
}

/// <summary>Byte encodings of <see cref="SafeTensorsDType"/>: names, sizes, decoding to and encoding from Backprop's dtypes.</summary>
internal static class SafeTensorsCodec
{
    public static string Name(SafeTensorsDType t) => t == SafeTensorsDType.Bool ? "BOOL" : t.ToString();

    public static bool TryParse(string name, out SafeTensorsDType t)
    {
        if (name == "BOOL") { t = SafeTensorsDType.Bool; return true; }
        return Enum.TryParse(name, ignoreCase: false, out t) && name != "Bool" && !char.IsDigit(name[0]);
    }

    public static int Size(SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.Bool => 1,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        _ => 8,
    };

    /// <summary>The Backprop dtype a stored type loads as.</summary>
    public static DType Target(SafeTensorsDType t) => t switch
    {
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F32 => DType.Float32,
        SafeTensorsDType.F64 => DType.Float64,
        _ => DType.Int64,
    };

    /// <summary>The stored type for a tensor: its own dtype, or <paramref name="floatAs"/> for floating-point tensors.</summary>
    public static SafeTensorsDType Stored(DType d, SafeTensorsDType? floatAs) => d switch
    {
        DType.Int64 => SafeTensorsDType.I64,
        _ when floatAs is { } f => f,
        DType.Float32 => SafeTensorsDType.F32,
        _ => SafeTensorsDType.F64,
    };

    /// <summary>Decodes little-endian elements of type <paramref name="t"/> into a new tensor.</summary>
    public static Tensor Decode(ReadOnlySpan<byte> src, SafeTensorsDType t, int[] shape)
    {
        int n = ShapeUtil.Numel(shape);
        switch (Target(t))
        {
            case DType.Float32:
                {
                    var a = new float[n];
                    if (t == SafeTensorsDType.F32) Copy(src, a);
                    else if (t == SafeTensorsDType.F16) for (int i = 0; i < n; i++) a[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src.Slice(2 * i));
                    else for (int i = 0; i < n; i++) a[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(2 * i)) << 16);
                    return Tensor.Wrap(a, shape, DType.Float32);
                }
            case DType.Float64: { var a = new double[n]; Copy(src, a); return Tensor.Wrap(a, shape, DType.Float64); }
            default:
                {
                    var a = new long[n];
                    switch (t)
                    {
                        case SafeTensorsDType.I64: Copy(src, a); break;
                        case SafeTensorsDType.I32: for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt32LittleEndian(src.Slice(4 * i)); break;
                        case SafeTensorsDType.I16: for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadInt16LittleEndian(src.Slice(2 * i)); break;
                        case SafeTensorsDType.I8: for (int i = 0; i < n; i++) a[i] = (sbyte)src[i]; break;
                        case SafeTensorsDType.U8: for (int i = 0; i < n; i++) a[i] = src[i]; break;
                        default: for (int i = 0; i < n; i++) a[i] = src[i] != 0 ? 1 : 0; break;
                    }
                    return Tensor.Wrap(a, shape, DType.Int64);
                }
        }
    }

    /// <summary>Downloads <paramref name="host"/>.Length elements of the dense tensor from element <paramref name="start"/> (the data-out path).</summary>
    private static void Download<T>(Tensor dense, int start, Span<T> host) where T : unmanaged, INumberBase<T> =>
        Backends.Backend.Of(dense).CopyToHost<T>(new Backends.TensorView(dense.Storage, [host.Length], [1], dense.Offset + start, dense.DType), host);

    /// <summary>Writes a dense tensor's elements as <paramref name="t"/> to <paramref name="output"/>, in chunks of at most 1 MiB.</summary>
    public static void Encode(Tensor dense, SafeTensorsDType t, Stream output)
    {
        const int Chunk = 1 << 17; // elements per write
        var buffer = new byte[Chunk * Size(t)];
        int n = dense.Numel;
        // Each chunk is downloaded from the tensor's device into host memory of its own element type, then encoded.
        long[]? longs = dense.DType == DType.Int64 ? new long[Math.Min(Chunk, n)] : null;
        float[]? floats = dense.DType == DType.Float32 ? new float[Math.Min(Chunk, n)] : null;
        double[]? doubles = dense.DType == DType.Float64 ? new double[Math.Min(Chunk, n)] : null;
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            var dst = buffer.AsSpan(0, count * Size(t));
            if (longs is not null) Download(dense, start, longs.AsSpan(0, count));
            if (floats is not null) Download(dense, start, floats.AsSpan(0, count));
            if (doubles is not null) Download(dense, start, doubles.AsSpan(0, count));
            switch (dense.DType)
            {
                case DType.Int64: Store<long>(longs.AsSpan(0, count), dst); break;
                case DType.Float64 when t == SafeTensorsDType.F64: Store<double>(doubles.AsSpan(0, count), dst); break;
                case DType.Float32 when t == SafeTensorsDType.F32: Store<float>(floats.AsSpan(0, count), dst); break;
                default:
                    for (int i = 0; i < count; i++)
                    {
                        double v = floats is not null ? floats[i] : doubles![i];
                        switch (t)
                        {
                            case SafeTensorsDType.F16: BinaryPrimitives.WriteHalfLittleEndian(dst.Slice(2 * i), (Half)v); break;
                            case SafeTensorsDType.BF16: BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(2 * i), ToBFloat16((float)v)); break;
                            case SafeTensorsDType.F32: BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(4 * i), (float)v); break;
                            case SafeTensorsDType.F64: BinaryPrimitives.WriteDoubleLittleEndian(dst.Slice(8 * i), v); break;
                            default: throw new ArgumentException($"SafeTensors.Save: floating-point tensors can be stored as F16, BF16, F32 or F64, not {Name(t)}.");
                        }
                    }
                    break;
            }
            output.Write(dst);
        }
    }

    /// <summary>float32 → bfloat16 with round-to-nearest-even (PyTorch's <c>round_to_nearest_even</c>); NaN stays a quiet NaN.</summary>
    public static ushort ToBFloat16(float f)
    {
        if (float.IsNaN(f)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static void Copy<T>(ReadOnlySpan<byte> src, Span<T> dst) where T : unmanaged
    {
        MemoryMarshal.Cast<byte, T>(src).CopyTo(dst);
        if (!BitConverter.IsLittleEndian) ReverseEach(MemoryMarshal.AsBytes(dst), System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
    }

    private static void Store<T>(ReadOnlySpan<T> src, Span<byte> dst) where T : unmanaged
    {
        MemoryMarshal.AsBytes(src).CopyTo(dst);
        if (!BitConverter.IsLittleEndian) ReverseEach(dst, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
    }

    private static void ReverseEach(Span<byte> bytes, int size)
    {
        for (int i = 0; i < bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }
}
