using Backprop.Backends;
using Backprop.Backends.Cpu;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// A <see cref="CudaDevice"/> on the <see cref="EmulatedCudaDriver"/> for the kernel parity tests: odd block sizes (7 by
/// default, 2 SMs), helpers to upload, download and launch with loosely typed arguments, and the CPU backend's answer
/// for the same inputs (<see cref="Cpu"/>).
/// </summary>
internal sealed class EmulatedDevice : IDisposable
{
    private readonly string cache = Path.Combine(Path.GetTempPath(), "bp-emu-cache-" + Guid.NewGuid().ToString("N"));
    private readonly List<DeviceBlock> owned = [];

    public EmulatedDevice(int blockSize = 7, int multiprocessors = 2, ICublas? blas = null)
    {
        Driver = new EmulatedCudaDriver(multiprocessors);
        Device = new CudaDevice(Driver, 0, new KernelCache(new HostKernelCompiler(), cache), blas is null ? null : () => blas) { BlockSize = blockSize };
    }

    public EmulatedCudaDriver Driver { get; }
    public CudaDevice Device { get; }

    /// <summary>A device copy of <paramref name="values"/>.</summary>
    public ulong Up<T>(T[] values) where T : unmanaged
    {
        var block = Device.Upload<T>(values.Length == 0 ? new T[1] : values);
        owned.Add(block);
        return block.Pointer;
    }

    /// <summary>A device copy of a CPU tensor's elements (row-major), in its dtype.</summary>
    public ulong Up(Tensor t) => t.DType switch
    {
        DType.Float32 => Up(t.ToArray<float>()),
        DType.Float64 => Up(t.ToArray<double>()),
        _ => Up(t.ToArray<long>()),
    };

    /// <summary><paramref name="count"/> elements of <paramref name="pointer"/>.</summary>
    public T[] Down<T>(ulong pointer, int count) where T : unmanaged => Device.Download<T>(new DeviceBlock(pointer, 0, 0), count);

    /// <summary>The elements of a device buffer of <paramref name="dtype"/> as doubles.</summary>
    public double[] DownAsDouble(ulong pointer, int count, DType dtype) => dtype switch
    {
        DType.Float32 => [.. Down<float>(pointer, count).Select(v => (double)v)],
        DType.Float64 => Down<double>(pointer, count),
        _ => [.. Down<long>(pointer, count).Select(v => (double)v)],
    };

    /// <summary>Launches a grid-stride kernel over <paramref name="n"/> with <paramref name="args"/> (long, int, double, ulong, KernelDims, KernelStrides).</summary>
    public void Run(string module, string kernel, long n, params object[] args)
    {
        using var packed = Pack(args);
        Device.Launch(module, kernel, n, packed);
    }

    /// <summary>Launches with an explicit shape.</summary>
    public void Run(string module, string kernel, LaunchConfig config, params object[] args)
    {
        using var packed = Pack(args);
        Device.Launch(module, kernel, config, packed);
    }

    private static KernelArgs Pack(object[] args)
    {
        var packed = new KernelArgs();
        foreach (var a in args)
            _ = a switch
            {
                long v => packed.Add(v),
                int v => packed.Add(v),
                double v => packed.Add(v),
                ulong v => packed.Add(v),
                KernelDims v => packed.Add(v),
                KernelStrides v => packed.Add(v),
                _ => throw new ArgumentException($"kernel argument of type {a.GetType().Name}"),
            };
        return packed;
    }

    /// <summary>Runs <paramref name="primitive"/> on the CPU backend inside the backend guard (so it also works in the checked pass).</summary>
    public static void Cpu(Action<CpuBackend> primitive)
    {
        using var _ = BackendGuard.Enter();
        primitive(CpuBackend.Instance);
    }

    /// <summary>A CPU tensor of <paramref name="shape"/> with values uniform in [lo, hi), in <paramref name="dtype"/>.</summary>
    public static Tensor Random(int[] shape, DType dtype, int seed, double lo = -3, double hi = 3)
    {
        var rng = new Random(seed);
        var values = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = lo + (hi - lo) * rng.NextDouble();
        return Tensor.FromArray(values, shape).To(Backprop.Device.Cpu).To(dtype);
    }

    /// <summary>Asserts |e − a| ≤ tol·max(|e|, 1) elementwise (NaN matches NaN, infinities match exactly).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a) || e == a) continue;
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(Math.Abs(e), 1), $"{what}[{i}]: expected {e:R}, got {a:R} (tolerance {tol})");
        }
    }

    public void Dispose()
    {
        foreach (var b in owned) Device.Allocator.Release(b);
        Device.Dispose();
        Driver.Dispose();
        try { Directory.Delete(cache, recursive: true); } catch (IOException) { }
    }
}
