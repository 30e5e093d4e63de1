using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>
/// Reductions over one dimension of a contiguous buffer viewed as [outer, size, inner], and the dim-wise
/// softmax family. Output buffers are [outer, inner].
/// </summary>
internal static class ReductionKernels
{
    public static void Sum<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> dst) where T : unmanaged, INumber<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) dst[o] = TensorPrimitives.Sum(src.Slice(o * size, size));
            return;
        }
        dst.Clear();
        for (int o = 0; o < outer; o++)
        {
            var row = dst.Slice(o * inner, inner);
            for (int k = 0; k < size; k++) TensorPrimitives.Add(row, src.Slice((o * size + k) * inner, inner), row);
        }
    }

    /// <summary>Max (or min) and the index of its first occurrence; NaN wins, as in PyTorch.</summary>
    public static void MaxMin<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> values, Span<long> indices, bool max)
        where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T best = src[b]; int bestK = 0;
                for (int k = 1; k < size && !T.IsNaN(best); k++)
                {
                    T v = src[b + k * inner];
                    if (T.IsNaN(v) || (max ? v > best : v < best)) { best = v; bestK = k; }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = bestK;
            }
    }

    /// <summary>Numerically stable softmax or log-softmax along the middle dimension.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> src, int outer, int size, int inner, Span<T> dst, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var x = src.Slice(o * size, size);
                var y = dst.Slice(o * size, size);
                T m = size == 0 ? T.Zero : TensorPrimitives.Max(x);
                if (T.IsInfinity(m)) m = T.Zero;
                TensorPrimitives.Subtract(x, m, y);
                if (log)
                {
                    T lse = T.Zero;
                    for (int k = 0; k < size; k++) lse += T.Exp(y[k]);
                    TensorPrimitives.Subtract(y, T.Log(lse), y);
                }
                else
                {
                    TensorPrimitives.Exp(y, y);
                    TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
                }
            }
            return;
        }
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T m = T.NegativeInfinity;
                for (int k = 0; k < size; k++) m = T.Max(m, src[b + k * inner]);
                if (T.IsInfinity(m)) m = T.Zero;
                T s = T.Zero;
                for (int k = 0; k < size; k++) s += T.Exp(src[b + k * inner] - m);
                T ls = T.Log(s);
                for (int k = 0; k < size; k++)
                {
                    int j = b + k * inner;
                    dst[j] = log ? src[j] - m - ls : T.Exp(src[j] - m) / s;
                }
            }
    }
}
