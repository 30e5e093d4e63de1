using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// Layer normalisation over the last <c>n</c> elements of each row, forward and first-order backward in one pass per
/// row (ATen's <c>native_layer_norm</c> / <c>native_layer_norm_backward</c>); weight and bias are optional (empty spans).
/// </summary>
internal static class LayerNormKernels
{
    /// <summary>y = (x − mean)·rstd (·w + b) per row, rstd = 1/√(biased var + eps); saves each row's mean and rstd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, double eps, Span<T> y, Span<T> mean, Span<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n), epsilon = T.CreateChecked(eps);
        for (int r = 0; r < mean.Length; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            T m = LayerNormRows.Sum(xr) / count;
            T v = LayerNormRows.CenterAndSquares(xr, m, yr) / count; // yr = x − m, v = Σ (x − m)²
            T s = T.One / T.Sqrt(v + epsilon);
            LayerNormRows.ScaleAffine(yr, s, w, b);
            mean[r] = m; rstd[r] = s;
        }
    }

    /// <summary>
    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·w and x̂ = (x − mean)·rstd; adds Σ dy·x̂ into
    /// <paramref name="dw"/> and Σ dy into <paramref name="db"/> when they are not empty. <paramref name="scratch"/> holds 2n values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> w,
        Span<T> dx, Span<T> dw, Span<T> db, int n, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n);
        var xhat = scratch[..n];
        var ghat = scratch.Slice(n, n);
        for (int r = 0; r < mean.Length; r++)
        {
            var dyr = dy.Slice(r * n, n);
            var (sumG, sumGx) = LayerNormRows.NormalizedAndGradient(x.Slice(r * n, n), mean[r], rstd[r], dyr, w, xhat, ghat);
            T a = sumG / count, c = sumGx / count;
            LayerNormRows.InputGradient(xhat, ghat, c, a, rstd[r], dx.Slice(r * n, n), dyr, dw, db);
        }
    }
}
