namespace Backprop.Backends;

/// <summary>
/// Thrown by an index-driven primitive (<see cref="IBackend.IndexSelect"/>, <see cref="IBackend.IndexAdd"/>,
/// <see cref="IBackend.Scatter"/>) that met an index outside [0, size): the kernel validates while it reads the index, so
/// no op copies an index tensor to the host to check it (a GPU kernel would raise a device-side error flag instead).
/// The op catches it and rethrows its own message.
/// </summary>
internal sealed class IndexRangeException(long value, int position, long size)
    : Exception($"index {value} at position {position} is out of bounds for size {size}")
{
    /// <summary>The offending index value.</summary>
    public long Value { get; } = value;

    /// <summary>Its flat position in the index tensor.</summary>
    public int Position { get; } = position;

    /// <summary>Throws for the first entry of <paramref name="index"/> outside [0, <paramref name="size"/>), if any.</summary>
    public static void Check(ReadOnlySpan<long> index, long size)
    {
        for (int i = 0; i < index.Length; i++)
            if ((ulong)index[i] >= (ulong)size) throw new IndexRangeException(index[i], i, size);
    }
}
