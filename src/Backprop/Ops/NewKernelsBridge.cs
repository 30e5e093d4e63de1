namespace Backprop;

/// <summary>
/// The forward passes of the ops added for issue #11 that need a primitive of their own: each takes tensors, calls one
/// backend primitive (<c>Map</c>, <c>Binary</c>, <c>CumSum</c>, <c>Prod</c>, <c>Sort</c>) and returns a fresh tensor on
/// the input's device. No autograd here.
/// </summary>
internal static class NewKernelsBridge
{
    /// <summary>An elementwise floating-point map (through the existing <c>Tensor.Map</c>).</summary>
    public static Tensor Unary(Tensor x, Backends.UnaryOp op, string name) => x.Map(op, name);

    /// <summary>Broadcasting xʸ in the promoted dtype.</summary>
    public static Tensor Pow(Tensor x, Tensor y) => Tensor.Binary(Backends.BinaryKind.Pow, x, y, "Pow");

    /// <summary>Inclusive running sum along <paramref name="dim"/> (already normalised).</summary>
    public static Tensor CumSum(Tensor x, int dim)
    {
        var src = x.Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(src.shape, dim);
        var y = Tensor.Uninitialized(src.shape, src.DType, src);
        Backends.Backend.Of(src).CumSum(src.Layout, outer, size, inner, y.Layout);
        return y;
    }

    /// <summary>Product along <paramref name="dim"/> (already normalised), that dimension kept with size 1.</summary>
    public static Tensor Prod(Tensor x, int dim)
    {
        var src = x.Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(src.shape, dim);
        var outShape = (int[])src.shape.Clone();
        outShape[dim] = 1;
        var y = Tensor.Uninitialized(outShape, src.DType, src);
        Backends.Backend.Of(src).Prod(src.Layout, outer, size, inner, y.Layout);
        return y;
    }

    /// <summary>Stable sort along <paramref name="dim"/> (already normalised): sorted values and Int64 source indices.</summary>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim, bool descending)
    {
        var src = x.Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(src.shape, dim);
        var values = Tensor.Uninitialized(src.shape, src.DType, src);
        var indices = Tensor.Uninitialized(src.shape, DType.Int64, src);
        Backends.Backend.Of(src).Sort(src.Layout, outer, size, inner, values.Layout, indices.Layout, descending);
        return (values, indices);
    }
}
