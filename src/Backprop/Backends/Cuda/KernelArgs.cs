using System.Runtime.InteropServices;

namespace Backprop.Backends.Cuda;

/// <summary>The <c>Dims</c> struct of common.cuh: the (coalesced) shape a strided kernel walks.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelDims
{
    public int NDim;
    public fixed long Size[LaunchGeometry.MaxDims];
}

/// <summary>The <c>Strides</c> struct of common.cuh: one operand's strides in elements.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct KernelStrides
{
    public fixed long Stride[LaunchGeometry.MaxDims];
}

/// <summary>
/// A kernel's parameters packed for cuLaunchKernel: each value is copied into one unmanaged buffer at its natural alignment,
/// and <see cref="Pointers"/> holds one pointer per parameter, in order.
/// </summary>
internal sealed unsafe class KernelArgs : IDisposable
{
    private const int Capacity = 1024, MaxArgs = 24;
    private readonly byte* values = (byte*)NativeMemory.AlignedAlloc(Capacity, 16);
    private readonly void** pointers = (void**)NativeMemory.Alloc(MaxArgs, (nuint)sizeof(void*));
    private int used, count;

    /// <summary>The parameter pointer array cuLaunchKernel takes.</summary>
    public void** Pointers => pointers;

    /// <summary>The number of parameters added.</summary>
    public int Count => count;

    /// <summary>Appends one parameter of any unmanaged type (scalars, device pointers as <see cref="ulong"/>, <see cref="KernelDims"/>).</summary>
    public KernelArgs Add<T>(T value) where T : unmanaged
    {
        int align = Math.Min(sizeof(T), 8);
        used = (used + align - 1) / align * align;
        if (used + sizeof(T) > Capacity || count == MaxArgs) throw new InvalidOperationException("internal: too many kernel parameters.");
        *(T*)(values + used) = value;
        pointers[count++] = values + used;
        used += sizeof(T);
        return this;
    }

    /// <summary>The bytes of parameter <paramref name="index"/> read back as <typeparamref name="T"/> (for tests).</summary>
    public T Get<T>(int index) where T : unmanaged => *(T*)pointers[index];

    public void Dispose()
    {
        NativeMemory.AlignedFree(values);
        NativeMemory.Free(pointers);
    }
}

/// <summary>The <c>Window</c> struct of common.cuh: a <see cref="WindowGeometry"/> as the window kernels take it by value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct KernelWindow(in WindowGeometry g)
{
    public readonly int C = g.Channels, H = g.Height, W = g.Width, KH = g.KernelH, KW = g.KernelW, SH = g.StrideH, SW = g.StrideW;
    public readonly int PadTop = g.PadTop, PadLeft = g.PadLeft, DH = g.DilationH, DW = g.DilationW, OutH = g.OutH, OutW = g.OutW;
}

/// <summary>The <c>AttnDims</c> struct of attention.cu: an <see cref="AttentionDims"/> plus the operands' row strides.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelAttention
{
    public int B, L, S, E, Ev, Causal;
    public double Scale, Dropout;
    public ulong Seed;
    public long QueryRowStride, KeyRowStride, ValueRowStride, OutputRowStride, MaskRowStride, MaskColStride;
}
