using System.Runtime.CompilerServices;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>
/// The CUDA backend's host side over the fake driver (device memory in host arrays, launches recorded, kernels not run):
/// storages holding device blocks, transfers, scope release into the caching allocator, the kernel each op launches and
/// the cuBLAS arguments of the GEMM's transposes.
/// </summary>
public sealed class CudaBackendTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "bp-cudabackend-" + Guid.NewGuid().ToString("N"));
    private readonly FakeCudaDriver driver = new();
    private readonly RecordingBlas blas = new();
    private readonly CudaDevice device;
    private readonly CudaAllocator cuda;

    public CudaBackendTests()
    {
        device = new CudaDevice(driver, 0, new KernelCache(new CountingNvrtc(), dir), () => blas);
        cuda = new CudaAllocator(device);
    }

    public void Dispose()
    {
        device.Dispose();
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void To_CopiesIntoDeviceMemory_AndBack()
    {
        var x = Tensor.FromArray([1.5f, -2f, 3e30f, 0f, 7f, -0.25f], [2, 3]);
        var g = x.To(cuda);
        Assert.Equal(Device.Cuda(0), g.Device);
        Assert.Equal([2, 3], g.Shape.ToArray());
        Assert.Equal(x.ToArray<float>(), g.ToArray<float>());
        Assert.Equal(x.ToArray<double>(), g.ToArray<double>()); // converted on the host
        Assert.Equal(-0.25f, g[1, 2].Item<float>());
        var back = g.Cpu();
        Assert.Equal(Device.Cpu, back.Device);
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
        Assert.Same(g, g.To(cuda));

        var i = Tensor.FromArray([3L, -1L, long.MaxValue]).To(cuda);
        Assert.Equal([3L, -1L, long.MaxValue], i.ToArray<long>());
        var d = Tensor.FromArray([0.1, 2.5]).To(cuda);
        Assert.Equal([0.1, 2.5], d.ToArray<double>());
    }

    [Fact]
    public void NewTensorsAreZeroFilledOnTheDevice_AndRawAccessFails()
    {
        var z = Tensor.Zeros([5]).To(cuda).ZerosLikeForTest();
        Assert.Equal(new float[5], z.ToArray<float>());
        Assert.Equal(Device.Cuda(0), z.Device);
        var e = Assert.Throws<InvalidOperationException>(() => z.Storage.Data);
        Assert.Contains("cuda:0", e.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([1]).Storage.Buffer);
    }

    [Fact]
    public void Scope_ReleasesBlocksIntoTheCachingAllocator_SoARepeatedStepAllocatesNothing()
    {
        var host = Tensor.FromArray(Enumerable.Range(0, 300).Select(i => (float)i).ToArray(), [3, 100]);
        int afterFirst = 0;
        Tensor? kept = null;
        for (int step = 0; step < 4; step++)
        {
            using var scope = new TensorScope();
            var x = host.To(cuda);
            var y = (x.Exp() * x).Transpose().Contiguous();
            _ = y.ToArray<float>();
            kept = y;
            if (step == 0) afterFirst = driver.Allocations;
        }
        Assert.True(afterFirst > 0);
        Assert.Equal(afterFirst, driver.Allocations);
        Assert.Equal(0, device.Allocator.AllocatedBytes);
        Assert.Throws<ObjectDisposedException>(() => kept!.ToArray<float>());
    }

    [Fact]
    public void AStorageOutsideEveryScope_GoesBackWhenCollected()
    {
        long before = device.Allocator.CachedBytes;
        AllocateAndDrop();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(device.Allocator.CachedBytes > before);
        Assert.Equal(0, device.Allocator.AllocatedBytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AllocateAndDrop() => _ = Tensor.Zeros([1000]).To(cuda);

    [Fact]
    public void Ops_LaunchTheirKernelOverTheRightCount()
    {
        var x = Tensor.FromArray(new float[6000], [300, 20]).To(cuda);
        var b = Tensor.FromArray(new float[20]).To(cuda);
        var d = Tensor.FromArray(new double[6000], [300, 20]).To(cuda);
        driver.Launches.Clear();
        _ = x.Exp();
        _ = x + b;                          // b broadcast over the rows
        _ = x * 2;
        _ = x.Sum(0);                       // one thread per output: 20
        _ = x.Softmax(1);                   // one thread per row: 300
        _ = d.Transpose().Contiguous();
        (string Module, string Kernel, long N)[] expected =
        [
            ("unary", "map_exp_f32", 6000), ("binary", "binary_add_f32", 6000), ("binary", "binary_scalar_mul_f32", 6000),
            ("reduce", "sum_dim_f32", 20), ("reduce", "softmax_f32", 300), ("reduce", "copy_strided_f64", 6000),
        ];
        // The fake driver hands out one function handle per kernel name, and the device caches it: compare handles.
        Assert.Equal(expected.Select(e => (device.Function(e.Module, e.Kernel), LaunchGeometry.Elementwise(e.N, device.Multiprocessors))),
            driver.Launches);
    }

    [Fact]
    public void MixingDevices_ThrowsPyTorchsError()
    {
        var a = Tensor.FromArray([1f, 2f], [1, 2]).To(cuda);
        var b = Tensor.FromArray([1f, 2f], [2, 1]).To(Device.Cpu);
        var e = Assert.Throws<InvalidOperationException>(() => a.MatMul(b));
        Assert.Contains("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!", e.Message);
    }

    [Fact]
    public void Gemm_PassesATransposedOperandAsCublasOpT_WithoutACopy()
    {
        var x = Tensor.FromArray(new float[6], [2, 3]).To(cuda);
        var w = Tensor.FromArray(new float[12], [4, 3]).To(cuda);
        driver.Launches.Clear();
        var y = Tensor.Linear(x, w); // x·Wᵀ, Wᵀ read through swapped strides
        Assert.Empty(driver.Launches);
        ulong px = CudaBackend.Pointer(x.Layout), pw = CudaBackend.Pointer(w.Layout), py = CudaBackend.Pointer(y.Layout);
        // Cᵀ[4×2] = op(W as column-major 3×4, ld 3)ᵀ · (x as column-major 3×2, ld 3)
        Assert.Equal([true, false, 4, 2, 3, pw, 3, px, 3, 0.0, py, 4, 1], Assert.Single(blas.Calls));
        Assert.Equal(device.Stream, blas.Stream);
    }

    [Fact]
    public void Gemm_CopiesOnlyAnOperandCublasCannotRead()
    {
        var a = Tensor.FromArray(new float[2], [2, 1]).To(cuda).Expand([2, 3]); // strides (1, 0)
        var b = Tensor.FromArray(new float[12], [3, 4]).To(cuda);
        driver.Launches.Clear();
        _ = a.MatMul(b);
        Assert.Equal([(device.Function("reduce", "copy_strided_f32"), LaunchGeometry.Elementwise(6, device.Multiprocessors))], driver.Launches);
        var call = Assert.Single(blas.Calls);
        Assert.Equal([false, false, 4, 2, 3], call[..5]);
        Assert.Equal(3, call[8]); // the scratch copy of A is dense: ld 3
    }

    [Theory]
    [InlineData(2, 3, 3, 1, false, 3)]  // row-major dense: op N, ld = row stride
    [InlineData(2, 3, 1, 2, true, 2)]   // a transposed view: op T, ld = column stride
    [InlineData(1, 3, 99, 1, false, 3)] // one row: its stride is never used
    [InlineData(3, 1, 2, 7, false, 2)]  // one column of a wider matrix: its column stride is never used
    public void Describe_MapsStridesToCublasOps(int rows, int cols, int rs, int cs, bool trans, int ld)
    {
        Assert.True(CudaBackend.Describe(rows, cols, rs, cs, out bool t, out int l));
        Assert.Equal((trans, ld), (t, l));
    }

    [Fact]
    public void Describe_RefusesBroadcastAndDoublyStridedOperands()
    {
        Assert.False(CudaBackend.Describe(2, 3, 1, 0, out _, out _));
        Assert.False(CudaBackend.Describe(2, 3, 6, 2, out _, out _));
        Assert.False(CudaBackend.Describe(2, 3, 2, 1, out _, out _)); // rows overlap: ld below the row length
    }

    [Fact]
    public void ModuleTo_MovesParametersInPlace_AndAnOptimizerKeepsThem()
    {
        var layer = new Backprop.NN.Linear(3, 2);
        var weight = layer.Weight;
        var values = weight.ToArray<float>();
        var adam = new Backprop.Optim.Adam(layer.Parameters());
        layer.To(cuda);
        Assert.Same(weight, layer.Weight);
        Assert.Equal(Device.Cuda(0), weight.Device);
        Assert.Equal(values, weight.ToArray<float>());
        Assert.NotNull(adam);
        var sgd = new Backprop.Optim.Sgd(layer.Parameters(), lr: 0.1, momentum: 0.9);
        var saved = new Backprop.Optim.OptimizerState();
        saved.ParamGroups.Add((new Dictionary<string, double>(), [0, 1]));
        saved.State[0] = new() { ["momentum_buffer"] = Tensor.Ones([2, 3]) };
        sgd.LoadStateDict(saved); // PyTorch's rule: state goes to the parameter's device
        Assert.Equal(Device.Cuda(0), sgd.StateDict().State[0]["momentum_buffer"].Device);
        layer.To(Device.Cpu);
        Assert.Equal(Device.Cpu, weight.Device);
        Assert.Equal(values, weight.ToArray<float>());
    }
}

/// <summary>Test helpers for device tensors.</summary>
internal static class DeviceTensorTestExtensions
{
    /// <summary>A new zero tensor on <paramref name="t"/>'s device, of its shape and dtype (allocated there, not copied).</summary>
    public static Tensor ZerosLikeForTest(this Tensor t) => Tensor.Empty(t.Shape, t.DType, t);
}
