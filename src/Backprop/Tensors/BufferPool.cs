namespace Backprop;

/// <summary>
/// Per-thread free lists of tensor buffers, keyed by element type and exact length, fed by ending
/// <see cref="TensorScope"/>s. A training loop allocates the same shapes every step, so after the first step every
/// buffer comes from here instead of the GC. Exact lengths (unlike <c>ArrayPool</c>'s power-of-two buckets) keep each
/// buffer the size its tensor needs; the pool keeps at most <see cref="MaxRetainedBytes"/> per thread and lets the GC
/// have the rest.
/// </summary>
internal static class BufferPool
{
    /// <summary>The most bytes one thread's pool holds on to.</summary>
    public const long MaxRetainedBytes = 1L << 30;

    [ThreadStatic] private static Dictionary<long, Stack<Array>>? lists;
    [ThreadStatic] private static long retainedBytes;

    /// <summary>
    /// A recycled buffer of exactly <paramref name="length"/> elements — cleared unless <paramref name="uninitialized"/> —
    /// or null when the pool has none.
    /// </summary>
    public static Array? TryRent(DType dtype, int length, bool uninitialized)
    {
        if (lists is null || !lists.TryGetValue(Key(dtype, length), out var free) || free.Count == 0) return null;
        var buffer = free.Pop();
        retainedBytes -= Bytes(buffer);
        if (!uninitialized) Array.Clear(buffer);
        return buffer;
    }

    /// <summary>Takes a buffer back; drops it for the GC when the pool is full.</summary>
    public static void Return(Array buffer)
    {
        long bytes = Bytes(buffer);
        if (buffer.Length == 0 || retainedBytes + bytes > MaxRetainedBytes) return;
        lists ??= [];
        var key = Key(buffer switch { float[] => DType.Float32, double[] => DType.Float64, _ => DType.Int64 }, buffer.Length);
        if (!lists.TryGetValue(key, out var free)) lists[key] = free = new Stack<Array>();
        free.Push(buffer);
        retainedBytes += bytes;
    }

    /// <summary>Bytes the calling thread's pool holds.</summary>
    public static long RetainedBytes => retainedBytes;

    /// <summary>Empties the calling thread's pool.</summary>
    public static void Clear()
    {
        lists = null;
        retainedBytes = 0;
    }

    private static long Key(DType dtype, int length) => (long)dtype << 32 | (uint)length;

    /// <summary>Size in bytes, in 64 bits (a Float64 buffer may pass 2 GB, where <c>Buffer.ByteLength</c> overflows).</summary>
    private static long Bytes(Array buffer) => buffer.LongLength * (buffer is float[] ? 4 : 8);
}
