using System.Runtime.InteropServices;

namespace Backprop.Backends.Cuda;

/// <summary>
/// One CUDA device as the backend uses it: its primary context, one non-blocking stream (candle's choice: every op is
/// ordered on it, so the allocator may reuse a block as soon as it is released), the <see cref="CachingAllocator"/>,
/// the kernel modules (compiled through the <see cref="KernelCache"/> for this device's architecture, loaded once), and
/// cuBLAS. Kernels run as <see cref="Launch(string, string, long, KernelArgs)"/>: a grid-stride launch over <c>n</c> elements with packed parameters.
/// </summary>
internal sealed unsafe class CudaDevice : IDisposable
{
    private readonly Dictionary<string, nint> modules = [];
    private readonly Dictionary<string, nint> functions = [];
    private readonly Func<ICublas>? openBlas;
    private ICublas? blas;

    public CudaDevice(ICudaDriver driver, int ordinal, KernelCache kernels, Func<ICublas>? openBlas = null)
    {
        Driver = driver;
        Ordinal = ordinal;
        Kernels = kernels;
        this.openBlas = openBlas;
        Context = driver.RetainPrimaryContext(ordinal);
        driver.SetCurrent(Context);
        current = this;
        Arch = driver.Attribute(ordinal, DeviceAttribute.ComputeCapabilityMajor) * 10 + driver.Attribute(ordinal, DeviceAttribute.ComputeCapabilityMinor);
        Multiprocessors = driver.Attribute(ordinal, DeviceAttribute.MultiprocessorCount);
        Stream = driver.CreateStream();
        Allocator = new CachingAllocator(driver);
    }

    [ThreadStatic] private static CudaDevice? current;

    public ICudaDriver Driver { get; }
    public int Ordinal { get; }

    /// <summary>The device's primary context.</summary>
    public nint Context { get; }

    /// <summary>
    /// Makes this device's context the calling thread's current one (CUDA's current context is per thread: a DataLoader
    /// worker or another test thread starts with none); a field compare when it already is.
    /// </summary>
    public void MakeCurrent()
    {
        if (current == this) return;
        Driver.SetCurrent(Context);
        current = this;
    }

    /// <summary>The compute capability as NVRTC's <c>sm_XX</c> number (90 for an H100/H200).</summary>
    public int Arch { get; }
    public int Multiprocessors { get; }
    public nint Stream { get; }
    public CachingAllocator Allocator { get; }
    public KernelCache Kernels { get; }

    /// <summary>cuBLAS on this device's stream, created on first use with TF32 off.</summary>
    public ICublas Blas
    {
        get
        {
            if (blas is not null) return blas;
            blas = (openBlas ?? Cublas.Open)();
            blas.SetStream(Stream);
            return blas;
        }
    }

    /// <summary>Compiles (or finds in the cache) and loads <paramref name="module"/>; returns the module handle.</summary>
    public nint Module(string module)
    {
        if (modules.TryGetValue(module, out var m)) return m;
        var cubin = Kernels.GetOrCompile(KernelSources.Source(module), module, Arch);
        return modules[module] = Driver.LoadModule(cubin);
    }

    /// <summary>The kernel <paramref name="kernel"/> of <paramref name="module"/>.</summary>
    public nint Function(string module, string kernel)
    {
        if (functions.TryGetValue(kernel, out var f)) return f;
        return functions[kernel] = Driver.GetFunction(Module(module), kernel);
    }

    /// <summary>
    /// Threads per block of <see cref="Launch(string, string, long, KernelArgs)"/> (<see cref="LaunchGeometry.BlockSize"/>);
    /// every kernel is correct for any block size up to 1024, and the emulator tests set odd ones.
    /// </summary>
    public int BlockSize { get; set; } = LaunchGeometry.BlockSize;

    /// <summary>Launches a grid-stride kernel over <paramref name="n"/> elements (nothing for n = 0) with <paramref name="args"/>.</summary>
    public void Launch(string module, string kernel, long n, KernelArgs args) =>
        Launch(module, kernel, LaunchGeometry.Elementwise(n, Multiprocessors, BlockSize), args);

    /// <summary>Launches <paramref name="kernel"/> with an explicit shape (nothing for an empty grid), e.g. one block for a reduction's last pass.</summary>
    public void Launch(string module, string kernel, LaunchConfig config, KernelArgs args)
    {
        if (config.Grid == 0) return;
        MakeCurrent();
        Driver.Launch(Function(module, kernel), config, Stream, args.Pointers);
    }

    /// <summary>A device block holding <paramref name="values"/> (copied on the stream).</summary>
    public DeviceBlock Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        long bytes = (long)values.Length * sizeof(T);
        var block = Allocator.Allocate(bytes, Stream, "upload");
        fixed (T* p = values) Driver.CopyHostToDevice(block.Pointer, p, bytes, Stream);
        Driver.SynchronizeStream(Stream); // pageable source: it must stay valid until the copy is done
        return block;
    }

    /// <summary>The first <paramref name="count"/> elements of <paramref name="block"/>, after the stream's work before it.</summary>
    public T[] Download<T>(DeviceBlock block, int count) where T : unmanaged
    {
        var result = new T[count];
        fixed (T* p = result) Driver.CopyDeviceToHost(p, block.Pointer, (long)count * sizeof(T), Stream);
        Driver.SynchronizeStream(Stream);
        return result;
    }

    /// <summary>
    /// Row-major C (+)= A·B for contiguous A [m, k], B [k, n], C [m, n] through cuBLAS (column-major): computed as
    /// Cᵀ = Bᵀ·Aᵀ, so no operand is transposed in memory.
    /// </summary>
    public void Gemm(DType dtype, ulong a, ulong b, ulong c, int m, int k, int n, bool accumulate) =>
        Blas.Gemm(dtype, false, false, n, m, k, 1, b, n, 0, a, k, 0, accumulate ? 1 : 0, c, n, 0, 1);

    public void Dispose()
    {
        blas?.Dispose();
        foreach (var m in modules.Values) Driver.UnloadModule(m);
        modules.Clear();
        functions.Clear();
        Allocator.EmptyCache();
        Driver.DestroyStream(Stream);
    }
}
