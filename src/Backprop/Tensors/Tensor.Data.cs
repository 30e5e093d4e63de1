using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        var t = Uninitialized(shape, dtype);
        t.Upload(data);
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
        Backends.Backend.Of(c).CopyToHost<T>(c.Layout, result);
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
        return ReadAt<T>(Offset);
    }

    /// <summary>Downloads the one element at storage index <paramref name="storageIndex"/>, converted to <typeparamref name="T"/>.</summary>
    internal T ReadAt<T>(int storageIndex) where T : unmanaged, INumberBase<T>
    {
        Span<T> value = stackalloc T[1];
        Backends.Backend.Of(this).CopyToHost<T>(new Backends.TensorView(Storage, OneElement, OneElement, storageIndex, DType), value);
        return value[0];
    }

    /// <summary>Uploads <paramref name="value"/> (converted to this dtype) into the element at storage index <paramref name="storageIndex"/>.</summary>
    internal void WriteAt(int storageIndex, double value) =>
        Backends.Backend.Of(this).CopyFromHost<double>([value], new Backends.TensorView(Storage, OneElement, OneElement, storageIndex, DType));

    /// <summary>The shape and strides of a one-element view (shared; views never write them).</summary>
    private static readonly int[] OneElement = [1];

    /// <summary>
    /// Uploads the elements of a host array of any rank (float, double, long or int, flat row-major order) into this
    /// contiguous tensor, converting each to its dtype (the data-in path: FromArray, Wrap, SafeTensors).
    /// </summary>
    internal void Upload(Array data)
    {
        var backend = Backends.Backend.Of(this);
        switch (data)
        {
            case float[] f: backend.CopyFromHost<float>(f, Layout); break;
            case double[] d: backend.CopyFromHost<double>(d, Layout); break;
            case long[] l: backend.CopyFromHost<long>(l, Layout); break;
            case int[] i: backend.CopyFromHost<int>(i, Layout); break;
            default:
                var elem = data.GetType().GetElementType();
                if (elem == typeof(float)) backend.CopyFromHost(HostElements<float>(data), Layout);
                else if (elem == typeof(double)) backend.CopyFromHost(HostElements<double>(data), Layout);
                else if (elem == typeof(long)) backend.CopyFromHost(HostElements<long>(data), Layout);
                else backend.CopyFromHost(HostElements<int>(data), Layout);
                break;
        }
    }

    /// <summary>The elements of a multi-dimensional host array in row-major order, without copying.</summary>
    private static ReadOnlySpan<T> HostElements<T>(Array data) where T : unmanaged =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), (int)data.LongLength);

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
        var y = Empty(shape, dtype, src);
        Backends.Backend.Of(src).Convert(src.Layout, y.Layout);
        if (!dtype.IsFloatingPoint()) return y;
        var from = DType;
        return Node.Record(y, "ToCopyBackward", [this], g => [g.To(from)]);
    }
}
