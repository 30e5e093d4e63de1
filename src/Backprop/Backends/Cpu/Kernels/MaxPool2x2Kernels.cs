using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>
/// The common max-pool window — 2×2, stride 2, no padding, width exactly twice the output width — without stored
/// indices: the forward writes only the maxima, and the backward recomputes each window's winner from the input and
/// the maximum. The winner is PyTorch's: scanning (0,0), (0,1), (1,0), (1,1), a later value wins when it is greater or
/// NaN, so it is the first maximum, or the last NaN. With <c>relu</c> the pair also applies a ReLU to the maxima (the
/// same numbers as pooling a ReLU's output: max commutes with it), and the backward passes no gradient through windows
/// whose ReLU'd maximum is not positive. Float32 rows of 8 or more windows run in AVX2 vectors of 8 (SSE
/// without AVX2), rows of 4–7 windows in SSE vectors of 4 (a row's last block overlaps the one before it); everything
/// else runs the scalar loop with the same rule.
/// </summary>
internal static class MaxPool2x2Kernels
{
    /// <summary>Whether Float32 uses the vector rows (tests turn it off to check the scalar loop; both give the same numbers).</summary>
    internal static bool Vectorized = Sse.IsSupported;

    /// <summary>True when <paramref name="g"/> is the window these kernels handle.</summary>
    public static bool Fits(in WindowGeometry g) => g.Tiles2x2;

    /// <summary>values[p, oy, ox] = max of the window at (2·oy, 2·ox) of plane p (then ReLU'd with <paramref name="relu"/>), for planes [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, in WindowGeometry g, Span<T> values, int first, int end, bool relu = false)
        where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        int w = g.Width, ow = g.OutW, plane = g.Height * w;
        for (int p = first; p < end; p++)
            for (int oy = 0; oy < g.OutH; oy++)
            {
                var rows = x.Slice(p * plane + 2 * oy * w, 2 * w);
                var dst = values.Slice((p * g.OutH + oy) * ow, ow);
                int done = typeof(T) == typeof(float) && Vectorized && ow >= 4
                    ? ow >= 8 && Avx2.IsSupported ? ForwardRowAvx2(Cast<T, float>(rows), Cast<T, float>(dst), w, relu) : ForwardRowSse(Cast<T, float>(rows), Cast<T, float>(dst), w, relu)
                    : 0;
                for (int ox = done; ox < ow; ox++)
                {
                    int c = 2 * ox;
                    var m = Pick(Pick(rows[c], rows[c + 1]), Pick(rows[w + c], rows[w + c + 1]));
                    dst[ox] = relu && !(m > T.Zero) && !T.IsNaN(m) ? T.Zero : m;
                }
            }
    }

    /// <summary>
    /// dx of planes [first, end): each window's winner gets <paramref name="grad"/>, its other three elements 0, and rows
    /// below the last window (odd heights) 0. <paramref name="values"/> are the forward's maxima (ReLU'd with
    /// <paramref name="relu"/>: then windows whose value is not positive get 0 throughout).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> values, ReadOnlySpan<T> grad, in WindowGeometry g, Span<T> dx, int first, int end, bool relu = false)
        where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        int w = g.Width, ow = g.OutW, plane = g.Height * w;
        for (int p = first; p < end; p++)
        {
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int top = p * plane + 2 * oy * w, o = (p * g.OutH + oy) * ow;
                var rows = x.Slice(top, 2 * w);
                var d = dx.Slice(top, 2 * w);
                var y = values.Slice(o, ow);
                var gr = grad.Slice(o, ow);
                int done = typeof(T) == typeof(float) && Vectorized && ow >= 4
                    ? ow >= 8 && Avx2.IsSupported ? BackwardRowAvx2(Cast<T, float>(rows), Cast<T, float>(y), Cast<T, float>(gr), Cast<T, float>(d), w, relu)
                        : BackwardRowSse(Cast<T, float>(rows), Cast<T, float>(y), Cast<T, float>(gr), Cast<T, float>(d), w, relu)
                    : 0;
                for (int ox = done; ox < ow; ox++) BackwardWindow(rows, y[ox], gr[ox], d, 2 * ox, w, relu);
            }
            dx.Slice(p * plane + 2 * g.OutH * w, (g.Height - 2 * g.OutH) * w).Clear();
        }
    }

    /// <summary>PyTorch's step: <paramref name="next"/> replaces <paramref name="best"/> when greater or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Pick<T>(T best, T next) where T : IFloatingPointIeee754<T> => next > best || T.IsNaN(next) ? next : best;

    /// <summary>
    /// Scatters one window's gradient to its winner (first equal to the maximum, or the last NaN); with
    /// <paramref name="relu"/> a window whose (ReLU'd) maximum is not positive gets none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardWindow<T>(ReadOnlySpan<T> rows, T y, T grad, Span<T> d, int c, int w, bool relu) where T : IFloatingPointIeee754<T>
    {
        int at;
        if (relu && !(y > T.Zero))
            at = -1;
        else if (T.IsNaN(y))
            at = T.IsNaN(rows[w + c + 1]) ? 3 : T.IsNaN(rows[w + c]) ? 2 : T.IsNaN(rows[c + 1]) ? 1 : 0;
        else
            at = rows[c] == y ? 0 : rows[c + 1] == y ? 1 : rows[w + c] == y ? 2 : 3;
        d[c] = at == 0 ? grad : T.Zero;
        d[c + 1] = at == 1 ? grad : T.Zero;
        d[w + c] = at == 2 ? grad : T.Zero;
        d[w + c + 1] = at == 3 ? grad : T.Zero;
    }

    /// <summary>
    /// Eight windows at a time of the row pair <paramref name="rows"/> (two rows of width <paramref name="w"/>); the last
    /// block overlaps the one before it when the row's window count is not a multiple of 8 (it rewrites equal values).
    /// Returns the number of windows done (all of them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ForwardRowAvx2(ReadOnlySpan<float> rows, Span<float> dst, int w, bool relu)
    {
        int ow = dst.Length;
        ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
        ref float o = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        for (int ox = 0; ; ox += 8)
        {
            if (ox > ow - 8) ox = ow - 8;
            var (a, b) = Deinterleave(ref Unsafe.Add(ref r, 2 * ox));
            var (c, d) = Deinterleave(ref Unsafe.Add(ref r, w + 2 * ox));
            var m = Pick(Pick(a, b), Pick(c, d));
            if (relu) m &= Vector256.GreaterThan(m, Vector256<float>.Zero) | ~Vector256.Equals(m, m); // NaN stays
            Vector256.StoreUnsafe(m, ref Unsafe.Add(ref o, ox));
            if (ox == ow - 8) return ow;
        }
    }

    /// <summary>The backward of <see cref="ForwardRowAvx2"/>: windows with a NaN maximum go to the scalar rule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int BackwardRowAvx2(ReadOnlySpan<float> rows, ReadOnlySpan<float> y, ReadOnlySpan<float> grad, Span<float> d, int w, bool relu)
    {
        int ow = y.Length;
        ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
        ref float dd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(d);
        for (int ox = 0; ; ox += 8)
        {
            if (ox > ow - 8) ox = ow - 8;
            var m = Vector256.Create(y.Slice(ox, 8));
            if (Vector256.EqualsAll(m, m))
            {
                var gv = Vector256.Create(grad.Slice(ox, 8));
                if (relu) gv &= Vector256.GreaterThan(m, Vector256<float>.Zero);
                var (a, b) = Deinterleave(ref Unsafe.Add(ref r, 2 * ox));
                var (c, dv) = Deinterleave(ref Unsafe.Add(ref r, w + 2 * ox));
                var takeA = Vector256.Equals(a, m);
                var taken = takeA;
                var takeB = Vector256.AndNot(Vector256.Equals(b, m), taken);
                taken |= takeB;
                var takeC = Vector256.AndNot(Vector256.Equals(c, m), taken);
                var takeD = ~(taken | takeC);
                Interleave(gv & takeA, gv & takeB, ref Unsafe.Add(ref dd, 2 * ox));
                Interleave(gv & takeC, gv & takeD, ref Unsafe.Add(ref dd, w + 2 * ox));
            }
            else
                for (int i = ox; i < ox + 8; i++) BackwardWindow(rows, y[i], grad[i], d, 2 * i, w, relu);
            if (ox == ow - 8) return ow;
        }
    }

    /// <summary><see cref="ForwardRowAvx2"/> four windows at a time, for rows of 4 to 7 windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ForwardRowSse(ReadOnlySpan<float> rows, Span<float> dst, int w, bool relu)
    {
        int ow = dst.Length;
        ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
        ref float o = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        for (int ox = 0; ; ox += 4)
        {
            if (ox > ow - 4) ox = ow - 4;
            var (a, b) = Deinterleave128(ref Unsafe.Add(ref r, 2 * ox));
            var (c, d) = Deinterleave128(ref Unsafe.Add(ref r, w + 2 * ox));
            var m = Pick(Pick(a, b), Pick(c, d));
            if (relu) m &= Vector128.GreaterThan(m, Vector128<float>.Zero) | ~Vector128.Equals(m, m);
            Vector128.StoreUnsafe(m, ref Unsafe.Add(ref o, ox));
            if (ox == ow - 4) return ow;
        }
    }

    /// <summary><see cref="BackwardRowAvx2"/> four windows at a time, for rows of 4 to 7 windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int BackwardRowSse(ReadOnlySpan<float> rows, ReadOnlySpan<float> y, ReadOnlySpan<float> grad, Span<float> d, int w, bool relu)
    {
        int ow = y.Length;
        ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
        ref float dd = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(d);
        for (int ox = 0; ; ox += 4)
        {
            if (ox > ow - 4) ox = ow - 4;
            var m = Vector128.Create(y.Slice(ox, 4));
            if (Vector128.EqualsAll(m, m))
            {
                var gv = Vector128.Create(grad.Slice(ox, 4));
                if (relu) gv &= Vector128.GreaterThan(m, Vector128<float>.Zero);
                var (a, b) = Deinterleave128(ref Unsafe.Add(ref r, 2 * ox));
                var (c, dv) = Deinterleave128(ref Unsafe.Add(ref r, w + 2 * ox));
                var takeA = Vector128.Equals(a, m);
                var taken = takeA;
                var takeB = Vector128.AndNot(Vector128.Equals(b, m), taken);
                taken |= takeB;
                var takeC = Vector128.AndNot(Vector128.Equals(c, m), taken);
                var takeD = ~(taken | takeC);
                Interleave128(gv & takeA, gv & takeB, ref Unsafe.Add(ref dd, 2 * ox));
                Interleave128(gv & takeC, gv & takeD, ref Unsafe.Add(ref dd, w + 2 * ox));
            }
            else
                for (int i = ox; i < ox + 4; i++) BackwardWindow(rows, y[i], grad[i], d, 2 * i, w, relu);
            if (ox == ow - 4) return ow;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Pick(Vector128<float> best, Vector128<float> next) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(next, best) | ~Vector128.Equals(next, next), next, best);

    /// <summary>Eight floats as their even and odd elements, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Even, Vector128<float> Odd) Deinterleave128(ref float at)
    {
        var lo = Vector128.LoadUnsafe(ref at);
        var hi = Vector128.LoadUnsafe(ref Unsafe.Add(ref at, 4));
        return (Sse.Shuffle(lo, hi, 0b10_00_10_00), Sse.Shuffle(lo, hi, 0b11_01_11_01));
    }

    /// <summary>Stores even₀ odd₀ even₁ odd₁ … (eight floats) at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave128(Vector128<float> even, Vector128<float> odd, ref float at)
    {
        Vector128.StoreUnsafe(Sse.UnpackLow(even, odd), ref at);
        Vector128.StoreUnsafe(Sse.UnpackHigh(even, odd), ref Unsafe.Add(ref at, 4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pick(Vector256<float> best, Vector256<float> next) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(next, best) | ~Vector256.Equals(next, next), next, best);

    /// <summary>Sixteen floats as their even (first of each pair) and odd elements, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(ref float at)
    {
        var lo = Vector256.LoadUnsafe(ref at);
        var hi = Vector256.LoadUnsafe(ref Unsafe.Add(ref at, 8));
        var even = Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble();
        var odd = Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble();
        return (Avx2.Permute4x64(even, 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd, 0b11_01_10_00).AsSingle());
    }

    /// <summary>Stores even₀ odd₀ even₁ odd₁ … (sixteen floats) at <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<float> even, Vector256<float> odd, ref float at)
    {
        var lo = Avx.UnpackLow(even, odd);
        var hi = Avx.UnpackHigh(even, odd);
        Vector256.StoreUnsafe(Avx.Permute2x128(lo, hi, 0x20), ref at);
        Vector256.StoreUnsafe(Avx.Permute2x128(lo, hi, 0x31), ref Unsafe.Add(ref at, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> s) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(s);
}
