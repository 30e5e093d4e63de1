using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void IndexSelect(in TensorView input, int outer, int size, int inner, in TensorView index, in TensorView output)
    {
        TensorView x = input, y = output;
        var idx = (long[])index.Storage.Data;
        int start = index.Offset, count = index.Numel;
        IndexRangeException.Check(idx.AsSpan(start, count), size);
        void Select(int j0, int n)
        {
            var rows = new ReadOnlySpan<long>(idx, start + j0, n);
            int at = j0 * inner;
            switch (x.DType)
            {
                case DType.Float32: IndexKernels.IndexSelect<float>(Span<float>(x), outer, size, inner, rows, Span<float>(y)[at..]); break;
                case DType.Float64: IndexKernels.IndexSelect<double>(Span<double>(x), outer, size, inner, rows, Span<double>(y)[at..]); break;
                default: IndexKernels.IndexSelect<long>(Span<long>(x), outer, size, inner, rows, Span<long>(y)[at..]); break;
            }
        }
        // Picking many large rows (a DataLoader batch) is memory-bound random access: both threads fetch in parallel.
        if (outer == 1) WorkerPool.For(count, Math.Max(1, (1 << 16) / Math.Max(1, inner)), Select);
        else Select(0, count);
    }

    public void IndexAdd(in TensorView target, int outer, int size, int inner, in TensorView index, in TensorView source)
    {
        var idx = Span<long>(index);
        IndexRangeException.Check(idx, size);
        switch (target.DType)
        {
            case DType.Float32: IndexKernels.IndexAdd(Span<float>(target), outer, size, inner, idx, Span<float>(source)); break;
            case DType.Float64: IndexKernels.IndexAdd(Span<double>(target), outer, size, inner, idx, Span<double>(source)); break;
            default: IndexKernels.IndexAdd(Span<long>(target), outer, size, inner, idx, Span<long>(source)); break;
        }
    }

    public void Scatter(ScatterKind kind, in TensorView self, in TensorView other, in TensorView index, int dim)
    {
        var mode = kind switch { ScatterKind.Gather => IndexKernels.ScatterMode.Gather, ScatterKind.Scatter => IndexKernels.ScatterMode.Scatter, _ => IndexKernels.ScatterMode.ScatterAdd };
        var idx = Span<long>(index);
        IndexRangeException.Check(idx, self.Shape[dim]);
        switch (self.DType)
        {
            case DType.Float32: IndexKernels.Run(mode, Span<float>(self), self.Strides, Span<float>(other), other.Strides, idx, index.Shape, dim); break;
            case DType.Float64: IndexKernels.Run(mode, Span<double>(self), self.Strides, Span<double>(other), other.Strides, idx, index.Shape, dim); break;
            default: IndexKernels.Run(mode, Span<long>(self), self.Strides, Span<long>(other), other.Strides, idx, index.Shape, dim); break;
        }
    }
}
