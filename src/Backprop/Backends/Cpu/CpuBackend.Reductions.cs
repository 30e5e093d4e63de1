using System.Numerics.Tensors;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Gemm(DType dtype, in Strided2D a, in Strided2D b, in Strided2D c, int m, int k, int n, bool accumulate)
    {
        if (dtype == DType.Float32) Gemm<float>(a, b, c, m, k, n, accumulate);
        else Gemm<double>(a, b, c, m, k, n, accumulate);
    }

    private static void Gemm<T>(in Strided2D a, in Strided2D b, in Strided2D c, int m, int k, int n, bool accumulate) where T : unmanaged, INumber<T> =>
        GemmKernel.Multiply((T[])a.Storage.Data, a.Offset, a.RowStride, a.ColStride, (T[])b.Storage.Data, b.Offset, b.RowStride, b.ColStride,
            (T[])c.Storage.Data, c.Offset, c.RowStride, m, k, n, accumulate);

    public void FillRows(in TensorView row, in TensorView matrix)
    {
        int m = row.Numel, n = matrix.Numel / Math.Max(m, 1);
        System.Array src = row.Storage.Data, dst = matrix.Storage.Data;
        for (int i = 0; i < n; i++) System.Array.Copy(src, row.Offset, dst, matrix.Offset + i * m, m);
    }

    public void SumAll(in TensorView input, in TensorView output)
    {
        switch (input.DType)
        {
            case DType.Float32: Span<float>(output)[0] = TensorPrimitives.Sum<float>(Span<float>(input)); break;
            case DType.Float64: Span<double>(output)[0] = TensorPrimitives.Sum<double>(Span<double>(input)); break;
            default: Span<long>(output)[0] = TensorPrimitives.Sum<long>(Span<long>(input)); break;
        }
    }

    public void Sum(in TensorView input, int outer, int size, int inner, in TensorView output)
    {
        switch (input.DType)
        {
            case DType.Float32: ReductionKernels.Sum(Span<float>(input), outer, size, inner, Span<float>(output)); break;
            case DType.Float64: ReductionKernels.Sum(Span<double>(input), outer, size, inner, Span<double>(output)); break;
            default: ReductionKernels.Sum(Span<long>(input), outer, size, inner, Span<long>(output)); break;
        }
    }

    public void MaxMin(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool max)
    {
        switch (input.DType)
        {
            case DType.Float32: ReductionKernels.MaxMin(Span<float>(input), outer, size, inner, Span<float>(values), Span<long>(indices), max); break;
            case DType.Float64: ReductionKernels.MaxMin(Span<double>(input), outer, size, inner, Span<double>(values), Span<long>(indices), max); break;
            default: ReductionKernels.MaxMin(Span<long>(input), outer, size, inner, Span<long>(values), Span<long>(indices), max); break;
        }
    }

    public void DivideInPlace(in TensorView tensor, int divisor)
    {
        if (tensor.DType == DType.Float32) TensorPrimitives.Divide(Span<float>(tensor), divisor, Span<float>(tensor));
        else TensorPrimitives.Divide(Span<double>(tensor), divisor, Span<double>(tensor));
    }
}
