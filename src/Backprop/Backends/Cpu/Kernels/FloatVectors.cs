using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// The few Float32 vector operations the elementwise kernels (GELU, attention rows) need, as static members of a
/// struct type, so that one generic formula compiles into a separate, fully inlined body per vector width.
/// </summary>
internal interface IFloatVec<TVec> where TVec : struct
{
    static abstract int Count { get; }
    static abstract TVec Load(ref float p, nuint i);
    static abstract void Store(TVec v, ref float p, nuint i);
    static abstract TVec Splat(float x);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Mul(TVec a, TVec b);
    static abstract TVec Div(TVec a, TVec b);
    /// <summary>a·b + c, fused.</summary>
    static abstract TVec Fma(TVec a, TVec b, TVec c);
    static abstract TVec Abs(TVec a);
    static abstract TVec Negate(TVec a);
    static abstract TVec Min(TVec a, TVec b);
    static abstract TVec Max(TVec a, TVec b);
    /// <summary>Rounded to the nearest integer (ties to even).</summary>
    static abstract TVec Round(TVec a);
    /// <summary>2ⁿ for whole n in [−126, 127].</summary>
    static abstract TVec Pow2(TVec n);
    /// <summary>whenLess where a &lt; b, else otherwise.</summary>
    static abstract TVec SelectLess(TVec a, TVec b, TVec whenLess, TVec otherwise);
    /// <summary>x where x is NaN, else value.</summary>
    static abstract TVec NaNOr(TVec x, TVec value);
}

/// <summary>Float32 vector functions on <see cref="IFloatVec{TVec}"/>, inlined into the calling kernel.</summary>
internal static class FloatVectorMath
{
    /// <summary>
    /// eˣ: x = n·ln 2 + r (ln 2 in two parts, |r| ≤ ln 2 / 2), e^r by Cephes' <c>expf</c> polynomial, times 2ⁿ; about one
    /// unit in the last place. Below −86.5 the result is 0 (true values there are under 2.5e−38), above ln(FLT_MAX) +∞,
    /// and NaN stays NaN. Written out here, not taken from <c>Vector512.Exp</c>, so that the kernels calling it run
    /// optimised from their first call instead of calling a runtime method that tiered compilation promotes late.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Exp<TOps, TVec>(TVec x) where TOps : struct, IFloatVec<TVec> where TVec : struct
    {
        const float Low = -86.5f, High = 88.72283f;
        var xc = TOps.Min(TOps.Max(x, TOps.Splat(Low)), TOps.Splat(High));
        var n = TOps.Round(TOps.Mul(xc, TOps.Splat(1.44269504088896341f)));
        var r = TOps.Fma(n, TOps.Splat(-0.693359375f), xc);
        r = TOps.Fma(n, TOps.Splat(2.12194440e-4f), r);
        var p = TOps.Fma(TOps.Fma(TOps.Fma(TOps.Fma(TOps.Fma(TOps.Splat(1.9875691500e-4f), r, TOps.Splat(1.3981999507e-3f)), r,
            TOps.Splat(8.3334519073e-3f)), r, TOps.Splat(4.1665795894e-2f)), r, TOps.Splat(1.6666665459e-1f)), r, TOps.Splat(5.0000001201e-1f));
        var y = TOps.Add(TOps.Fma(p, TOps.Mul(r, r), r), TOps.Splat(1f));
        // 2ⁿ as 2ⁿ⁻¹·2, so that n = 128 (x near ln(FLT_MAX)) stays a normal power of two
        var result = TOps.Mul(TOps.Mul(y, TOps.Pow2(TOps.Add(n, TOps.Splat(-1f)))), TOps.Splat(2f));
        result = TOps.SelectLess(x, TOps.Splat(Low), TOps.Splat(0f), result);
        return TOps.NaNOr(x, TOps.SelectLess(TOps.Splat(High), x, TOps.Splat(float.PositiveInfinity), result));
    }
}

internal readonly struct F512 : IFloatVec<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ref float p, nuint i) => Vector512.LoadUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> v, ref float p, nuint i) => v.StoreUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Negate(Vector512<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Pow2(Vector512<float> n) => Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SelectLess(Vector512<float> a, Vector512<float> b, Vector512<float> whenLess, Vector512<float> otherwise) => Vector512.ConditionalSelect(Vector512.LessThan(a, b), whenLess, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> NaNOr(Vector512<float> x, Vector512<float> value) => Vector512.ConditionalSelect(Vector512.Equals(x, x), value, x);
}

internal readonly struct F256 : IFloatVec<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ref float p, nuint i) => Vector256.LoadUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> v, ref float p, nuint i) => v.StoreUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Negate(Vector256<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Pow2(Vector256<float> n) => Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SelectLess(Vector256<float> a, Vector256<float> b, Vector256<float> whenLess, Vector256<float> otherwise) => Vector256.ConditionalSelect(Vector256.LessThan(a, b), whenLess, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> NaNOr(Vector256<float> x, Vector256<float> value) => Vector256.ConditionalSelect(Vector256.Equals(x, x), value, x);
}
