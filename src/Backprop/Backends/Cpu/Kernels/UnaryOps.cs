using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>An elementwise floating-point map over a contiguous span. Instances carry parameters (slope, bounds).</summary>
internal interface IUnaryOp
{
    void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct NegOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, d);
}

internal readonly struct ExpOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, d);
}

internal readonly struct LogOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, d);
}

internal readonly struct SqrtOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, d);
}

internal readonly struct AbsOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, d);
}

internal readonly struct SignOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.IsNaN(x[i]) ? x[i] : x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
    }
}

internal readonly struct SigmoidOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, d);
}

internal readonly struct TanhOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, d);
}

internal readonly struct ReluOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
}

internal readonly struct LeakyReluOp(double slope) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = T.CreateChecked(slope);
        for (int i = 0; i < x.Length; i++) d[i] = x[i] > T.Zero ? x[i] : x[i] * s;
    }
}

internal readonly struct PowScalarOp(double exponent) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (exponent == 2) TensorPrimitives.Multiply(x, x, d);
        else TensorPrimitives.Pow(x, T.CreateChecked(exponent), d);
    }
}

internal readonly struct ClampOp(double min, double max) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lo = T.CreateChecked(min), hi = T.CreateChecked(max);
        for (int i = 0; i < x.Length; i++) d[i] = T.IsNaN(x[i]) ? x[i] : x[i] < lo ? lo : x[i] > hi ? hi : x[i];
    }
}

/// <summary>GELU, exact (x·Φ(x)) or with PyTorch's tanh approximation; exact Float32 goes through <see cref="GeluKernels"/> (ATen's float erf).</summary>
internal readonly struct GeluOp(bool tanhApproximation) : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && !tanhApproximation)
        {
            GeluKernels.ExactForward(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(d));
            return;
        }
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateChecked(x[i]);
            double r = tanhApproximation
                ? 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
                : 0.5 * v * (1 + SpecialFunctions.Erf(v / Math.Sqrt(2)));
            d[i] = T.CreateChecked(r);
        }
    }
}

internal readonly struct ErfOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.CreateChecked(SpecialFunctions.Erf(double.CreateChecked(x[i])));
    }
}

/// <summary>Special functions .NET's Math lacks.</summary>
internal static class SpecialFunctions
{
    /// <summary>
    /// The error function to double precision: erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1)/(1·3···(2n+1)), a series of
    /// positive terms (no cancellation); erf(x) = ±1 to double precision beyond |x| = 6.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        double term = ax, sum = ax, x2 = ax * ax;
        for (int n = 1; n < 500; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        return x < 0 ? -r : r;
    }
}
