namespace Backprop.Backends.Cuda;

/// <summary>One block of device memory handed out by the <see cref="CachingAllocator"/>.</summary>
/// <param name="Pointer">The device address (<c>CUdeviceptr</c>).</param>
/// <param name="Size">The block's size in bytes after rounding (its free-list bin).</param>
/// <param name="Stream">The stream the block was allocated for; it is reused only on that stream.</param>
internal sealed record DeviceBlock(ulong Pointer, long Size, nint Stream);

/// <summary>
/// The CUDA device's caching allocator (PyTorch's <c>CUDACachingAllocator</c>, simplified): a freed block is not given back
/// to the driver but kept in a free list binned by (stream, rounded size) and handed out again for the next request of the
/// same bin on the same stream, so a training step that repeats the same shapes allocates nothing from the driver after
/// the first step. <see cref="TensorScope"/> releases a scope's CUDA storages into it.
/// </summary>
/// <remarks>
/// Rounding (the bins): requests up to <see cref="SmallLimit"/> (1 MiB) round up to a multiple of <see cref="MinBlock"/>
/// (512 B, c10's <c>kMinBlockSize</c>); larger ones round up to one of <see cref="Divisions"/> steps between consecutive
/// powers of two (c10's <c>roundup_power2_divisions</c> = 4: 1.25, 1.5, 1.75, 2 MiB, 2.5, 3, 3.5, 4 MiB, …), which bounds
/// the waste at 25% while letting nearby sizes share a bin. Simpler than c10: a bin reuses whole blocks of exactly its size
/// (no best-fit splitting or merging of segments), and a block is reused only on its own stream, where stream order makes
/// reuse safe without events (the backend uses one stream per device). When the driver is out of memory, every cached
/// block is freed (after a device synchronize) and the allocation retried once; a second failure throws
/// <see cref="CudaOutOfMemoryException"/> saying how much was asked and how much is free.
/// </remarks>
internal sealed class CachingAllocator(ICudaDriver driver)
{
    public const long MinBlock = 512;
    public const long SmallLimit = 1 << 20;
    public const int Divisions = 4;

    private readonly Dictionary<(nint Stream, long Size), Stack<DeviceBlock>> free = [];
    private readonly Lock gate = new();

    /// <summary>Calls to the driver's cuMemAlloc so far (a repeated pattern stops adding to it after its first round).</summary>
    public int DriverAllocations { get; private set; }

    /// <summary>Calls to the driver's cuMemFree so far.</summary>
    public int DriverFrees { get; private set; }

    /// <summary>Bytes in blocks handed out and not yet released (<c>torch.cuda.memory_allocated</c>, rounded sizes).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Bytes held from the driver, handed out or cached (<c>torch.cuda.memory_reserved</c>).</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>Bytes in cached (free) blocks.</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;

    /// <summary>The bin of a request of <paramref name="bytes"/>: see the class remarks.</summary>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes <= SmallLimit) return Math.Max(MinBlock, (bytes + MinBlock - 1) / MinBlock * MinBlock);
        long floor = 1L << (63 - (int)long.LeadingZeroCount(bytes)); // the power of two at or below
        long step = floor / Divisions;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A block of at least <paramref name="bytes"/> for work on <paramref name="stream"/>: a cached one of the same bin, else a new one from the driver.</summary>
    public DeviceBlock Allocate(long bytes, nint stream, string op = "allocate")
    {
        long size = RoundSize(bytes);
        lock (gate)
        {
            if (free.TryGetValue((stream, size), out var bin) && bin.TryPop(out var cached))
            {
                AllocatedBytes += size;
                return cached;
            }
            ulong pointer;
            try { pointer = driver.Allocate(size); }
            catch (CudaException e) when (e.Code == CudaErrors.OutOfMemory)
            {
                driver.Synchronize();
                ReleaseCached();
                try { pointer = driver.Allocate(size); }
                catch (CudaException again) when (again.Code == CudaErrors.OutOfMemory)
                {
                    var (freeBytes, total) = driver.MemoryInfo();
                    throw new CudaOutOfMemoryException(op, size, freeBytes, total, AllocatedBytes);
                }
            }
            DriverAllocations++;
            ReservedBytes += size;
            AllocatedBytes += size;
            return new DeviceBlock(pointer, size, stream);
        }
    }

    /// <summary>Takes a block back into its (stream, size) bin; the driver keeps the memory.</summary>
    public void Release(DeviceBlock block)
    {
        lock (gate)
        {
            if (!free.TryGetValue((block.Stream, block.Size), out var bin)) free[(block.Stream, block.Size)] = bin = new Stack<DeviceBlock>();
            bin.Push(block);
            AllocatedBytes -= block.Size;
        }
    }

    /// <summary>Gives every cached block back to the driver (<c>torch.cuda.empty_cache()</c>); blocks in use stay.</summary>
    public void EmptyCache()
    {
        lock (gate)
        {
            if (CachedBytes > 0) driver.Synchronize();
            ReleaseCached();
        }
    }

    private void ReleaseCached()
    {
        foreach (var bin in free.Values)
            while (bin.TryPop(out var block))
            {
                driver.Free(block.Pointer);
                DriverFrees++;
                ReservedBytes -= block.Size;
            }
        free.Clear();
    }
}
