namespace Backprop.Kernels;

/// <summary>Strided copies and dtype conversion.</summary>
internal static class CopyKernels
{
    /// <summary>Copies a strided source into a strided destination of the same shape.</summary>
    public static void Copy<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides, ReadOnlySpan<int> shape)
    {
        var loop = new StridedLoop(shape, srcStrides, srcOffset, dstStrides, dstOffset);
        int n = loop.RowLength, ss = loop.InnerStrideA, ds = loop.InnerStrideB;
        while (loop.MoveNext())
        {
            int s = loop.OffsetA, d = loop.OffsetB;
            if (ss == 1 && ds == 1) Array.Copy(src, s, dst, d, n);
            else for (int i = 0; i < n; i++, s += ss, d += ds) dst[d] = src[s];
        }
    }

    /// <summary>Converts a contiguous span between element types.</summary>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> src, Span<TTo> dst)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        for (int i = 0; i < src.Length; i++) dst[i] = TTo.CreateTruncating(src[i]);
    }
}
