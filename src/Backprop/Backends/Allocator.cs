namespace Backprop.Backends;

/// <summary>
/// A device's memory (c10's per-device <c>Allocator</c>): hands out the buffers of that device's storages and takes them
/// back when a <see cref="TensorScope"/> recycles them, so each device keeps its own pool. The CPU's pools managed arrays
/// per thread (<see cref="BufferPool"/>); the CUDA device's caches device blocks (<see cref="Cuda.CudaAllocator"/>) and
/// hands out storages holding a <see cref="DeviceBuffer"/> instead of an array.
/// </summary>
internal abstract class Allocator
{
    /// <summary>The device whose memory this is.</summary>
    public abstract Device Device { get; }

    /// <summary>The backend that computes on this device's buffers.</summary>
    public abstract IBackend Backend { get; }

    /// <summary>True when raw access to a buffer from outside <see cref="Backend"/> must throw (the checked test device).</summary>
    /// <remarks>A field, not a virtual property: every <c>Storage.Data</c> reads it.</remarks>
    public readonly bool GuardsRawAccess;

    /// <summary>
    /// Buffers smaller than this many bytes are not registered with a <see cref="TensorScope"/> (the CPU's 1 KiB: for tiny
    /// arrays the pool's lookup costs more than the allocation; a device registers every buffer, since its pool is cheap and
    /// the driver's allocation is not).
    /// </summary>
    public readonly int MinPooledBytes;

    /// <summary>Sets <see cref="GuardsRawAccess"/> and <see cref="MinPooledBytes"/>.</summary>
    protected Allocator(bool guardsRawAccess = false, int minPooledBytes = Storage.MinPooledBytes)
    {
        GuardsRawAccess = guardsRawAccess;
        MinPooledBytes = minPooledBytes;
    }

    /// <summary>
    /// A storage of <paramref name="length"/> elements — zero-filled unless <paramref name="uninitialized"/> — whose buffer
    /// is taken from the pool when <paramref name="pooled"/> (the caller registers it with a scope) and the pool has one.
    /// </summary>
    public abstract Storage Allocate(DType dtype, int length, bool uninitialized, bool pooled);

    /// <summary>Takes back a host buffer whose scope ended (it may be handed out again); device buffers free themselves (<see cref="DeviceBuffer.Free"/>).</summary>
    public virtual void Release(Array buffer) =>
        throw new InvalidOperationException($"internal: the allocator of {Device} holds no host arrays.");
}

/// <summary>
/// A buffer in a device's own memory (a CUDA block), held by a <see cref="Storage"/> in place of a managed array (c10's
/// <c>DataPtr</c> with its deleter). Freed exactly once: by the storage's scope, or by the finalizer when the storage was
/// never in a scope (or was moved out of all of them) and the GC collects it.
/// </summary>
internal abstract class DeviceBuffer
{
    /// <summary>Hands the memory back to its allocator's pool; called once.</summary>
    public abstract void Free();
}

/// <summary>The allocators of the devices this build has, and the one new tensors go to.</summary>
internal static class Allocators
{
    /// <summary>The environment variable that puts new tensors on the test-only checked device (value <c>checked</c>).</summary>
    public const string TestDeviceVariable = "BACKPROP_TEST_DEVICE";

    /// <summary>The CPU's allocator.</summary>
    public static Allocator Cpu => Backends.Cpu.CpuAllocator.Instance;

    /// <summary>
    /// The allocator of the device new tensors are created on: the CPU, or the checked device when
    /// <see cref="TestDeviceVariable"/> is <c>checked</c> (the test suite's second pass).
    /// </summary>
    public static Allocator Default { get; } = Environment.GetEnvironmentVariable(TestDeviceVariable) switch
    {
        null or "" or "cpu" => Cpu,
        "checked" => Checked.CheckedAllocator.Instance,
        var other => throw new InvalidOperationException($"{TestDeviceVariable}={other} is not a device; use cpu or checked."),
    };

    /// <summary>The allocator of <paramref name="device"/>; throws naming the device when this build has no backend for it.</summary>
    public static Allocator For(Device device, string op) =>
        device == Backprop.Device.Cpu ? Cpu
        : device == Backprop.Device.Checked ? Checked.CheckedAllocator.Instance
        : device.Kind == DeviceKind.Cuda ? Cuda.CudaAllocator.For(device, op)
        : throw Tensor.Unavailable(device, op);
}
