namespace Backprop.Backends;

/// <summary>
/// A tensor's numbers as a backend sees them (candle's <c>Layout</c> plus the storage): storage, shape, strides in
/// elements (0 for a broadcast dimension), offset and dtype. No autograd, no version counter: backends compute, ops record.
/// </summary>
internal readonly struct TensorView(Storage storage, int[] shape, int[] strides, int offset, DType dtype)
{
    public readonly Storage Storage = storage;
    public readonly int[] Shape = shape;
    public readonly int[] Strides = strides;
    public readonly int Offset = offset;
    public readonly DType DType = dtype;

    /// <summary>Number of elements.</summary>
    public int Numel => ShapeUtil.Numel(Shape);
}
