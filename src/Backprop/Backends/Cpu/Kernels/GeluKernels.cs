using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// GELU forward and first-order backward in one pass each. Float32 exact GELU uses the error function PyTorch's CPU
/// kernels use for float vectors (ATen's <c>Vectorized&lt;float&gt;::erf</c>: Abramowitz–Stegun 7.1.26,
/// erf(u) = sign(u)·(1 − t·r(t)·e^(−u²)), t = 1/(1 + 0.3275911·|u|), absolute error below 1.5e-7); Float64 keeps the
/// double-precision series of <see cref="SpecialFunctions.Erf"/>.
/// </summary>
internal static class GeluKernels
{
    private const double Sqrt1Over2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794, TanhK = 0.7978845608028654;

    /// <summary>y = x·Φ(x) for Float32, vectorised (Vector512 where the hardware has it, else Vector256).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ExactForward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (Vector512.IsHardwareAccelerated) Map<F512, Vector512<float>>(x, default, y, false);
        else Map<F256, Vector256<float>>(x, default, y, false);
    }

    /// <summary>d = g·(Φ(x) + x·φ(x)) (exact) or the derivative of the tanh approximation, from the input x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> d, bool tanh) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && !tanh)
        {
            ExactBackward(MemoryMarshal.Cast<T, float>(g), MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
            return;
        }
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateChecked(x[i]), r;
            if (tanh)
            {
                double t = Math.Tanh(TanhK * (v + 0.044715 * v * v * v));
                r = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * TanhK * (1 + 3 * 0.044715 * v * v);
            }
            else r = 0.5 * (1 + SpecialFunctions.Erf(v * Sqrt1Over2)) + v * Math.Exp(-0.5 * v * v) * InvSqrt2Pi;
            d[i] = g[i] * T.CreateChecked(r);
        }
    }

    /// <summary>d = g·(Φ(x) + x·φ(x)) for Float32, vectorised as <see cref="ExactForward"/>.</summary>
    private static void ExactBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        if (Vector512.IsHardwareAccelerated) Map<F512, Vector512<float>>(x, g, d, true);
        else Map<F256, Vector256<float>>(x, g, d, true);
    }

    /// <summary>
    /// The forward (<paramref name="backward"/> false: y = x·Φ(x)) or backward (d = g·(Φ(x) + x·φ(x))) over whole
    /// vectors; the last partial vector runs through a zero-padded copy, so every element takes the same vector path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOps, TVec>(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d, bool backward)
        where TOps : struct, IFloatVec<TVec> where TVec : struct
    {
        int n = x.Length, w = TOps.Count, full = n - n % w;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        for (int i = 0; i < full; i += w)
        {
            var xv = TOps.Load(ref rx, (nuint)i);
            TOps.Store(backward ? Backward<TOps, TVec>(xv, TOps.Load(ref rg, (nuint)i)) : Forward<TOps, TVec>(xv), ref rd, (nuint)i);
        }
        if (full == n) return;
        Span<float> tail = stackalloc float[3 * 16];
        tail.Clear();
        x[full..].CopyTo(tail);
        if (backward) g[full..].CopyTo(tail[16..]);
        var rt = TOps.Load(ref tail[0], 0);
        TOps.Store(backward ? Backward<TOps, TVec>(rt, TOps.Load(ref tail[16], 0)) : Forward<TOps, TVec>(rt), ref tail[32], 0);
        tail.Slice(32, n - full).CopyTo(d[full..]);
    }

    /// <summary>x·0.5·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Forward<TOps, TVec>(TVec x) where TOps : struct, IFloatVec<TVec> where TVec : struct =>
        TOps.Mul(TOps.Mul(x, TOps.Splat(0.5f)), TOps.Add(TOps.Splat(1f), Erf<TOps, TVec>(x)));

    /// <summary>g·(0.5·(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Backward<TOps, TVec>(TVec x, TVec g) where TOps : struct, IFloatVec<TVec> where TVec : struct
    {
        var cdf = TOps.Mul(TOps.Splat(0.5f), TOps.Add(TOps.Splat(1f), Erf<TOps, TVec>(x)));
        var pdf = FloatVectorMath.Exp<TOps, TVec>(TOps.Mul(TOps.Mul(x, x), TOps.Splat(-0.5f)));
        return TOps.Mul(g, TOps.Add(cdf, TOps.Mul(TOps.Mul(x, pdf), TOps.Splat((float)InvSqrt2Pi))));
    }

    /// <summary>
    /// erf(x/√2) by Abramowitz–Stegun 7.1.26 as ATen's float vectors: t = 1/(1 + 0.3275911·|u|),
    /// erf = sign(u)·(1 − t·e^(−u²)·r(t)), evaluated in the same order as ATen.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Erf<TOps, TVec>(TVec x) where TOps : struct, IFloatVec<TVec> where TVec : struct
    {
        var u = TOps.Mul(x, TOps.Splat((float)Sqrt1Over2));
        var one = TOps.Splat(1f);
        var t = TOps.Div(one, TOps.Fma(TOps.Splat(0.3275911f), TOps.Abs(u), one));
        var r = TOps.Fma(TOps.Fma(TOps.Fma(TOps.Fma(TOps.Splat(1.061405429f), t, TOps.Splat(-1.453152027f)), t, TOps.Splat(1.421413741f)), t,
            TOps.Splat(-0.284496736f)), t, TOps.Splat(0.254829592f));
        var v = TOps.Fma(TOps.Mul(TOps.Negate(t), FloatVectorMath.Exp<TOps, TVec>(TOps.Negate(TOps.Mul(u, u)))), r, one);
        return TOps.SelectLess(u, TOps.Splat(0f), TOps.Negate(v), v);
    }
}
