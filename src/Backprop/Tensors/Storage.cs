namespace Backprop;

/// <summary>
/// The flat buffer behind one or more tensors (views share it). Holds a version counter that every
/// in-place write bumps, so autograd can detect a saved tensor that was modified before backward.
/// </summary>
internal sealed class Storage
{
    public readonly Array Data;
    public int Version;

    public Storage(Array data) => Data = data;

    public static Storage Allocate(DType dtype, int length) => new(dtype switch
    {
        DType.Float32 => length == 0 ? Array.Empty<float>() : new float[length],
        DType.Float64 => length == 0 ? Array.Empty<double>() : new double[length],
        _ => length == 0 ? Array.Empty<long>() : new long[length],
    });
}
