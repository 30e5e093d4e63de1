using System.Runtime.InteropServices;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// What the tests' drivers without a GPU share (<see cref="FakeCudaDriver"/>, <see cref="Emulator.EmulatedCudaDriver"/>):
/// one sm_90 device with <paramref name="multiprocessors"/> SMs, a primary context, streams and events as counters, pinned
/// host memory as native memory. Memory, copies, modules and launches are each driver's own.
/// </summary>
internal abstract unsafe class HostCudaDriverBase(string name, int multiprocessors) : ICudaDriver
{
    private long handles = 100;

    public int Synchronizations { get; private set; }
    public int DriverVersion => 13000;
    public int DeviceCount => 1;
    public string DeviceName(int ordinal) => name;

    public int Attribute(int ordinal, DeviceAttribute attribute) => attribute switch
    {
        DeviceAttribute.ComputeCapabilityMajor => 9,
        DeviceAttribute.ComputeCapabilityMinor => 0,
        DeviceAttribute.MultiprocessorCount => multiprocessors,
        DeviceAttribute.MaxThreadsPerBlock => 1024,
        _ => int.MaxValue,
    };

    public nint RetainPrimaryContext(int ordinal) => 1;
    public void SetCurrent(nint context) { }
    public void Synchronize() => Synchronizations++;
    public nint AllocateHost(long bytes) => (nint)NativeMemory.Alloc((nuint)bytes);
    public void FreeHost(nint pointer) => NativeMemory.Free((void*)pointer);
    public nint CreateStream() => NewHandle();
    public void DestroyStream(nint stream) { }
    public void SynchronizeStream(nint stream) => Synchronizations++;
    public nint CreateEvent(bool timing) => NewHandle();
    public void RecordEvent(nint @event, nint stream) { }
    public bool EventDone(nint @event) => true;
    public void SynchronizeEvent(nint @event) { }
    public float ElapsedMilliseconds(nint start, nint end) => 0;
    public void DestroyEvent(nint @event) { }
    public void UnloadModule(nint module) { }

    /// <summary>A fresh opaque handle.</summary>
    protected nint NewHandle() => (nint)Interlocked.Increment(ref handles);

    public abstract (long Free, long Total) MemoryInfo();
    public abstract ulong Allocate(long bytes);
    public abstract void Free(ulong pointer);
    public abstract void CopyHostToDevice(ulong destination, void* source, long bytes, nint stream);
    public abstract void CopyDeviceToHost(void* destination, ulong source, long bytes, nint stream);
    public abstract void CopyDeviceToDevice(ulong destination, ulong source, long bytes, nint stream);
    public abstract void Memset32(ulong destination, uint value, long count, nint stream);
    public abstract nint LoadModule(ReadOnlySpan<byte> image);
    public abstract nint GetFunction(nint module, string name);
    public abstract void Launch(nint function, in LaunchConfig config, nint stream, void** arguments);
}
