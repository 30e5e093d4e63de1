namespace Backprop.Backends.Cuda;

/// <summary>
/// The CUDA driver API calls the CUDA backend makes, behind one small interface (tinygrad's mock-GPU idea): the real
/// implementation (<see cref="CudaDriver"/>) binds libcuda.so.1, and the tests' fake keeps device memory in host arrays,
/// so the host logic (allocator, kernel cache, launch geometry, error mapping) runs without a GPU. Every method throws a
/// <see cref="CudaException"/> naming the CUDA error and the call. Device pointers are <c>CUdeviceptr</c> values
/// (<see cref="ulong"/>); contexts, streams, events, modules and functions are opaque handles (<see cref="nint"/>, 0 = the
/// default stream). Calls other than the device queries act on the context made current by <see cref="SetCurrent"/>.
/// </summary>
internal unsafe interface ICudaDriver
{
    /// <summary>The driver's CUDA version (cuDriverGetVersion: 13000 for 13.0).</summary>
    int DriverVersion { get; }

    /// <summary>The number of CUDA devices (cuDeviceGetCount).</summary>
    int DeviceCount { get; }

    /// <summary>The device's name (cuDeviceGetName), e.g. "NVIDIA H200".</summary>
    string DeviceName(int ordinal);

    /// <summary>One device attribute (cuDeviceGetAttribute).</summary>
    int Attribute(int ordinal, DeviceAttribute attribute);

    /// <summary>Retains the device's primary context (cuDevicePrimaryCtxRetain), the one the runtime API and PyTorch use.</summary>
    nint RetainPrimaryContext(int ordinal);

    /// <summary>Makes <paramref name="context"/> current on the calling thread (cuCtxSetCurrent).</summary>
    void SetCurrent(nint context);

    /// <summary>Waits for all work of the current context (cuCtxSynchronize).</summary>
    void Synchronize();

    /// <summary>The current device's free and total memory in bytes (cuMemGetInfo).</summary>
    (long Free, long Total) MemoryInfo();

    /// <summary>Allocates <paramref name="bytes"/> of device memory (cuMemAlloc); CUDA_ERROR_OUT_OF_MEMORY throws a <see cref="CudaException"/> with <see cref="CudaErrors.OutOfMemory"/>.</summary>
    ulong Allocate(long bytes);

    /// <summary>Frees device memory (cuMemFree).</summary>
    void Free(ulong pointer);

    /// <summary>Page-locked host memory for asynchronous copies (cuMemAllocHost).</summary>
    nint AllocateHost(long bytes);

    /// <summary>Frees page-locked host memory (cuMemFreeHost).</summary>
    void FreeHost(nint pointer);

    /// <summary>Copies host → device on <paramref name="stream"/> (cuMemcpyHtoDAsync); pageable host memory makes it synchronous.</summary>
    void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream);

    /// <summary>Copies device → host on <paramref name="stream"/> (cuMemcpyDtoHAsync).</summary>
    void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream);

    /// <summary>Copies device → device on <paramref name="stream"/> (cuMemcpyDtoDAsync).</summary>
    void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream);

    /// <summary>Sets <paramref name="count"/> 32-bit words to <paramref name="value"/> on <paramref name="stream"/> (cuMemsetD32Async).</summary>
    void Memset32(ulong destination, uint value, long count, nint stream);

    /// <summary>A new non-blocking stream (cuStreamCreate with CU_STREAM_NON_BLOCKING).</summary>
    nint CreateStream();

    /// <summary>Destroys a stream (cuStreamDestroy).</summary>
    void DestroyStream(nint stream);

    /// <summary>Waits for the stream's work (cuStreamSynchronize).</summary>
    void SynchronizeStream(nint stream);

    /// <summary>A new event (cuEventCreate); without <paramref name="timing"/> it records no time and is cheaper.</summary>
    nint CreateEvent(bool timing);

    /// <summary>Records the event on the stream (cuEventRecord).</summary>
    void RecordEvent(nint @event, nint stream);

    /// <summary>True when the work before the event has finished (cuEventQuery: CUDA_SUCCESS vs CUDA_ERROR_NOT_READY).</summary>
    bool EventDone(nint @event);

    /// <summary>Waits for the event (cuEventSynchronize).</summary>
    void SynchronizeEvent(nint @event);

    /// <summary>Milliseconds between two recorded timing events (cuEventElapsedTime).</summary>
    float ElapsedMilliseconds(nint start, nint end);

    /// <summary>Destroys an event (cuEventDestroy).</summary>
    void DestroyEvent(nint @event);

    /// <summary>Loads a CUBIN image into the current context (cuModuleLoadData).</summary>
    nint LoadModule(ReadOnlySpan<byte> image);

    /// <summary>Unloads a module (cuModuleUnload).</summary>
    void UnloadModule(nint module);

    /// <summary>A kernel of a loaded module by its extern "C" name (cuModuleGetFunction).</summary>
    nint GetFunction(nint module, string name);

    /// <summary>Launches <paramref name="function"/> (cuLaunchKernel); <paramref name="arguments"/> points to one pointer per kernel parameter.</summary>
    void Launch(nint function, in LaunchConfig config, nint stream, void** arguments);
}

/// <summary>The device attributes the backend reads (CUdevice_attribute values).</summary>
internal enum DeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxGridDimX = 5,
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}

/// <summary>A kernel launch's shape: grid and block sizes (x only; y/z are 1) and dynamic shared memory.</summary>
internal readonly record struct LaunchConfig(int Grid, int Block, int SharedBytes = 0);
