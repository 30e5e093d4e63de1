namespace Backprop.Backends.Cuda;

/// <summary>
/// Launch shapes and the strided layout passed to kernels. Kernels are grid-stride loops over a 64-bit element index
/// (candle's and CuPy's <c>CUPY_FOR</c>), so any grid covers any size: the grid is capped (at <see cref="MaxBlocksPerSm"/>
/// blocks per multiprocessor, and below 2³¹) and each thread walks the rest, which is also what makes more than 2³¹
/// elements safe.
/// </summary>
internal static class LaunchGeometry
{
    /// <summary>Threads per block for elementwise kernels.</summary>
    public const int BlockSize = 256;

    /// <summary>Resident blocks aimed at per multiprocessor before threads start looping.</summary>
    public const int MaxBlocksPerSm = 32;

    /// <summary>The most dimensions a strided kernel takes by value (PyTorch's <c>MAX_DIMS</c> is 25; ours is enough for every op here).</summary>
    public const int MaxDims = 8;

    /// <summary>
    /// The launch for <paramref name="elements"/> threads of work on a device with <paramref name="multiprocessors"/> SMs:
    /// one thread per element up to the cap, never an empty block; zero elements give a zero grid (the caller skips the launch).
    /// </summary>
    public static LaunchConfig Elementwise(long elements, int multiprocessors, int blockSize = BlockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        if (elements == 0) return new LaunchConfig(0, blockSize);
        long blocks = (elements + blockSize - 1) / blockSize;
        long cap = Math.Min((long)Math.Max(1, multiprocessors) * MaxBlocksPerSm, int.MaxValue);
        return new LaunchConfig((int)Math.Min(blocks, cap), blockSize);
    }

    /// <summary>
    /// Merges neighbouring dimensions that are laid out as one (CuPy's <c>reduce_dims</c>): dimensions of size 1 go, and
    /// dimension d joins d+1 when <c>stride[d] == stride[d+1]·size[d+1]</c> in every operand. Fewer dimensions mean less index
    /// arithmetic per element, and a contiguous tensor becomes one dimension of stride 1.
    /// </summary>
    /// <returns>The merged shape and each operand's merged strides (at least one dimension).</returns>
    public static (long[] Shape, long[][] Strides) Coalesce(ReadOnlySpan<int> shape, params int[][] strides)
    {
        var dims = new List<long>();
        var merged = new List<long>[strides.Length];
        for (int o = 0; o < strides.Length; o++) merged[o] = [];
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            bool join = dims.Count > 0;
            for (int o = 0; o < strides.Length && join; o++)
                join = merged[o][^1] == (long)strides[o][d] * shape[d];
            if (join)
            {
                dims[^1] *= shape[d];
                for (int o = 0; o < strides.Length; o++) merged[o][^1] = strides[o][d];
                continue;
            }
            dims.Add(shape[d]);
            for (int o = 0; o < strides.Length; o++) merged[o].Add(strides[o][d]);
        }
        if (dims.Count == 0)
        {
            dims.Add(shape.Length == 0 || !shape.Contains(0) ? 1 : 0);
            for (int o = 0; o < strides.Length; o++) merged[o].Add(1);
        }
        return ([.. dims], [.. merged.Select(m => m.ToArray())]);
    }

    /// <summary>The element offset of linear index <paramref name="index"/> (row-major over <paramref name="shape"/>) through <paramref name="strides"/>: what the kernels' <c>strided_offset</c> computes.</summary>
    public static long Offset(long index, ReadOnlySpan<long> shape, ReadOnlySpan<long> strides)
    {
        long offset = 0;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            offset += index % shape[d] * strides[d];
            index /= shape[d];
        }
        return offset;
    }
}
