using Backprop.Kernels;

namespace Backprop;

public partial class Tensor
{
    /// <summary>A 1-D Float32 tensor copied from <paramref name="data"/> (<c>torch.tensor(list)</c>).</summary>
    public static Tensor FromArray(float[] data, bool requiresGrad = false) => FromArray((Array)data, requiresGrad);

    /// <summary>A 1-D Float64 tensor copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data, bool requiresGrad = false) => FromArray((Array)data, requiresGrad);

    /// <summary>A 1-D Int64 tensor copied from <paramref name="data"/> (class indices).</summary>
    public static Tensor FromArray(long[] data) => FromArray((Array)data);

    /// <summary>A Float32 matrix copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[,] data, bool requiresGrad = false) => FromArray((Array)data, requiresGrad);

    /// <summary>A Float64 matrix copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[,] data, bool requiresGrad = false) => FromArray((Array)data, requiresGrad);

    /// <summary>An Int64 matrix copied from <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[,] data) => FromArray((Array)data);

    /// <summary>
    /// A tensor copied from a C# array of any rank whose elements are float, double, long or int; the dtype follows the
    /// element type (int becomes Int64), the shape follows the array's dimensions.
    /// </summary>
    public static Tensor FromArray(Array data, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new int[data.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = data.GetLength(i);
        var elem = data.GetType().GetElementType();
        DType dtype = elem == typeof(float) ? DType.Float32 : elem == typeof(double) ? DType.Float64
            : elem == typeof(long) || elem == typeof(int) ? DType.Int64
            : throw new ArgumentException($"FromArray: arrays of {elem} are not supported; use float, double, long or int.");
        var t = Empty(shape, dtype);
        if (elem == typeof(int))
        {
            var dst = t.Span<long>(); int k = 0;
            foreach (int v in data) dst[k++] = v;
        }
        else Buffer.BlockCopy(data, 0, t.Storage.Data, 0, Buffer.ByteLength(data));
        return t.WithRequiresGrad(requiresGrad);
    }

    /// <summary>A tensor of the given shape over a copy of flat row-major <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data, ReadOnlySpan<int> shape, bool requiresGrad = false) => FromArray(data).Reshape(shape).WithRequiresGrad(requiresGrad);

    /// <summary>A tensor of the given shape over a copy of flat row-major <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data, ReadOnlySpan<int> shape, bool requiresGrad = false) => FromArray(data).Reshape(shape).WithRequiresGrad(requiresGrad);

    /// <summary>A tensor of the given shape over a copy of flat row-major <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data, ReadOnlySpan<int> shape) => FromArray(data).Reshape(shape);

    /// <summary>A flat row-major copy of the elements converted to <typeparamref name="T"/> (<c>tensor.flatten().tolist()</c>).</summary>
    public T[] ToArray<T>() where T : unmanaged, INumberBase<T>
    {
        var c = Contiguous();
        var result = new T[Numel];
        switch (c.Storage.Data)
        {
            case float[]: CopyKernels.Convert<float, T>(c.Span<float>(), result); break;
            case double[]: CopyKernels.Convert<double, T>(c.Span<double>(), result); break;
            default: CopyKernels.Convert<long, T>(c.Span<long>(), result); break;
        }
        return result;
    }

    /// <summary>The elements as doubles, flat and row-major.</summary>
    public double[] ToArray() => ToArray<double>();

    /// <summary>The value of a one-element tensor as a double (<c>tensor.item()</c>).</summary>
    public double Item() => Item<double>();

    /// <summary>The value of a one-element tensor converted to <typeparamref name="T"/> (<c>tensor.item()</c>).</summary>
    public T Item<T>() where T : unmanaged, INumberBase<T>
    {
        if (Numel != 1)
            throw new InvalidOperationException($"Item(): a tensor with {Numel} elements (shape {ShapeString}) cannot be converted to a scalar; only one-element tensors can.");
        return T.CreateTruncating(GetRaw(Offset));
    }

    /// <summary>True if any element is NaN or infinite.</summary>
    internal bool HasNonFinite()
    {
        if (!DType.IsFloatingPoint()) return false;
        foreach (var v in ToArray<double>()) if (!double.IsFinite(v)) return true;
        return false;
    }

    /// <summary>
    /// A copy converted to <paramref name="dtype"/>, or this tensor if it already has it (<c>tensor.to(dtype)</c>).
    /// Differentiable between floating-point types.
    /// </summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var src = Contiguous();
        var y = Empty(shape, dtype);
        Backends.Backend.Of(src).Convert(src.Layout, y.Layout);
        if (!dtype.IsFloatingPoint()) return y;
        var from = DType;
        return Node.Record(y, "ToCopyBackward", [this], g => [g.To(from)]);
    }
}
