namespace Backprop.Backends.Cpu;

/// <summary>The CPU's memory: managed arrays, recycled through the calling thread's <see cref="BufferPool"/>.</summary>
internal class CpuAllocator : Allocator
{
    /// <summary>The one instance.</summary>
    public static CpuAllocator Instance { get; } = new();

    /// <summary>The CPU's allocator, or with <paramref name="guardsRawAccess"/> the checked device's.</summary>
    protected CpuAllocator(bool guardsRawAccess = false) : base(guardsRawAccess) { }

    public override Device Device => Device.Cpu;

    public override IBackend Backend => CpuBackend.Instance;

    public override Storage Allocate(DType dtype, int length, bool uninitialized, bool pooled) =>
        new(this, Buffer(dtype, length, uninitialized, pooled));

    private static Array Buffer(DType dtype, int length, bool uninitialized, bool pooled) =>
        (pooled ? BufferPool.TryRent(dtype, length, uninitialized) : null) ?? dtype switch
        {
            DType.Float32 => Make<float>(length, uninitialized),
            DType.Float64 => Make<double>(length, uninitialized),
            _ => Make<long>(length, uninitialized),
        };

    public override void Release(Array buffer) => BufferPool.Return(buffer);

    private static T[] Make<T>(int length, bool uninitialized) =>
        length == 0 ? [] : uninitialized ? GC.AllocateUninitializedArray<T>(length) : new T[length];
}
