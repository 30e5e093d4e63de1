namespace Backprop.Backends.Cuda;

// Index-driven primitives (CudaKernels: index.cu). An index out of range throws IndexRangeException before anything is
// written, as on the CPU (the index check waits for the device).
internal sealed partial class CudaBackend
{
    public void IndexSelect(in TensorView input, int outer, int size, int inner, in TensorView index, in TensorView output) =>
        CudaKernels.IndexSelect(Cuda, input.DType, Pointer(input), outer, size, inner, Pointer(index), index.Numel, Pointer(output));

    public void IndexAdd(in TensorView target, int outer, int size, int inner, in TensorView index, in TensorView source) =>
        CudaKernels.IndexAdd(Cuda, target.DType, Pointer(target), outer, size, inner, Pointer(index), index.Numel, Pointer(source));

    public void Scatter(ScatterKind kind, in TensorView self, in TensorView other, in TensorView index, int dim) =>
        CudaKernels.Scatter(Cuda, kind, self.DType, Pointer(self), self.Strides, self.Shape[dim], Pointer(other), other.Strides,
            Pointer(index), index.Shape, dim);
}
