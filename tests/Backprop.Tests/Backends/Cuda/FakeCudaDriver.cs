using System.Runtime.InteropServices;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// A CUDA driver in host memory for testing the CUDA backend's host logic without a GPU (tinygrad's mock GPU): device
/// memory is a byte array per allocation, copies copy, launches are recorded; allocations beyond <see cref="Capacity"/>
/// fail with CUDA_ERROR_OUT_OF_MEMORY like the real driver.
/// </summary>
internal sealed unsafe class FakeCudaDriver(long capacity = 1L << 30) : ICudaDriver
{
    private readonly Dictionary<ulong, byte[]> memory = [];
    private ulong next = 0x7f0000000000;

    public long Capacity { get; set; } = capacity;
    public long Used { get; private set; }
    public int Allocations { get; private set; }
    public int Frees { get; private set; }
    public int Synchronizations { get; private set; }
    public List<(nint Function, LaunchConfig Config)> Launches { get; } = [];

    public int DriverVersion => 13000;
    public int DeviceCount => 1;
    public string DeviceName(int ordinal) => "Fake GPU";

    public int Attribute(int ordinal, DeviceAttribute attribute) => attribute switch
    {
        DeviceAttribute.ComputeCapabilityMajor => 9,
        DeviceAttribute.ComputeCapabilityMinor => 0,
        DeviceAttribute.MultiprocessorCount => 132,
        DeviceAttribute.MaxThreadsPerBlock => 1024,
        _ => int.MaxValue,
    };

    public nint RetainPrimaryContext(int ordinal) => 1;
    public void SetCurrent(nint context) { }
    public void Synchronize() => Synchronizations++;
    public (long Free, long Total) MemoryInfo() => (Capacity - Used, Capacity);

    public ulong Allocate(long bytes)
    {
        if (Used + bytes > Capacity) CudaErrors.Check(CudaErrors.OutOfMemory, $"cuMemAlloc({bytes} bytes)");
        ulong p = next;
        next += (ulong)((bytes + 511) / 512 * 512) + 512;
        memory[p] = new byte[bytes];
        Used += bytes;
        Allocations++;
        return p;
    }

    public void Free(ulong pointer)
    {
        if (!memory.Remove(pointer, out var block)) CudaErrors.Check(1, "cuMemFree");
        Used -= block!.Length;
        Frees++;
    }

    public nint AllocateHost(long bytes) => (nint)NativeMemory.Alloc((nuint)bytes);
    public void FreeHost(nint pointer) => NativeMemory.Free((void*)pointer);

    /// <summary>The block holding <paramref name="pointer"/> and the offset into it; an address outside every block is CUDA_ERROR_ILLEGAL_ADDRESS.</summary>
    private (byte[] Block, int Offset) Find(ulong pointer, long bytes)
    {
        foreach (var (start, block) in memory)
            if (pointer >= start && pointer + (ulong)bytes <= start + (ulong)block.Length) return (block, (int)(pointer - start));
        CudaErrors.Check(700, "fake memcpy");
        return default;
    }

    public void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream)
    {
        var (block, offset) = Find(destination, bytes);
        new ReadOnlySpan<byte>(source, (int)bytes).CopyTo(block.AsSpan(offset));
    }

    public void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream)
    {
        var (block, offset) = Find(source, bytes);
        block.AsSpan(offset, (int)bytes).CopyTo(new Span<byte>(destination, (int)bytes));
    }

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream)
    {
        var (from, fo) = Find(source, bytes);
        var (to, to0) = Find(destination, bytes);
        from.AsSpan(fo, (int)bytes).CopyTo(to.AsSpan(to0));
    }

    public void Memset32(ulong destination, uint value, long count, nint stream)
    {
        var (block, offset) = Find(destination, count * 4);
        MemoryMarshal.Cast<byte, uint>(block.AsSpan(offset, (int)count * 4)).Fill(value);
    }

    private nint handles = 100;
    public nint CreateStream() => ++handles;
    public void DestroyStream(nint stream) { }
    public void SynchronizeStream(nint stream) => Synchronizations++;
    public nint CreateEvent(bool timing) => ++handles;
    public void RecordEvent(nint @event, nint stream) { }
    public bool EventDone(nint @event) => true;
    public void SynchronizeEvent(nint @event) { }
    public float ElapsedMilliseconds(nint start, nint end) => 0;
    public void DestroyEvent(nint @event) { }
    public nint LoadModule(ReadOnlySpan<byte> image) => ++handles;
    public void UnloadModule(nint module) { }
    public nint GetFunction(nint module, string name) => ++handles;
    public void Launch(nint function, in LaunchConfig config, nint stream, void** arguments) => Launches.Add((function, config));
}
