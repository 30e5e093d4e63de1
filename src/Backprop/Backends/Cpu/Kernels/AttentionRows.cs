using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// The row operations of <see cref="AttentionKernels"/>, in inline Vector256 lanes: heads are short (32–128 values),
/// where a library call per (query, key) pair costs as much as the arithmetic.
/// </summary>
internal static class AttentionRows
{
    /// <summary><paramref name="n"/> rounded up to a whole number of vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Padded<T>(int n) where T : unmanaged
    {
        int w = Vector256<T>.Count;
        return (n + w - 1) / w * w;
    }

    /// <summary>
    /// dst[c·ldDst + r] = src[offset + r·rowStride + c] for r &lt; rows, c &lt; cols, and 0 for rows ≤ r &lt; ldDst: a slice's
    /// [rows, cols] keys (or values) as a zero-padded [cols, ldDst] block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(T[] src, int offset, int rowStride, int rows, int cols, T[] dst, int ldDst) where T : unmanaged, INumberBase<T>
    {
        for (int c = 0; c < cols; c++)
        {
            var d = dst.AsSpan(c * ldDst, ldDst);
            for (int r = 0; r < rows; r++) d[r] = src[offset + r * rowStride + c];
            d[rows..].Clear();
        }
    }

    /// <summary>
    /// result[c] = Σᵣ w[r]·m[offset + r·stride + c] for c &lt; result.Length (overwriting result): a row vector times a
    /// matrix whose rows are <paramref name="stride"/> apart. Four vectors of columns at a time, so the multiply-add
    /// chains run side by side; each row of m must hold result.Length values from its start.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Combine<T>(ReadOnlySpan<T> w, T[] m, int offset, int stride, Span<T> result) where T : unmanaged, INumberBase<T>
    {
        int n = result.Length, rows = w.Length, vw = Vector256<T>.Count, c = 0;
        if (rows == 0) { result.Clear(); return; }
        if ((long)offset + (long)Math.Max(0, rows - 1) * stride + n > m.Length) throw new ArgumentOutOfRangeException(nameof(m));
        ref T rm = ref MemoryMarshal.GetArrayDataReference(m);
        ref T rr = ref MemoryMarshal.GetReference(result);
        ref T rw = ref MemoryMarshal.GetReference(w);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 4 * vw <= n; c += 4 * vw)
            {
                Vector256<T> a0 = Vector256<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
                nuint o = (nuint)(offset + c);
                for (int r = 0; r < rows; r++, o += (nuint)stride)
                {
                    var s = Vector256.Create(Unsafe.Add(ref rw, r));
                    a0 = Fma(s, Vector256.LoadUnsafe(ref rm, o), a0);
                    a1 = Fma(s, Vector256.LoadUnsafe(ref rm, o + (nuint)vw), a1);
                    a2 = Fma(s, Vector256.LoadUnsafe(ref rm, o + (nuint)(2 * vw)), a2);
                    a3 = Fma(s, Vector256.LoadUnsafe(ref rm, o + (nuint)(3 * vw)), a3);
                }
                a0.StoreUnsafe(ref rr, (nuint)c);
                a1.StoreUnsafe(ref rr, (nuint)(c + vw));
                a2.StoreUnsafe(ref rr, (nuint)(c + 2 * vw));
                a3.StoreUnsafe(ref rr, (nuint)(c + 3 * vw));
            }
            for (; c + vw <= n; c += vw)
            {
                var a = Vector256<T>.Zero;
                nuint o = (nuint)(offset + c);
                for (int r = 0; r < rows; r++, o += (nuint)stride) a = Fma(Vector256.Create(Unsafe.Add(ref rw, r)), Vector256.LoadUnsafe(ref rm, o), a);
                a.StoreUnsafe(ref rr, (nuint)c);
            }
        }
        for (; c < n; c++)
        {
            T a = T.Zero;
            for (int r = 0; r < rows; r++) a += w[r] * m[offset + r * stride + c];
            result[c] = a;
        }
    }

    /// <summary>
    /// x ← eˣ over a whole number of vectors, by the same vector routine whatever the length, so that a row's weights do
    /// not depend on how many keys it has (a causal row and the same row under an explicit mask agree bit for bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exp<T>(Span<T> x) where T : unmanaged, INumberBase<T>
    {
        int n = x.Length, vw = Vector256<T>.Count;
        if (n % vw != 0) throw new ArgumentException("attention: the row is not a whole number of vectors.", nameof(x));
        ref T rx = ref MemoryMarshal.GetReference(x);
        for (int e = 0; e < n; e += vw)
        {
            var v = Vector256.LoadUnsafe(ref rx, (nuint)e);
            (typeof(T) == typeof(float) ? Vector256.Exp(v.AsSingle()).As<float, T>() : Vector256.Exp(v.AsDouble()).As<double, T>()).StoreUnsafe(ref rx, (nuint)e);
        }
    }

    /// <summary>Σ x, added in order (as a scalar loop would), whatever the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, INumberBase<T>
    {
        T sum = T.Zero;
        foreach (var v in x) sum += v;
        return sum;
    }

    /// <summary>a·b + c, fused for float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}
