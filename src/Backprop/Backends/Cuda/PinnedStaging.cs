namespace Backprop.Backends.Cuda;

/// <summary>
/// Moves a stream of host batches to a CUDA device through page-locked host memory (PyTorch's <c>pin_memory=True</c>
/// with <c>.to(device, non_blocking=True)</c>): each batch is packed into a pinned buffer (cuMemAllocHost) and copied
/// with cuMemcpyHtoDAsync on the device's stream, without waiting, so the host gathers the next batch while the device
/// still computes on this one. Two buffers alternate; before a buffer is refilled, the event recorded after its last copy
/// is waited for, so a copy never reads memory the host is overwriting. Buffers grow to the largest batch and are kept.
/// </summary>
internal sealed unsafe class PinnedStaging(CudaAllocator target) : IDisposable
{
    private const long Alignment = 256;

    private sealed class Slot
    {
        public nint Host;
        public long Capacity;
        public nint Event;
        public bool Copying;
    }

    private readonly Slot[] slots = [new(), new()];
    private int next;

    /// <summary>Pinned buffers allocated so far (a steady stream of same-sized batches stops at two).</summary>
    public int HostAllocations { get; private set; }

    /// <summary>
    /// Device copies of <paramref name="batch"/>'s tensors (any device; read to the host first), allocated from the
    /// target device in the current <see cref="TensorScope"/>. Returns as soon as the copies are queued.
    /// </summary>
    public Tensor[] Stage(Tensor[] batch)
    {
        var cuda = target.Cuda;
        cuda.MakeCurrent();
        var slot = slots[next];
        next ^= 1;
        if (slot.Copying) cuda.Driver.SynchronizeEvent(slot.Event);
        long total = 0;
        foreach (var t in batch) total += Aligned((long)t.Numel * t.DType.ElementSize());
        Reserve(slot, total);
        var result = new Tensor[batch.Length];
        long offset = 0;
        for (int f = 0; f < batch.Length; f++)
        {
            var src = batch[f].Contiguous();
            long bytes = (long)src.Numel * src.DType.ElementSize();
            byte* host = (byte*)slot.Host + offset;
            switch (src.DType)
            {
                case DType.Float32: Backend.Of(src).CopyToHost(src.Layout, new Span<float>(host, src.Numel)); break;
                case DType.Float64: Backend.Of(src).CopyToHost(src.Layout, new Span<double>(host, src.Numel)); break;
                default: Backend.Of(src).CopyToHost(src.Layout, new Span<long>(host, src.Numel)); break;
            }
            var dst = Tensor.Uninitialized(src.Shape, src.DType, target);
            if (bytes > 0) cuda.Driver.CopyHostToDevice(CudaBackend.Pointer(dst.Layout), host, bytes, cuda.Stream);
            result[f] = dst;
            offset += Aligned(bytes);
        }
        cuda.Driver.RecordEvent(slot.Event, cuda.Stream);
        slot.Copying = true;
        return result;
    }

    private static long Aligned(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    private void Reserve(Slot slot, long bytes)
    {
        var driver = target.Cuda.Driver;
        if (slot.Event == 0) slot.Event = driver.CreateEvent(timing: false);
        if (slot.Capacity >= bytes) return;
        if (slot.Host != 0) driver.FreeHost(slot.Host);
        slot.Host = 0;
        slot.Host = driver.AllocateHost(Math.Max(bytes, Alignment));
        slot.Capacity = Math.Max(bytes, Alignment);
        HostAllocations++;
    }

    /// <summary>Waits for the copies in flight and frees the pinned buffers and events.</summary>
    public void Dispose()
    {
        var driver = target.Cuda.Driver;
        target.Cuda.MakeCurrent();
        foreach (var slot in slots)
        {
            if (slot.Copying) driver.SynchronizeEvent(slot.Event);
            if (slot.Host != 0) driver.FreeHost(slot.Host);
            if (slot.Event != 0) driver.DestroyEvent(slot.Event);
            slot.Host = 0;
            slot.Event = 0;
            slot.Capacity = 0;
            slot.Copying = false;
        }
    }
}
