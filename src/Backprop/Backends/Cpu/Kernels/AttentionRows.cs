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

    /// <summary>x ← x·s over a row of any length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale<T>(Span<T> x, T s) where T : unmanaged, INumberBase<T>
    {
        int n = x.Length, vw = Vector256<T>.Count, e = 0;
        ref T rx = ref MemoryMarshal.GetReference(x);
        var sv = Vector256.Create(s);
        for (; e + vw <= n; e += vw) (Vector256.LoadUnsafe(ref rx, (nuint)e) * sv).StoreUnsafe(ref rx, (nuint)e);
        for (; e < n; e++) x[e] *= s;
    }

    /// <summary>a·b over a row of any length (vector lanes, then their sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, INumberBase<T>
    {
        int n = a.Length, vw = Vector256<T>.Count, e = 0;
        if (b.Length < n) throw new ArgumentOutOfRangeException(nameof(b));
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<T>.Zero;
        for (; e + vw <= n; e += vw) acc = Fma(Vector256.LoadUnsafe(ref ra, (nuint)e), Vector256.LoadUnsafe(ref rb, (nuint)e), acc);
        T sum = Vector256.Sum(acc);
        for (; e < n; e++) sum += a[e] * b[e];
        return sum;
    }

    /// <summary>The largest of x[0..end) (−∞ when end is 0), x being a whole number of vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(ReadOnlySpan<T> x, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vw = Vector256<T>.Count;
        ref T rx = ref MemoryMarshal.GetReference(x);
        var lowest = Vector256.Create(T.NegativeInfinity);
        var acc = lowest;
        for (int e = 0; e < end; e += vw)
        {
            var v = Vector256.LoadUnsafe(ref rx, (nuint)e);
            if (end - e < vw) v = Vector256.ConditionalSelect(Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(end - e))), v, lowest);
            acc = Vector256.Max(acc, v);
        }
        T max = T.NegativeInfinity;
        for (int l = 0; l < vw; l++) max = T.Max(max, acc.GetElement(l));
        return max;
    }

    /// <summary>
    /// x[j] ← e^(x[j] − shift) for j &lt; end and 0 for end ≤ j &lt; x.Length (a whole number of vectors); returns the sum
    /// of the row, accumulated per lane. Keys past <paramref name="end"/> and keys a mask hides (e^(−∞) = 0) add the
    /// same zeros, so a causal row and the same row under an explicit causal mask agree bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ExpSum<T>(Span<T> x, int end, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, vw = Vector256<T>.Count;
        if (n % vw != 0 || end > n) throw new ArgumentException("attention: the row is not a whole number of vectors.", nameof(x));
        ref T rx = ref MemoryMarshal.GetReference(x);
        var sv = Vector256.Create(shift);
        var acc = Vector256<T>.Zero;
        for (int e = 0; e < n; e += vw)
        {
            var v = Exp(Vector256.LoadUnsafe(ref rx, (nuint)e) - sv);
            if (end - e < vw) v = Vector256.ConditionalSelect(Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(end - e))), v, Vector256<T>.Zero);
            acc += v;
            v.StoreUnsafe(ref rx, (nuint)e);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>ds ← p·(dp − delta)·scale, and 0 where p is 0 (a whole number of vectors; dp is overwritten).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScoreGradient<T>(ReadOnlySpan<T> p, Span<T> dp, T delta, T scale) where T : unmanaged, INumberBase<T>
    {
        int n = dp.Length, vw = Vector256<T>.Count;
        if (n % vw != 0 || p.Length < n) throw new ArgumentException("attention: the row is not a whole number of vectors.", nameof(dp));
        ref T rp = ref MemoryMarshal.GetReference(p);
        ref T rd = ref MemoryMarshal.GetReference(dp);
        var (dv, sv) = (Vector256.Create(delta), Vector256.Create(scale));
        for (int e = 0; e < n; e += vw)
        {
            var pv = Vector256.LoadUnsafe(ref rp, (nuint)e);
            var ds = pv * (Vector256.LoadUnsafe(ref rd, (nuint)e) - dv) * sv;
            Vector256.ConditionalSelect(Vector256.Equals(pv, Vector256<T>.Zero), Vector256<T>.Zero, ds).StoreUnsafe(ref rd, (nuint)e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Exp<T>(Vector256<T> v) where T : unmanaged =>
        typeof(T) == typeof(float) ? FloatVectorMath.Exp<F256, Vector256<float>>(v.AsSingle()).As<float, T>() : Vector256.Exp(v.AsDouble()).As<double, T>();

    /// <summary>a·b + c, fused for float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}
