using Backprop.Backends;

namespace Backprop;

/// <summary>
/// The flat buffer behind one or more tensors (views share it), owned by one device's <see cref="Backends.Allocator"/>:
/// a managed array on the CPU (and the checked device), a <see cref="DeviceBuffer"/> on a GPU.
/// Holds a version counter that every in-place write bumps, so autograd can detect a saved tensor that was modified
/// before backward. A buffer allocated inside a <see cref="TensorScope"/> belongs to that scope and goes back to its
/// allocator when the scope ends; the storage then refuses every access.
/// </summary>
internal sealed class Storage
{
    private Array? data;
    private DeviceBuffer? buffer;
    public int Version;

    /// <summary>The backward run that last stored this buffer as a .Grad (see Engine); avoids a hash set per run.</summary>
    public int HandedOutRun;

    /// <summary>The scope that recycles this buffer when it ends, or null for a buffer the GC collects.</summary>
    public TensorScope? Scope;

    /// <summary>The allocator (and so the device) that owns the buffer.</summary>
    public readonly Allocator Allocator;

    public Storage(Allocator allocator, Array data)
    {
        Allocator = allocator;
        this.data = data;
    }

    /// <summary>A storage over device memory (no host array: <see cref="Data"/> throws, the device's backend reads <see cref="Buffer"/>).</summary>
    public Storage(Allocator allocator, DeviceBuffer buffer)
    {
        Allocator = allocator;
        this.buffer = buffer;
    }

    /// <summary>The device holding the buffer.</summary>
    public Device Device => Allocator.Device;

    /// <summary>The backend that computes on this buffer.</summary>
    public IBackend Backend => Allocator.Backend;

    /// <summary>
    /// The raw buffer, for the backend only; throws once a scope has recycled it, and on a guarding device (the checked
    /// test device) when called from outside a backend primitive.
    /// </summary>
    public Array Data
    {
        get
        {
            var d = data ?? throw (buffer is null ? Recycled() : BypassedBackend(Device));
            if (Allocator.GuardsRawAccess && !BackendGuard.Inside) throw BypassedBackend(Device);
            return d;
        }
    }

    /// <summary>The device memory, for the device's backend only; throws once a scope has recycled it.</summary>
    public DeviceBuffer Buffer => buffer ?? throw (data is null ? Recycled() : BypassedBackend(Device));

    private static ObjectDisposedException Recycled() => new(nameof(Tensor),
        "This tensor's data was recycled when the TensorScope it was created in was disposed. " +
        "Call MoveToOuterScope() or DetachFromScope() on tensors you need after the scope, or read their values (Item(), ToArray()) inside it.");

    /// <summary>The error of a raw access that bypassed the backend on a device that forbids it.</summary>
    internal static InvalidOperationException BypassedBackend(Device device) =>
        new($"internal: raw access to a tensor buffer on device {device} from outside its backend. Every op must reach " +
            "numbers through an IBackend primitive (or the data in/out API: FromArray, ToArray, Item), never through Span/Array.");

    /// <summary>A buffer of the default device (<see cref="Allocators.Default"/>); see the overload.</summary>
    public static Storage Allocate(DType dtype, int length, bool uninitialized = false) => Allocate(Allocators.Default, dtype, length, uninitialized);

    /// <summary>
    /// A zero-filled buffer from <paramref name="allocator"/>, or with <paramref name="uninitialized"/> one whose contents
    /// are garbage (for kernels that overwrite every element). Inside a <see cref="TensorScope"/> the buffer comes from the
    /// allocator's pool and is registered with the scope — unless it is smaller than <see cref="MinPooledBytes"/>, where a
    /// fresh allocation is cheaper than the pool's lookup.
    /// </summary>
    public static Storage Allocate(Allocator allocator, DType dtype, int length, bool uninitialized = false)
    {
        var scope = (long)length * dtype.ElementSize() >= allocator.MinPooledBytes ? TensorScope.Current : null;
        var storage = allocator.Allocate(dtype, length, uninitialized, pooled: scope is not null);
        scope?.Register(storage);
        return storage;
    }

    /// <summary>Host buffers below this size are left to the GC even inside a scope (for tiny tensors the pool's lookup costs more than the allocation it saves); see <see cref="Allocator.MinPooledBytes"/>.</summary>
    public const int MinPooledBytes = 1024;

    /// <summary>Hands the buffer back to its allocator; every later access through any tensor over this storage throws.</summary>
    public void Release()
    {
        if (data is not null) Allocator.Release(data);
        else if (buffer is not null) buffer.Free();
        else return;
        data = null;
        buffer = null;
        Scope = null;
    }
}
