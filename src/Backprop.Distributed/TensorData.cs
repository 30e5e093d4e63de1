using System.Numerics;

namespace Backprop.Distributed;

/// <summary>
/// How this package moves tensor memory to and from the host buffers MPI works on: through the backend's download and
/// upload primitives (<c>CopyToHost</c>/<c>CopyFromHost</c>), never through a raw span, so a collective sees the same
/// seam as every op (and would work unchanged for a device whose memory the host cannot read).
/// </summary>
internal static class TensorData
{
    /// <summary>Downloads the contiguous <paramref name="t"/> into <paramref name="destination"/> (its element count).</summary>
    public static void Download<T>(Tensor t, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        CheckContiguous(t);
        Backends.Backend.Of(t).CopyToHost(t.Layout, destination);
    }

    /// <summary>Uploads <paramref name="source"/> (its element count) into the contiguous <paramref name="t"/>.</summary>
    public static void Upload<T>(ReadOnlySpan<T> source, Tensor t) where T : unmanaged, INumberBase<T>
    {
        CheckContiguous(t);
        Backends.Backend.Of(t).CopyFromHost(source, t.Layout);
    }

    /// <summary>Overwrites <paramref name="t"/> with rank <paramref name="root"/>'s values and marks it modified.</summary>
    public static void Broadcast(IProcessGroup group, Tensor t, int root = 0)
    {
        switch (t.DType)
        {
            case DType.Float32: Broadcast<float>(group, t, root); break;
            case DType.Float64: Broadcast<double>(group, t, root); break;
            case DType.Int64: Broadcast<long>(group, t, root); break;
            default: throw new NotSupportedException($"Broadcast: tensors of dtype {t.DType} are not supported.");
        }
        t.BumpVersion();
    }

    private static void Broadcast<T>(IProcessGroup group, Tensor t, int root) where T : unmanaged, INumberBase<T>
    {
        var host = new T[t.Numel];
        Download<T>(t, host);
        group.Broadcast<T>(host, root);
        Upload<T>(host, t);
    }

    private static void CheckContiguous(Tensor t)
    {
        if (!t.IsContiguous) throw new InvalidOperationException($"internal: a distributed collective needs a contiguous tensor, got shape {t.ShapeString} with strides [{string.Join(", ", t.Strides.ToArray())}].");
    }
}
