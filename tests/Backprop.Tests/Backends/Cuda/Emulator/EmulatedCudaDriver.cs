using System.Runtime.InteropServices;
using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// A CUDA driver whose kernels really run, on the host: device memory is native memory (a device pointer is its address),
/// copies are memcpy, a module is the shared library <see cref="HostKernelCompiler"/> built from the kernels' CUDA C, and a
/// launch calls the kernel's trampoline with the launch's grid and block. Launches are serialized process-wide (shared
/// memory is a static per kernel). An address outside every allocation fails a copy with CUDA_ERROR_ILLEGAL_ADDRESS.
/// </summary>
internal sealed unsafe class EmulatedCudaDriver(int multiprocessors = 2) : HostCudaDriverBase("Emulated GPU (host)", multiprocessors), IDisposable
{
    private static readonly Lock launchGate = new();
    private readonly Dictionary<ulong, long> blocks = [];

    public int Launches { get; private set; }
    public long Used { get; private set; }

    /// <summary>The device's memory; a larger allocation fails with CUDA_ERROR_OUT_OF_MEMORY like the real driver's.</summary>
    public long Capacity { get; set; } = 1L << 34;

    public override (long Free, long Total) MemoryInfo() => (Capacity - Used, Capacity);

    public override ulong Allocate(long bytes)
    {
        if (Used + bytes > Capacity) CudaErrors.Check(CudaErrors.OutOfMemory, $"cuMemAlloc({bytes} bytes)");
        var p = (ulong)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 256);
        lock (blocks) blocks[p] = bytes;
        Used += bytes;
        return p;
    }

    public override void Free(ulong pointer)
    {
        long bytes;
        lock (blocks) if (!blocks.Remove(pointer, out bytes)) CudaErrors.Check(1, "cuMemFree (not an allocation)");
        Used -= bytes;
        NativeMemory.AlignedFree((void*)pointer);
    }

    private void Check(ulong pointer, long bytes, string op)
    {
        lock (blocks)
            foreach (var (start, length) in blocks)
                if (pointer >= start && pointer + (ulong)bytes <= start + (ulong)length) return;
        CudaErrors.Check(700, op);
    }

    public override void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream)
    {
        Check(destination, bytes, "cuMemcpyHtoDAsync");
        Buffer.MemoryCopy(source, (void*)destination, bytes, bytes);
    }

    public override void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream)
    {
        Check(source, bytes, "cuMemcpyDtoHAsync");
        Buffer.MemoryCopy((void*)source, destination, bytes, bytes);
    }

    public override void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream)
    {
        Check(source, bytes, "cuMemcpyDtoDAsync");
        Check(destination, bytes, "cuMemcpyDtoDAsync");
        Buffer.MemoryCopy((void*)source, (void*)destination, bytes, bytes);
    }

    public override void Memset32(ulong destination, uint value, long count, nint stream)
    {
        Check(destination, count * 4, "cuMemsetD32Async");
        new Span<uint>((void*)destination, checked((int)count)).Fill(value);
    }

    /// <summary>Loads the library whose path <see cref="HostKernelCompiler"/> returned as the "CUBIN" (kept loaded: unloading is a no-op).</summary>
    public override nint LoadModule(ReadOnlySpan<byte> image) => NativeLibrary.Load(Encoding.UTF8.GetString(image));

    public override nint GetFunction(nint module, string name)
    {
        if (!NativeLibrary.TryGetExport(module, name + "__launch", out var f)) CudaErrors.Check(500, $"cuModuleGetFunction({name})");
        return f;
    }

    public override void Launch(nint function, in LaunchConfig config, nint stream, void** arguments)
    {
        if (config.Grid <= 0 || config.Block <= 0 || config.Block > 1024) CudaErrors.Check(1, $"cuLaunchKernel(grid {config.Grid}, block {config.Block})");
        lock (launchGate)
        {
            ((delegate* unmanaged<void**, int, int, void>)function)(arguments, config.Grid, config.Block);
            Launches++;
        }
    }

    public void Dispose()
    {
        lock (blocks)
        {
            foreach (var p in blocks.Keys) NativeMemory.AlignedFree((void*)p);
            blocks.Clear();
        }
    }
}
