using System.Runtime.InteropServices;
using Backprop.Kernels;

namespace Backprop.Backends.Cuda;

internal sealed partial class CudaBackend
{
    /// <summary>
    /// Upload: a plain copy when <typeparamref name="T"/> is the destination's element type, else converted on the host
    /// first (the CPU's truncating conversion) and then copied. Waits for the copy (the source is pageable memory).
    /// </summary>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, in TensorView destination) where T : unmanaged, INumberBase<T>
    {
        switch (destination.DType)
        {
            case DType.Float32: Upload(Converted<T, float>(source), destination); break;
            case DType.Float64: Upload(Converted<T, double>(source), destination); break;
            default: Upload(Converted<T, long>(source), destination); break;
        }
    }

    /// <summary>Download: the contiguous <paramref name="source"/> into host memory, converted on the host when <typeparamref name="T"/> differs from its dtype.</summary>
    public void CopyToHost<T>(in TensorView source, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        switch (source.DType)
        {
            case DType.Float32: Download<float, T>(source, destination); break;
            case DType.Float64: Download<double, T>(source, destination); break;
            default: Download<long, T>(source, destination); break;
        }
    }

    private static ReadOnlySpan<TTo> Converted<TFrom, TTo>(ReadOnlySpan<TFrom> source)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) return MemoryMarshal.Cast<TFrom, TTo>(source);
        var converted = new TTo[source.Length];
        CopyKernels.Convert(source, converted);
        return converted;
    }

    private unsafe void Upload<T>(ReadOnlySpan<T> values, in TensorView destination) where T : unmanaged
    {
        if (values.IsEmpty) return;
        Cuda.MakeCurrent();
        fixed (T* p = values) Cuda.Driver.CopyHostToDevice(Pointer(destination), p, (long)values.Length * sizeof(T), Cuda.Stream);
        Cuda.Driver.SynchronizeStream(Cuda.Stream);
    }

    private unsafe void Download<TFrom, TTo>(in TensorView source, Span<TTo> destination)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (destination.IsEmpty) return;
        var host = typeof(TFrom) == typeof(TTo) ? MemoryMarshal.Cast<TTo, TFrom>(destination) : new TFrom[destination.Length];
        Cuda.MakeCurrent();
        fixed (TFrom* p = host) Cuda.Driver.CopyDeviceToHost(p, Pointer(source), (long)host.Length * sizeof(TFrom), Cuda.Stream);
        Cuda.Driver.SynchronizeStream(Cuda.Stream);
        if (typeof(TFrom) != typeof(TTo)) CopyKernels.Convert<TFrom, TTo>(host, destination);
    }
}
