using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>Host transfers and fill: on the CPU an upload or download is a converting copy between managed arrays.</summary>
internal sealed partial class CpuBackend
{
    public void CopyFromHost<T>(ReadOnlySpan<T> source, in TensorView destination) where T : unmanaged, INumberBase<T>
    {
        switch (destination.DType)
        {
            case DType.Float32: Convert(source, Span<float>(destination)); break;
            case DType.Float64: Convert(source, Span<double>(destination)); break;
            default: Convert(source, Span<long>(destination)); break;
        }
    }

    public void CopyToHost<T>(in TensorView source, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        switch (source.DType)
        {
            case DType.Float32: Convert<float, T>(Span<float>(source), destination); break;
            case DType.Float64: Convert<double, T>(Span<double>(source), destination); break;
            default: Convert<long, T>(Span<long>(source), destination); break;
        }
    }

    /// <summary>A plain copy when the types agree, else the element-by-element truncating conversion.</summary>
    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(source).CopyTo(destination);
        else CopyKernels.Convert(source, destination);
    }

    public void Fill(in TensorView destination, double value)
    {
        switch (destination.DType)
        {
            case DType.Float32: Span<float>(destination).Fill((float)value); break;
            case DType.Float64: Span<double>(destination).Fill(value); break;
            default: Span<long>(destination).Fill((long)value); break;
        }
    }
}
