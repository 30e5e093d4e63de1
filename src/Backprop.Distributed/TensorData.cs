namespace Backprop.Distributed;

/// <summary>
/// The one place this package reads and writes tensor memory directly (through the core's internal element span, visible
/// to this assembly): gradients into and out of buckets, parameters and buffers in place for broadcasts.
/// </summary>
internal static class TensorData
{
    /// <summary>The elements of a contiguous tensor of element type <typeparamref name="T"/>.</summary>
    public static Span<T> Span<T>(Tensor t) where T : unmanaged
    {
        if (!t.IsContiguous) throw new InvalidOperationException($"internal: a distributed collective needs a contiguous tensor, got shape {t.ShapeString} with strides [{string.Join(", ", t.Strides.ToArray())}].");
        return t.Span<T>();
    }

    /// <summary>Overwrites <paramref name="t"/> with rank <paramref name="root"/>'s values and marks it modified.</summary>
    public static void Broadcast(IProcessGroup group, Tensor t, int root = 0)
    {
        switch (t.DType)
        {
            case DType.Float32: group.Broadcast(Span<float>(t), root); break;
            case DType.Float64: group.Broadcast(Span<double>(t), root); break;
            case DType.Int64: group.Broadcast(Span<long>(t), root); break;
            default: throw new NotSupportedException($"Broadcast: tensors of dtype {t.DType} are not supported.");
        }
        t.BumpVersion();
    }
}
