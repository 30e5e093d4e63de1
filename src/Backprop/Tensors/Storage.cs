namespace Backprop;

/// <summary>
/// The flat buffer behind one or more tensors (views share it). Holds a version counter that every
/// in-place write bumps, so autograd can detect a saved tensor that was modified before backward.
/// A buffer allocated inside a <see cref="TensorScope"/> belongs to that scope and goes back to the
/// thread's <see cref="BufferPool"/> when the scope ends; the storage then refuses every access.
/// </summary>
internal sealed class Storage
{
    private Array? data;
    public int Version;

    /// <summary>The backward run that last stored this buffer as a .Grad (see Engine); avoids a hash set per run.</summary>
    public int HandedOutRun;

    /// <summary>The scope that recycles this buffer when it ends, or null for a buffer the GC collects.</summary>
    public TensorScope? Scope;

    public Storage(Array data) => this.data = data;

    /// <summary>The device holding the buffer: this storage is the CPU's (a managed array).</summary>
    public Device Device => Device.Cpu;

    /// <summary>The backend that computes on this buffer.</summary>
    public Backends.IBackend Backend => Backends.Cpu.CpuBackend.Instance;

    /// <summary>The buffer; throws once a scope has recycled it.</summary>
    public Array Data => data ?? throw new ObjectDisposedException(nameof(Tensor),
        "This tensor's data was recycled when the TensorScope it was created in was disposed. " +
        "Call MoveToOuterScope() or DetachFromScope() on tensors you need after the scope, or read their values (Item(), ToArray()) inside it.");

    /// <summary>
    /// A zero-filled buffer, or with <paramref name="uninitialized"/> one whose contents are garbage (for kernels that
    /// overwrite every element). Inside a <see cref="TensorScope"/> the buffer comes from the thread's pool and is
    /// registered with the scope — unless it is smaller than <see cref="MinPooledBytes"/>, where a fresh allocation is
    /// cheaper than the pool's lookup.
    /// </summary>
    public static Storage Allocate(DType dtype, int length, bool uninitialized = false)
    {
        var scope = (long)length * dtype.ElementSize() >= MinPooledBytes ? TensorScope.Current : null;
        var storage = new Storage((scope is null ? null : BufferPool.TryRent(dtype, length, uninitialized)) ?? dtype switch
        {
            DType.Float32 => Make<float>(length, uninitialized),
            DType.Float64 => Make<double>(length, uninitialized),
            _ => Make<long>(length, uninitialized),
        });
        scope?.Register(storage);
        return storage;
    }

    /// <summary>Buffers below this size are left to the GC even inside a scope (for tiny tensors the pool's lookup costs more than the allocation it saves).</summary>
    public const int MinPooledBytes = 1024;

    /// <summary>Hands the buffer to the pool; every later access through any tensor over this storage throws.</summary>
    public void Release()
    {
        if (data is null) return;
        BufferPool.Return(data);
        data = null;
        Scope = null;
    }

    private static T[] Make<T>(int length, bool uninitialized) =>
        length == 0 ? [] : uninitialized ? GC.AllocateUninitializedArray<T>(length) : new T[length];
}
