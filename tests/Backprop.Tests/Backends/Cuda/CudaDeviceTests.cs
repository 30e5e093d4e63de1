using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public sealed class CudaDeviceTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "bp-cudadev-" + Guid.NewGuid().ToString("N"));
    private readonly FakeCudaDriver driver = new();
    private readonly CountingNvrtc nvrtc = new();

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private CudaDevice Open(RecordingBlas? blas = null) => new(driver, 0, new KernelCache(nvrtc, dir), blas is null ? null : () => blas);

    [Fact]
    public void Kernels_AreCompiledOncePerModuleForTheDevicesArchitecture()
    {
        using var device = Open();
        Assert.Equal(90, device.Arch);
        nint relu = device.Function("unary", "map_relu_f32");
        nint exp = device.Function("unary", "map_exp_f64");
        Assert.Equal(relu, device.Function("unary", "map_relu_f32"));
        Assert.NotEqual(relu, exp);
        device.Function("fused", "adam_step_f32");
        Assert.Equal(["unary", "fused"], nvrtc.Compiled.Select(c => c.Name));
        Assert.All(nvrtc.Compiled, c => Assert.Contains("-arch=sm_90", c.Options));
    }

    [Fact]
    public void Launch_UsesTheElementwiseGeometryOnTheDevicesStream_AndSkipsEmptyWork()
    {
        using var device = Open();
        using var args = new KernelArgs().Add(1000L).Add(0UL).Add(0UL);
        device.Launch("unary", "map_neg_f32", 1000, args);
        device.Launch("unary", "map_neg_f32", 0, args);
        var (_, config) = Assert.Single(driver.Launches);
        Assert.Equal(LaunchGeometry.Elementwise(1000, 132), config);
    }

    [Fact]
    public void UploadDownload_RoundTripsThroughDeviceMemory()
    {
        using var device = Open();
        var block = device.Upload<double>([1.5, -2, 3e300]);
        Assert.Equal([1.5, -2, 3e300], device.Download<double>(block, 3));
        Assert.Equal(512, block.Size);
    }

    [Fact]
    public void Gemm_RowMajorIsComputedAsTheTransposedColumnMajorProduct()
    {
        var blas = new RecordingBlas();
        using var device = Open(blas);
        device.Gemm(DType.Float32, a: 10, b: 20, c: 30, m: 2, k: 3, n: 4, accumulate: true);
        // Cᵀ[n×m] = Bᵀ[n×k]·Aᵀ[k×m]: cuBLAS sees B (ld n) first, then A (ld k); C has ld n.
        Assert.Equal([false, false, 4, 2, 3, 20UL, 4, 10UL, 3, 1.0, 30UL, 4, 1], Assert.Single(blas.Calls));
        Assert.Equal(device.Stream, blas.Stream);
    }

    [Fact]
    public void KernelArgs_PackEachValueAtItsAlignment()
    {
        using var args = new KernelArgs();
        var dims = new KernelDims { NDim = 2 };
        unsafe { dims.Size[0] = 3; dims.Size[1] = 5; }
        args.Add(7).Add(1e-8).Add(0xDEADUL).Add(dims);
        Assert.Equal(4, args.Count);
        Assert.Equal(7, args.Get<int>(0));
        Assert.Equal(1e-8, args.Get<double>(1));
        Assert.Equal(0xDEADUL, args.Get<ulong>(2));
        var back = args.Get<KernelDims>(3);
        unsafe
        {
            Assert.Equal(0, (long)args.Pointers[1] % 8);
            Assert.Equal(5, back.Size[1]);
        }
        Assert.Equal(72, System.Runtime.InteropServices.Marshal.SizeOf<KernelDims>()); // int + padding + 8 longs, as in common.cuh
    }
}
