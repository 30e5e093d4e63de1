namespace Backprop.Kernels;

/// <summary>Applies a binary op over two strided operands already broadcast to the output shape (stride 0 on broadcast dims).</summary>
internal static class BinaryKernel
{
    public static void Run<T, TOp>(T[] a, int aOffset, int[] aStrides, T[] b, int bOffset, int[] bStrides, Span<T> dst, ReadOnlySpan<int> shape)
        where T : unmanaged, INumber<T> where TOp : IBinaryOp<TOp>
    {
        var loop = new StridedLoop(shape, aStrides, aOffset, bStrides, bOffset);
        int n = loop.RowLength, sa = loop.InnerStrideA, sb = loop.InnerStrideB, row = 0;
        while (loop.MoveNext())
        {
            var d = dst.Slice(row, n);
            int oa = loop.OffsetA, ob = loop.OffsetB;
            if (sa == 1 && sb == 1) TOp.Apply(new ReadOnlySpan<T>(a, oa, n), new ReadOnlySpan<T>(b, ob, n), d);
            else if (sa == 1 && sb == 0) TOp.Apply(new ReadOnlySpan<T>(a, oa, n), b[ob], d);
            else if (sa == 0 && sb == 1) TOp.Apply(a[oa], new ReadOnlySpan<T>(b, ob, n), d);
            else for (int i = 0; i < n; i++, oa += sa, ob += sb) d[i] = TOp.Apply(a[oa], b[ob]);
            row += n;
        }
    }

    /// <summary>Same-shape contiguous fast path.</summary>
    public static void Flat<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst)
        where T : unmanaged, INumber<T> where TOp : IBinaryOp<TOp> => TOp.Apply(a, b, dst);
}
