using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>
/// Row-major matrix multiply C[m,n] = A[m,k]·B[k,n] over contiguous buffers: a plain blocked i-k-j loop whose
/// inner step is a vectorized multiply-add of a row of B into a row of C, parallel over rows of C when large.
/// </summary>
internal static class GemmKernel
{
    private const int KBlock = 256;

    public static void Multiply<T>(T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset, int m, int k, int n)
        where T : unmanaged, INumber<T>
    {
        c.AsSpan(cOffset, m * n).Clear();
        if (m == 0 || n == 0 || k == 0) return;
        if ((long)m * n * k < 1 << 18 || m < 4)
        {
            Rows(a, aOffset, b, bOffset, c, cOffset, 0, m, k, n);
            return;
        }
        int chunks = Math.Min(Environment.ProcessorCount * 4, m);
        Parallel.For(0, chunks, ch =>
            Rows(a, aOffset, b, bOffset, c, cOffset, (int)((long)m * ch / chunks), (int)((long)m * (ch + 1) / chunks), k, n));
    }

    private static void Rows<T>(T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset, int r0, int r1, int k, int n)
        where T : unmanaged, INumber<T>
    {
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int k1 = Math.Min(k, k0 + KBlock);
            for (int i = r0; i < r1; i++)
            {
                var row = c.AsSpan(cOffset + i * n, n);
                for (int p = k0; p < k1; p++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(b, bOffset + p * n, n), a[aOffset + i * k + p], row, row);
            }
        }
    }
}
