namespace Backprop;

/// <summary>
/// The flat buffer behind one or more tensors (views share it). Holds a version counter that every
/// in-place write bumps, so autograd can detect a saved tensor that was modified before backward.
/// </summary>
internal sealed class Storage
{
    public readonly Array Data;
    public int Version;

    /// <summary>The backward run that last stored this buffer as a .Grad (see Engine); avoids a hash set per run.</summary>
    public int HandedOutRun;

    public Storage(Array data) => Data = data;

    /// <summary>A zero-filled buffer, or with <paramref name="uninitialized"/> one whose contents are garbage (for kernels that overwrite every element).</summary>
    public static Storage Allocate(DType dtype, int length, bool uninitialized = false) => new(dtype switch
    {
        DType.Float32 => Make<float>(length, uninitialized),
        DType.Float64 => Make<double>(length, uninitialized),
        _ => Make<long>(length, uninitialized),
    });

    private static T[] Make<T>(int length, bool uninitialized) =>
        length == 0 ? [] : uninitialized ? GC.AllocateUninitializedArray<T>(length) : new T[length];
}
