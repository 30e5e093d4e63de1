using Backprop.Kernels;

namespace Backprop;

/// <summary>
/// The one place where the ops added for issue #11 touch raw buffers: each method takes tensors, runs a kernel from
/// <c>Kernels/MoreUnaryKernels.cs</c> or <c>Kernels/ScanSortKernels.cs</c> and returns a fresh tensor. No autograd
/// here. The maps and tensor <c>Pow</c> already go through the backend (<c>Map</c>, <c>Binary</c>); the scan and sort
/// kernels become backend primitives next, and nothing else has to move.
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
        var y = Tensor.Uninitialized(src.shape, src.DType);
        switch (src.DType)
        {
            case DType.Float32: ScanSortKernels.CumSum(src.Span<float>(), outer, size, inner, y.Span<float>()); break;
            case DType.Float64: ScanSortKernels.CumSum(src.Span<double>(), outer, size, inner, y.Span<double>()); break;
            default: ScanSortKernels.CumSum(src.Span<long>(), outer, size, inner, y.Span<long>()); break;
        }
        return y;
    }

    /// <summary>Product along <paramref name="dim"/> (already normalised), that dimension kept with size 1.</summary>
    public static Tensor Prod(Tensor x, int dim)
    {
        var src = x.Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(src.shape, dim);
        var outShape = (int[])src.shape.Clone();
        outShape[dim] = 1;
        var y = Tensor.Uninitialized(outShape, src.DType);
        switch (src.DType)
        {
            case DType.Float32: ScanSortKernels.Prod(src.Span<float>(), outer, size, inner, y.Span<float>()); break;
            case DType.Float64: ScanSortKernels.Prod(src.Span<double>(), outer, size, inner, y.Span<double>()); break;
            default: ScanSortKernels.Prod(src.Span<long>(), outer, size, inner, y.Span<long>()); break;
        }
        return y;
    }

    /// <summary>Stable sort along <paramref name="dim"/> (already normalised): sorted values and Int64 source indices.</summary>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim, bool descending)
    {
        var src = x.Dense();
        var (outer, size, inner) = ShapeUtil.AroundDim(src.shape, dim);
        var values = Tensor.Uninitialized(src.shape, src.DType);
        var indices = Tensor.Uninitialized(src.shape, DType.Int64);
        switch (src.DType)
        {
            case DType.Float32: ScanSortKernels.Sort(src.Span<float>(), outer, size, inner, values.Span<float>(), indices.Span<long>(), descending); break;
            case DType.Float64: ScanSortKernels.Sort(src.Span<double>(), outer, size, inner, values.Span<double>(), indices.Span<long>(), descending); break;
            default: ScanSortKernels.Sort(src.Span<long>(), outer, size, inner, values.Span<long>(), indices.Span<long>(), descending); break;
        }
        return (values, indices);
    }
}
