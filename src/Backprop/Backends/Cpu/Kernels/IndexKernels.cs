namespace Backprop.Kernels;

/// <summary>Index-driven copies: index_select / index_add over [outer, size, inner] blocks, and gather / scatter along a dim.</summary>
internal static class IndexKernels
{
    public static void IndexSelect<T>(ReadOnlySpan<T> src, int outer, int size, int inner, ReadOnlySpan<long> index, Span<T> dst)
    {
        int l = index.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < l; j++)
                src.Slice((o * size + (int)index[j]) * inner, inner).CopyTo(dst.Slice((o * l + j) * inner, inner));
    }

    public static void IndexAdd<T>(Span<T> dst, int outer, int size, int inner, ReadOnlySpan<long> index, ReadOnlySpan<T> src)
        where T : unmanaged, INumber<T>
    {
        int l = index.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < l; j++)
            {
                var d = dst.Slice((o * size + (int)index[j]) * inner, inner);
                var s = src.Slice((o * l + j) * inner, inner);
                for (int i = 0; i < inner; i++) d[i] += s[i];
            }
    }

    public enum ScatterMode { Gather, Scatter, ScatterAdd }

    /// <summary>
    /// Walks every element of a contiguous <paramref name="index"/> of <paramref name="indexShape"/>. With Gather,
    /// other[i] = self[i with dim replaced by index[i]]; with Scatter(Add), self[i with dim replaced by index[i]] (+)= other[i].
    /// <paramref name="self"/> and <paramref name="other"/> are contiguous with their own shapes' strides.
    /// </summary>
    public static void Run<T>(ScatterMode mode, Span<T> self, int[] selfStrides, Span<T> other, int[] otherStrides,
        ReadOnlySpan<long> index, ReadOnlySpan<int> indexShape, int dim) where T : unmanaged, INumber<T>
    {
        int rank = indexShape.Length;
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];
        pos.Clear();
        for (int e = 0; e < index.Length; e++)
        {
            int so = 0, oo = 0;
            for (int d = 0; d < rank; d++)
            {
                oo += pos[d] * otherStrides[d];
                so += (d == dim ? (int)index[e] : pos[d]) * selfStrides[d];
            }
            switch (mode)
            {
                case ScatterMode.Gather: other[oo] = self[so]; break;
                case ScatterMode.Scatter: self[so] = other[oo]; break;
                default: self[so] += other[oo]; break;
            }
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++pos[d] < indexShape[d]) break;
                pos[d] = 0;
            }
        }
    }
}
