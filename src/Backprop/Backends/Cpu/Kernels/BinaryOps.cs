using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>An elementwise binary operation: a scalar rule plus vectorized span forms (TensorPrimitives where it has one).</summary>
internal interface IBinaryOp<TSelf> where TSelf : IBinaryOp<TSelf>
{
    static abstract T Apply<T>(T x, T y) where T : unmanaged, INumber<T>;

    static virtual void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y[i]);
    }

    static virtual void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y);
    }

    static virtual void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x, y[i]);
    }
}

internal readonly struct AddOp : IBinaryOp<AddOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x + y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(y, x, d);
}

internal readonly struct SubOp : IBinaryOp<SubOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
}

internal readonly struct MulOp : IBinaryOp<MulOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x * y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(y, x, d);
}

internal readonly struct DivOp : IBinaryOp<DivOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x / y;
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
}

/// <summary>torch.maximum: NaN propagates.</summary>
internal readonly struct MaxOp : IBinaryOp<MaxOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => T.IsNaN(x) || T.IsNaN(y) ? x + y : (x > y ? x : y);
}

/// <summary>torch.minimum: NaN propagates.</summary>
internal readonly struct MinOp : IBinaryOp<MinOp>
{
    public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => T.IsNaN(x) || T.IsNaN(y) ? x + y : (x < y ? x : y);
}

internal readonly struct EqOp : IBinaryOp<EqOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x == y ? T.One : T.Zero; }
internal readonly struct NeOp : IBinaryOp<NeOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x != y ? T.One : T.Zero; }
internal readonly struct LtOp : IBinaryOp<LtOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x < y ? T.One : T.Zero; }
internal readonly struct LeOp : IBinaryOp<LeOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x <= y ? T.One : T.Zero; }
internal readonly struct GtOp : IBinaryOp<GtOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x > y ? T.One : T.Zero; }
internal readonly struct GeOp : IBinaryOp<GeOp> { public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x >= y ? T.One : T.Zero; }
