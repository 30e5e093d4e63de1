namespace Backprop.Kernels;

// Elementwise maps added for issue #11. Each is computed in double and rounded once to the element type, so Float32
// results are the correctly rounded value of the double result (as PyTorch's float kernels nearly always are).

/// <summary>log(1 + x), accurate for tiny x (<c>torch.log1p</c>); .NET's LogP1 is log(x + 1), which is not.</summary>
internal readonly struct Log1pOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.CreateChecked(Log1p(double.CreateChecked(x[i])));
    }

    /// <summary>Goldberg's trick: log(u)·x/(u − 1) with u = 1 + x cancels the rounding error of u.</summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsInfinity(u) || u <= 0) return Math.Log(u);
        return Math.Log(u) * (x / (u - 1));
    }
}

/// <summary>eˣ − 1, accurate for tiny x (<c>torch.expm1</c>).</summary>
internal readonly struct Expm1Op : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.CreateChecked(Expm1(double.CreateChecked(x[i])));
    }

    /// <summary>Kahan's trick: (u − 1)·x/log(u) with u = eˣ.</summary>
    public static double Expm1(double x)
    {
        if (Math.Abs(x) >= 0.5 || double.IsNaN(x)) return Math.Exp(x) - 1;
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        return um1 * (x / Math.Log(u));
    }
}

internal readonly struct SinOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.CreateChecked(Math.Sin(double.CreateChecked(x[i])));
    }
}

internal readonly struct CosOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.CreateChecked(Math.Cos(double.CreateChecked(x[i])));
    }
}

internal readonly struct FloorOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.Floor(x[i]);
    }
}

internal readonly struct CeilOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.Ceiling(x[i]);
    }
}

/// <summary>Rounds half to even, as <c>torch.round</c> (std::nearbyint) does.</summary>
internal readonly struct RoundOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.Round(x[i], MidpointRounding.ToEven);
    }
}

internal readonly struct ReciprocalOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.One / x[i];
    }
}

/// <summary>1/√x as PyTorch computes it (a true division, no hardware estimate).</summary>
internal readonly struct RsqrtOp : IUnaryOp
{
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = T.One / T.Sqrt(x[i]);
    }
}

/// <summary>xʸ elementwise with broadcasting (<c>torch.pow(tensor, tensor)</c>); integers are raised exactly.</summary>
internal readonly struct PowOp : IBinaryOp<PowOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(long))
        {
            long b = long.CreateTruncating(x), e = long.CreateTruncating(y), r = 1;
            if (e < 0) return T.CreateTruncating(b == 1 ? 1 : b == -1 ? (e % 2 == 0 ? 1 : -1) : 0);
            for (; e > 0; e >>= 1, b *= b) if ((e & 1) != 0) r *= b;
            return T.CreateTruncating(r);
        }
        if (typeof(T) == typeof(float)) return T.CreateTruncating(MathF.Pow(float.CreateTruncating(x), float.CreateTruncating(y)));
        return T.CreateTruncating(Math.Pow(double.CreateTruncating(x), double.CreateTruncating(y)));
    }
}
