namespace Backprop.Kernels;

/// <summary>
/// Cumulative sums, products and stable sorts along one dimension of a contiguous buffer viewed as
/// [outer, size, inner] (the layout <see cref="ReductionKernels"/> uses).
/// </summary>
internal static class ScanSortKernels
{
    /// <summary>dst[o, k, i] = Σ_{j ≤ k} src[o, j, i], accumulated in order like PyTorch's CPU kernel.</summary>
    public static void CumSum<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> dst) where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T acc = T.Zero;
                for (int k = 0; k < size; k++) { acc += src[b + k * inner]; dst[b + k * inner] = acc; }
            }
    }

    /// <summary>dst[o, i] = Π_k src[o, k, i], multiplied in order.</summary>
    public static void Prod<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> dst) where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T acc = T.One;
                for (int k = 0; k < size; k++) acc *= src[b + k * inner];
                dst[o * inner + i] = acc;
            }
    }

    /// <summary>
    /// Sorts every line along the middle dimension, stably (equal values keep their order, in both directions) with NaN
    /// treated as larger than every number, as <c>torch.sort(stable=True)</c> does. Writes values and source indices.
    /// </summary>
    public static void Sort<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> values, Span<long> indices, bool descending)
        where T : unmanaged, INumber<T>
    {
        var order = new int[size];
        var line = new T[size];
        Comparison<int> cmp = descending
            ? (a, b) => { int c = Compare(line[b], line[a]); return c != 0 ? c : a.CompareTo(b); }
            : (a, b) => { int c = Compare(line[a], line[b]); return c != 0 ? c : a.CompareTo(b); };
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                for (int k = 0; k < size; k++) { line[k] = src[b + k * inner]; order[k] = k; }
                System.Array.Sort(order, cmp); // ties broken by position: a stable order
                for (int k = 0; k < size; k++) { values[b + k * inner] = line[order[k]]; indices[b + k * inner] = order[k]; }
            }
    }

    private static int Compare<T>(T x, T y) where T : INumber<T>
    {
        bool nx = T.IsNaN(x), ny = T.IsNaN(y);
        if (nx || ny) return nx == ny ? 0 : nx ? 1 : -1;
        return x < y ? -1 : x > y ? 1 : 0;
    }
}
