using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// A <see cref="CudaDevice"/> on the <see cref="EmulatedCudaDriver"/> for the kernel tests: odd block sizes (7 by default)
/// on 2 SMs, its kernel cache in a temporary folder, and cuBLAS as <paramref name="blas"/> when given.
/// </summary>
internal sealed class EmulatedDevice : IDisposable
{
    private readonly string cache = Path.Combine(Path.GetTempPath(), "bp-emu-cache-" + Guid.NewGuid().ToString("N"));

    public EmulatedDevice(int blockSize = 7, int multiprocessors = 2, ICublas? blas = null)
    {
        Driver = new EmulatedCudaDriver(multiprocessors);
        Device = new CudaDevice(Driver, 0, new KernelCache(new HostKernelCompiler(), cache), blas is null ? null : () => blas) { BlockSize = blockSize };
    }

    public EmulatedCudaDriver Driver { get; }
    public CudaDevice Device { get; }

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
        Device.Dispose();
        Driver.Dispose();
        try { Directory.Delete(cache, recursive: true); } catch (IOException) { }
    }
}
