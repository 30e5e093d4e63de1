namespace Backprop.Backends.Cuda;

// Whole-tensor and per-line reductions, scans and sorts, conversions and selections (CudaKernels: total.cu, reduce.cu,
// scan.cu, copy.cu). Every operand is contiguous unless said otherwise, as the CPU backend expects too.
internal sealed partial class CudaBackend
{
    private static ulong Optional(in TensorView v) => v.Storage is null ? 0 : Pointer(v);

    public void SumAll(in TensorView input, in TensorView output) =>
        CudaKernels.SumAll(Cuda, input.DType, Pointer(input), input.Numel, Pointer(output));

    public void MaxMin(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool max) =>
        CudaKernels.MaxMin(Cuda, input.DType, Pointer(input), outer, size, inner, Pointer(values), Pointer(indices), max);

    public void DivideInPlace(in TensorView tensor, int divisor)
    {
        RequireFloating(tensor.DType, "DivideInPlace");
        CudaKernels.DivideInPlace(Cuda, tensor.DType, Pointer(tensor), tensor.Numel, divisor);
    }

    public void CumSum(in TensorView input, int outer, int size, int inner, in TensorView output) =>
        CudaKernels.CumSum(Cuda, input.DType, Pointer(input), outer, size, inner, Pointer(output));

    public void Prod(in TensorView input, int outer, int size, int inner, in TensorView output) =>
        CudaKernels.Prod(Cuda, input.DType, Pointer(input), outer, size, inner, Pointer(output));

    public void Sort(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool descending) =>
        CudaKernels.Sort(Cuda, input.DType, Pointer(input), outer, size, inner, Pointer(values), Pointer(indices), descending);

    public void Convert(in TensorView source, in TensorView destination)
    {
        if (source.DType == destination.DType) throw new InvalidOperationException($"internal: Convert from {source.DType} to {destination.DType}");
        CudaKernels.Convert(Cuda, source.DType, destination.DType, Pointer(source), Pointer(destination), source.Numel);
    }

    public void FillRows(in TensorView row, in TensorView matrix) =>
        CudaKernels.FillRows(Cuda, matrix.DType, Pointer(row), row.Numel, Pointer(matrix), matrix.Numel);

    /// <summary>mask, a and b are read through their strides over the output's shape (broadcast dimensions read with stride 0).</summary>
    public void Where(in TensorView mask, in TensorView a, in TensorView b, in TensorView output)
    {
        var shape = output.Shape;
        var (dims, strides) = LaunchGeometry.Coalesce(shape, BroadcastStrides(mask, shape), BroadcastStrides(a, shape), BroadcastStrides(b, shape),
            ShapeUtil.ContiguousStrides(shape));
        CudaKernels.Where(Cuda, output.DType, output.Numel, Pointer(mask), Strides(strides[0], "Where"), Pointer(a), Strides(strides[1], "Where"),
            Pointer(b), Strides(strides[2], "Where"), Pointer(output), Dims(dims, "Where"));
    }
}
