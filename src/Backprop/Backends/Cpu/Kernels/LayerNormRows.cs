using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// The row passes of <see cref="LayerNormKernels"/> in inline Vector256 lanes (sums accumulated per lane, then added):
/// rows are short (a model width of 64–1024), where a library call per pass costs as much as the pass itself.
/// </summary>
internal static class LayerNormRows
{
    /// <summary>Σ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, vw = Vector256<T>.Count, i = 0;
        ref T rx = ref MemoryMarshal.GetReference(x);
        Vector256<T> a0 = Vector256<T>.Zero, a1 = a0;
        for (; i + 2 * vw <= n; i += 2 * vw)
        {
            a0 += Vector256.LoadUnsafe(ref rx, (nuint)i);
            a1 += Vector256.LoadUnsafe(ref rx, (nuint)(i + vw));
        }
        for (; i + vw <= n; i += vw) a0 += Vector256.LoadUnsafe(ref rx, (nuint)i);
        T sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += x[i];
        return sum;
    }

    /// <summary>y = x − m; returns Σ (x − m)².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T CenterAndSquares<T>(ReadOnlySpan<T> x, T m, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, vw = Vector256<T>.Count, i = 0;
        if (y.Length < n) throw new ArgumentOutOfRangeException(nameof(y));
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        var mv = Vector256.Create(m);
        var acc = Vector256<T>.Zero;
        for (; i + vw <= n; i += vw)
        {
            var d = Vector256.LoadUnsafe(ref rx, (nuint)i) - mv;
            d.StoreUnsafe(ref ry, (nuint)i);
            acc += d * d;
        }
        T sum = Vector256.Sum(acc);
        for (; i < n; i++) { T d = x[i] - m; y[i] = d; sum += d * d; }
        return sum;
    }

    /// <summary>y = y·s (·w) (+ b); w and b may be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAffine<T>(Span<T> y, T s, ReadOnlySpan<T> w, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, vw = Vector256<T>.Count, i = 0;
        bool hasW = !w.IsEmpty, hasB = !b.IsEmpty;
        if ((hasW && w.Length < n) || (hasB && b.Length < n)) throw new ArgumentOutOfRangeException(nameof(w));
        ref T ry = ref MemoryMarshal.GetReference(y);
        ref T rw = ref MemoryMarshal.GetReference(w);
        ref T rb = ref MemoryMarshal.GetReference(b);
        var sv = Vector256.Create(s);
        for (; i + vw <= n; i += vw)
        {
            var v = Vector256.LoadUnsafe(ref ry, (nuint)i) * sv;
            if (hasW) v *= Vector256.LoadUnsafe(ref rw, (nuint)i);
            if (hasB) v += Vector256.LoadUnsafe(ref rb, (nuint)i);
            v.StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++)
        {
            T v = y[i] * s;
            if (hasW) v *= w[i];
            if (hasB) v += b[i];
            y[i] = v;
        }
    }

    /// <summary>x̂ = (x − mean)·rstd and ĝ = dy (·w); returns (Σ ĝ, Σ ĝ·x̂).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T SumG, T SumGx) NormalizedAndGradient<T>(ReadOnlySpan<T> x, T mean, T rstd, ReadOnlySpan<T> dy, ReadOnlySpan<T> w,
        Span<T> xhat, Span<T> ghat) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, vw = Vector256<T>.Count, i = 0;
        bool hasW = !w.IsEmpty;
        if (dy.Length < n || xhat.Length < n || ghat.Length < n || (hasW && w.Length < n)) throw new ArgumentOutOfRangeException(nameof(x));
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rd = ref MemoryMarshal.GetReference(dy);
        ref T rw = ref MemoryMarshal.GetReference(w);
        ref T rh = ref MemoryMarshal.GetReference(xhat);
        ref T rg = ref MemoryMarshal.GetReference(ghat);
        var (mv, sv) = (Vector256.Create(mean), Vector256.Create(rstd));
        Vector256<T> sg = Vector256<T>.Zero, sgx = sg;
        for (; i + vw <= n; i += vw)
        {
            var h = (Vector256.LoadUnsafe(ref rx, (nuint)i) - mv) * sv;
            var g = Vector256.LoadUnsafe(ref rd, (nuint)i);
            if (hasW) g *= Vector256.LoadUnsafe(ref rw, (nuint)i);
            h.StoreUnsafe(ref rh, (nuint)i);
            g.StoreUnsafe(ref rg, (nuint)i);
            sg += g;
            sgx += g * h;
        }
        T a = Vector256.Sum(sg), c = Vector256.Sum(sgx);
        for (; i < n; i++)
        {
            T h = (x[i] - mean) * rstd, g = hasW ? dy[i] * w[i] : dy[i];
            xhat[i] = h; ghat[i] = g;
            a += g; c += g * h;
        }
        return (a, c);
    }

    /// <summary>dx = (ĝ − x̂·c − a)·rstd; dw += dy·x̂ and db += dy when they are not empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputGradient<T>(ReadOnlySpan<T> xhat, ReadOnlySpan<T> ghat, T c, T a, T rstd, Span<T> dx, ReadOnlySpan<T> dy,
        Span<T> dw, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = xhat.Length, vw = Vector256<T>.Count, i = 0;
        bool hasW = !dw.IsEmpty, hasB = !db.IsEmpty;
        if (ghat.Length < n || dx.Length < n || dy.Length < n || (hasW && dw.Length < n) || (hasB && db.Length < n))
            throw new ArgumentOutOfRangeException(nameof(dx));
        ref T rh = ref MemoryMarshal.GetReference(xhat);
        ref T rg = ref MemoryMarshal.GetReference(ghat);
        ref T rx = ref MemoryMarshal.GetReference(dx);
        ref T rd = ref MemoryMarshal.GetReference(dy);
        ref T rw = ref MemoryMarshal.GetReference(dw);
        ref T rb = ref MemoryMarshal.GetReference(db);
        var (cv, av, sv) = (Vector256.Create(-c), Vector256.Create(a), Vector256.Create(rstd));
        for (; i + vw <= n; i += vw)
        {
            var h = Vector256.LoadUnsafe(ref rh, (nuint)i);
            ((h * cv + Vector256.LoadUnsafe(ref rg, (nuint)i) - av) * sv).StoreUnsafe(ref rx, (nuint)i);
            var d = Vector256.LoadUnsafe(ref rd, (nuint)i);
            if (hasW) (Vector256.LoadUnsafe(ref rw, (nuint)i) + d * h).StoreUnsafe(ref rw, (nuint)i);
            if (hasB) (Vector256.LoadUnsafe(ref rb, (nuint)i) + d).StoreUnsafe(ref rb, (nuint)i);
        }
        for (; i < n; i++)
        {
            dx[i] = (xhat[i] * -c + ghat[i] - a) * rstd;
            if (hasW) dw[i] += dy[i] * xhat[i];
            if (hasB) db[i] += dy[i];
        }
    }
}
