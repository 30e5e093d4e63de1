using System.Runtime.InteropServices;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// A CUDA driver in host memory for testing the CUDA backend's host logic without a GPU (tinygrad's mock GPU): device
/// memory is a byte array per allocation, copies copy, launches are recorded; allocations beyond <see cref="Capacity"/>
/// fail with CUDA_ERROR_OUT_OF_MEMORY like the real driver.
/// </summary>
internal sealed unsafe class FakeCudaDriver(long capacity = 1L << 30) : HostCudaDriverBase("Fake GPU", 132)
{
    private readonly Dictionary<ulong, byte[]> memory = [];
    private ulong next = 0x7f0000000000;

    public long Capacity { get; set; } = capacity;
    public long Used { get; private set; }
    public int Allocations { get; private set; }
    public int Frees { get; private set; }
    public List<(nint Function, LaunchConfig Config)> Launches { get; } = [];

    public override (long Free, long Total) MemoryInfo() => (Capacity - Used, Capacity);

    public override ulong Allocate(long bytes)
    {
        if (Used + bytes > Capacity) CudaErrors.Check(CudaErrors.OutOfMemory, $"cuMemAlloc({bytes} bytes)");
        ulong p = next;
        next += (ulong)((bytes + 511) / 512 * 512) + 512;
        memory[p] = new byte[bytes];
        Used += bytes;
        Allocations++;
        return p;
    }

    public override void Free(ulong pointer)
    {
        if (!memory.Remove(pointer, out var block)) CudaErrors.Check(1, "cuMemFree");
        Used -= block!.Length;
        Frees++;
    }

    /// <summary>The block holding <paramref name="pointer"/> and the offset into it; an address outside every block is CUDA_ERROR_ILLEGAL_ADDRESS.</summary>
    private (byte[] Block, int Offset) Find(ulong pointer, long bytes)
    {
        foreach (var (start, block) in memory)
            if (pointer >= start && pointer + (ulong)bytes <= start + (ulong)block.Length) return (block, (int)(pointer - start));
        CudaErrors.Check(700, "fake memcpy");
        return default;
    }

    public override void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream)
    {
        var (block, offset) = Find(destination, bytes);
        new ReadOnlySpan<byte>(source, (int)bytes).CopyTo(block.AsSpan(offset));
    }

    public override void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream)
    {
        var (block, offset) = Find(source, bytes);
        block.AsSpan(offset, (int)bytes).CopyTo(new Span<byte>(destination, (int)bytes));
    }

    public override void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream)
    {
        var (from, fo) = Find(source, bytes);
        var (to, to0) = Find(destination, bytes);
        from.AsSpan(fo, (int)bytes).CopyTo(to.AsSpan(to0));
    }

    public override void Memset32(ulong destination, uint value, long count, nint stream)
    {
        var (block, offset) = Find(destination, count * 4);
        MemoryMarshal.Cast<byte, uint>(block.AsSpan(offset, (int)count * 4)).Fill(value);
    }

    public override nint LoadModule(ReadOnlySpan<byte> image) => NewHandle();
    public override nint GetFunction(nint module, string name) => NewHandle();
    public override void Launch(nint function, in LaunchConfig config, nint stream, void** arguments) => Launches.Add((function, config));
}
