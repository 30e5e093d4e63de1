using System.Runtime.InteropServices;
using static Backprop.Backends.Cuda.CudaDriverNative;

namespace Backprop.Backends.Cuda;

/// <summary>
/// <see cref="ICudaDriver"/> over the machine's libcuda.so.1: loaded and initialised (cuInit) by <see cref="Open"/>, which
/// throws <see cref="DllNotFoundException"/> saying no CUDA driver was found when the library is absent.
/// </summary>
internal sealed unsafe class CudaDriver : ICudaDriver
{
    private CudaDriver() { }

    /// <summary>Loads libcuda and calls cuInit(0); throws when there is no driver or it fails to initialise.</summary>
    public static CudaDriver Open()
    {
        CudaLibraries.Load(CudaLibraries.Driver);
        var driver = new CudaDriver();
        driver.Check(cuInit(0), "cuInit");
        return driver;
    }

    /// <summary>Throws naming the error (through cuGetErrorName, falling back to the built-in table) and the call.</summary>
    private void Check(int result, string operation)
    {
        if (result != 0) CudaErrors.Check(result, operation, Name);
    }

    private static string Name(int code)
    {
        byte* name = null;
        return cuGetErrorName(code, &name) == 0 && name != null ? Marshal.PtrToStringUTF8((nint)name) ?? CudaErrors.DriverName(code) : CudaErrors.DriverName(code);
    }

    public int DriverVersion
    {
        get { int v; Check(cuDriverGetVersion(&v), "cuDriverGetVersion"); return v; }
    }

    public int DeviceCount
    {
        get { int n; Check(cuDeviceGetCount(&n), "cuDeviceGetCount"); return n; }
    }

    private int Handle(int ordinal)
    {
        int device;
        Check(cuDeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        return device;
    }

    public string DeviceName(int ordinal)
    {
        byte* buffer = stackalloc byte[256];
        Check(cuDeviceGetName(buffer, 256, Handle(ordinal)), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    public int Attribute(int ordinal, DeviceAttribute attribute)
    {
        int value;
        Check(cuDeviceGetAttribute(&value, (int)attribute, Handle(ordinal)), $"cuDeviceGetAttribute({attribute})");
        return value;
    }

    public nint RetainPrimaryContext(int ordinal)
    {
        nint context;
        Check(cuDevicePrimaryCtxRetain(&context, Handle(ordinal)), $"cuDevicePrimaryCtxRetain(cuda:{ordinal})");
        return context;
    }

    public void SetCurrent(nint context) => Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");

    public void Synchronize() => Check(cuCtxSynchronize(), "cuCtxSynchronize");

    public (long Free, long Total) MemoryInfo()
    {
        nuint free, total;
        Check(cuMemGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public ulong Allocate(long bytes)
    {
        ulong pointer;
        Check(cuMemAlloc(&pointer, (nuint)bytes), $"cuMemAlloc({bytes} bytes)");
        return pointer;
    }

    public void Free(ulong pointer) => Check(cuMemFree(pointer), "cuMemFree");

    public nint AllocateHost(long bytes)
    {
        nint pointer;
        Check(cuMemAllocHost(&pointer, (nuint)bytes), $"cuMemAllocHost({bytes} bytes)");
        return pointer;
    }

    public void FreeHost(nint pointer) => Check(cuMemFreeHost(pointer), "cuMemFreeHost");

    public void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream) =>
        Check(cuMemcpyHtoDAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyHtoDAsync({bytes} bytes)");

    public void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream) =>
        Check(cuMemcpyDtoHAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyDtoHAsync({bytes} bytes)");

    public void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream) =>
        Check(cuMemcpyDtoDAsync(destination, source, (nuint)bytes, stream), $"cuMemcpyDtoDAsync({bytes} bytes)");

    public void Memset32(ulong destination, uint value, long count, nint stream) =>
        Check(cuMemsetD32Async(destination, value, (nuint)count, stream), "cuMemsetD32Async");

    public nint CreateStream()
    {
        nint stream;
        Check(cuStreamCreate(&stream, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
        return stream;
    }

    public void DestroyStream(nint stream) => Check(cuStreamDestroy(stream), "cuStreamDestroy");

    public void SynchronizeStream(nint stream) => Check(cuStreamSynchronize(stream), "cuStreamSynchronize");

    public nint CreateEvent(bool timing)
    {
        nint e;
        Check(cuEventCreate(&e, timing ? 0u : 2u /* CU_EVENT_DISABLE_TIMING */), "cuEventCreate");
        return e;
    }

    public void RecordEvent(nint @event, nint stream) => Check(cuEventRecord(@event, stream), "cuEventRecord");

    public bool EventDone(nint @event)
    {
        int r = cuEventQuery(@event);
        if (r == 600) return false; // CUDA_ERROR_NOT_READY
        Check(r, "cuEventQuery");
        return true;
    }

    public void SynchronizeEvent(nint @event) => Check(cuEventSynchronize(@event), "cuEventSynchronize");

    public float ElapsedMilliseconds(nint start, nint end)
    {
        float ms;
        int r;
        try { r = cuEventElapsedTime_v2(&ms, start, end); } // CUDA ≥ 12.8 (the only name in 13)
        catch (EntryPointNotFoundException) { r = cuEventElapsedTime_v1(&ms, start, end); }
        Check(r, "cuEventElapsedTime");
        return ms;
    }

    public void DestroyEvent(nint @event) => Check(cuEventDestroy(@event), "cuEventDestroy");

    public nint LoadModule(ReadOnlySpan<byte> image)
    {
        nint module;
        fixed (byte* p = image) Check(cuModuleLoadData(&module, p), $"cuModuleLoadData({image.Length} bytes)");
        return module;
    }

    public void UnloadModule(nint module) => Check(cuModuleUnload(module), "cuModuleUnload");

    public nint GetFunction(nint module, string name)
    {
        nint function;
        Check(cuModuleGetFunction(&function, module, name), $"cuModuleGetFunction({name})");
        return function;
    }

    public void Launch(nint function, in LaunchConfig config, nint stream, void** arguments) =>
        Check(cuLaunchKernel(function, (uint)config.Grid, 1, 1, (uint)config.Block, 1, 1, (uint)config.SharedBytes, stream, arguments, null),
            $"cuLaunchKernel(grid {config.Grid}, block {config.Block})");
}
