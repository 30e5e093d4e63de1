using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// cuBLAS's GEMM as its reference documentation defines it (column-major, op = transpose or not, strided batches), on
/// the emulator's memory: what checks <see cref="CudaDevice.Gemm"/>'s row-major-to-column-major mapping without cuBLAS.
/// Sums in double, so Float32 results differ from cuBLAS's only by its rounding.
/// </summary>
internal sealed unsafe class HostBlas : ICublas
{
    public void SetStream(nint stream) { }
    public void SetTf32(bool allow) { }
    public void Dispose() { }

    public void Gemm(DType dtype, bool transA, bool transB, int m, int n, int k, double alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, double beta, ulong c, int ldc, long strideC, int batch)
    {
        for (int s = 0; s < batch; s++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        long ai = transA ? p + (long)i * lda : i + (long)p * lda, bi = transB ? j + (long)p * ldb : p + (long)j * ldb;
                        sum += Read(dtype, a, s * strideA + ai) * Read(dtype, b, s * strideB + bi);
                    }
                    long ci = s * strideC + i + (long)j * ldc;
                    double result = alpha * sum + (beta == 0 ? 0 : beta * Read(dtype, c, ci));
                    if (dtype == DType.Float32) ((float*)c)[ci] = (float)result;
                    else ((double*)c)[ci] = result;
                }
    }

    private static double Read(DType dtype, ulong p, long i) => dtype == DType.Float32 ? ((float*)p)[i] : ((double*)p)[i];
}
