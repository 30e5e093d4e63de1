using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private const int Chunk = 256;

    /// <summary>y = x·Φ(x) for Float32, vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ExactForward(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> erf = stackalloc float[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var xs = x.Slice(start, n);
            Erf(xs, erf[..n]);
            var ys = y.Slice(start, n);
            for (int i = 0; i < n; i++) ys[i] = xs[i] * 0.5f * (1f + erf[i]);
        }
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

    private static void ExactBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        Span<float> erf = stackalloc float[Chunk];
        Span<float> pdf = stackalloc float[Chunk];
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var xs = x.Slice(start, n);
            Erf(xs, erf[..n]);
            TensorPrimitives.Multiply(xs, xs, pdf[..n]);
            TensorPrimitives.Multiply(pdf[..n], -0.5f, pdf[..n]);
            TensorPrimitives.Exp(pdf[..n], pdf[..n]);
            var gs = g.Slice(start, n);
            var ds = d.Slice(start, n);
            for (int i = 0; i < n; i++) ds[i] = gs[i] * (0.5f * (1f + erf[i]) + xs[i] * pdf[i] * (float)InvSqrt2Pi);
        }
    }

    /// <summary>erf(x/√2) for up to <see cref="Chunk"/> values (Abramowitz–Stegun 7.1.26, as ATen's float vectors).</summary>
    private static void Erf(ReadOnlySpan<float> x, Span<float> result)
    {
        int n = x.Length;
        Span<float> e = stackalloc float[Chunk];
        var es = e[..n];
        TensorPrimitives.Multiply(x, (float)Sqrt1Over2, result); // u
        TensorPrimitives.Multiply(result, result, es);
        TensorPrimitives.Negate(es, es);
        TensorPrimitives.Exp(es, es); // e^(−u²)
        for (int i = 0; i < n; i++)
        {
            float u = result[i], a = MathF.Abs(u);
            float t = 1f / MathF.FusedMultiplyAdd(0.3275911f, a, 1f);
            float r = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(1.061405429f, t, -1.453152027f), t, 1.421413741f), t, -0.284496736f), t, 0.254829592f);
            float v = MathF.FusedMultiplyAdd(-t * es[i], r, 1f);
            result[i] = u < 0 ? -v : v;
        }
    }
}
