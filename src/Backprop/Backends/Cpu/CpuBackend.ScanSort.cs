using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>Running sum, product and stable sort along the middle of [outer, size, inner].</summary>
internal sealed partial class CpuBackend
{
    public void CumSum(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        switch (input.DType)
        {
            case DType.Float32: ScanSortKernels.CumSum(Span<float>(input), outer, size, inner, Span<float>(output)); break;
            case DType.Float64: ScanSortKernels.CumSum(Span<double>(input), outer, size, inner, Span<double>(output)); break;
            default: ScanSortKernels.CumSum(Span<long>(input), outer, size, inner, Span<long>(output)); break;
        }
    }

    public void Prod(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        switch (input.DType)
        {
            case DType.Float32: ScanSortKernels.Prod(Span<float>(input), outer, size, inner, Span<float>(output)); break;
            case DType.Float64: ScanSortKernels.Prod(Span<double>(input), outer, size, inner, Span<double>(output)); break;
            default: ScanSortKernels.Prod(Span<long>(input), outer, size, inner, Span<long>(output)); break;
        }
    }

    public void Sort(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool descending)
    {
        switch (input.DType)
        {
            case DType.Float32: ScanSortKernels.Sort(Span<float>(input), outer, size, inner, Span<float>(values), Span<long>(indices), descending); break;
            case DType.Float64: ScanSortKernels.Sort(Span<double>(input), outer, size, inner, Span<double>(values), Span<long>(indices), descending); break;
            default: ScanSortKernels.Sort(Span<long>(input), outer, size, inner, Span<long>(values), Span<long>(indices), descending); break;
        }
    }
}
