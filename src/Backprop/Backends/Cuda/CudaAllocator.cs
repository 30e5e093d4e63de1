namespace Backprop.Backends.Cuda;

/// <summary>
/// One block of a CUDA device's <see cref="CachingAllocator"/> held by a <see cref="Storage"/>. Goes back to the caching
/// allocator's free list when its <see cref="TensorScope"/> ends, or, for a storage outside every scope, when the GC
/// finalizes it (PyTorch frees on the last reference; .NET has no reference count). Returning a block from the finalizer
/// thread is safe: no new work can name an unreachable storage, and work already queued on the device's one stream runs
/// before any later reuse of the block on that stream.
/// </summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    private readonly CachingAllocator owner;
    private int freed;

    public CudaBuffer(CachingAllocator owner, DeviceBlock block)
    {
        this.owner = owner;
        Block = block;
    }

    /// <summary>The device block (address, rounded size, stream).</summary>
    public DeviceBlock Block { get; }

    /// <summary>The device address of the block's first byte.</summary>
    public ulong Pointer => Block.Pointer;

    public override void Free()
    {
        if (Interlocked.Exchange(ref freed, 1) != 0) return;
        owner.Release(Block);
        GC.SuppressFinalize(this);
    }

    ~CudaBuffer()
    {
        if (Interlocked.Exchange(ref freed, 1) == 0) owner.Release(Block);
    }
}

/// <summary>
/// A CUDA device's memory as the tensor layer sees it: storages holding <see cref="CudaBuffer"/>s cut from the device's
/// <see cref="CachingAllocator"/> (so a <see cref="TensorScope"/> releases into its free lists and a repeated training step
/// allocates nothing from the driver after the first), zero-filled on the device's stream unless asked uninitialized.
/// Every buffer is registered with the current scope, whatever its size (<see cref="Allocator.MinPooledBytes"/> = 0).
/// </summary>
internal sealed class CudaAllocator : Allocator
{
    private static readonly Lock gate = new();
    private static readonly Dictionary<int, CudaAllocator> opened = [];

    /// <summary>The allocator (and backend) of an opened device.</summary>
    public CudaAllocator(CudaDevice device) : base(guardsRawAccess: false, minPooledBytes: 0)
    {
        Cuda = device;
        Device = Backprop.Device.Cuda(device.Ordinal);
        backend = new CudaBackend(this);
    }

    private readonly CudaBackend backend;

    /// <summary>The device: context, stream, caching allocator, kernels, cuBLAS.</summary>
    public CudaDevice Cuda { get; }

    public override Device Device { get; }

    public override IBackend Backend => backend;

    /// <summary>
    /// The allocator of CUDA device <paramref name="device"/>, opening it on first use (primary context, stream, and the
    /// kernel cache in <see cref="KernelCache.DefaultDirectory"/>; NVRTC loads at the first kernel, so moving tensors
    /// needs only the driver); throws saying why when CUDA or that device is missing.
    /// </summary>
    public static CudaAllocator For(Device device, string op)
    {
        lock (gate)
        {
            if (opened.TryGetValue(device.Index, out var known)) return known;
            if (CudaRuntime.Driver is not { } driver || device.Index >= CudaRuntime.DeviceCount) throw CudaRuntime.Unusable(device, op);
            var cuda = new CudaDevice(driver, device.Index, new KernelCache(new LazyNvrtc(), KernelCache.DefaultDirectory()));
            return opened[device.Index] = new CudaAllocator(cuda);
        }
    }

    public override unsafe Storage Allocate(DType dtype, int length, bool uninitialized, bool pooled)
    {
        Cuda.MakeCurrent();
        long bytes = (long)length * dtype.ElementSize();
        var block = Cuda.Allocator.Allocate(bytes, Cuda.Stream);
        if (!uninitialized && bytes > 0) Cuda.Driver.Memset32(block.Pointer, 0, (bytes + 3) / 4, Cuda.Stream);
        return new Storage(this, new CudaBuffer(Cuda.Allocator, block));
    }
}

/// <summary>NVRTC loaded on its first use (the first kernel compiled), not when a device is opened.</summary>
internal sealed class LazyNvrtc : INvrtc
{
    private readonly Lazy<Nvrtc> nvrtc = new(Nvrtc.Open);

    public (int Major, int Minor) Version => nvrtc.Value.Version;

    public (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options) => nvrtc.Value.Compile(source, name, options);
}
