using Backprop.Backends.Cuda;
using Backprop.Data;

namespace Backprop.Tests.Backends.Cuda;

/// <summary>The DataLoader's delivery to a CUDA device, directly and through pinned host memory, over the fake driver.</summary>
public sealed class PinnedStagingTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "bp-pinned-" + Guid.NewGuid().ToString("N"));
    private readonly FakeCudaDriver driver = new();
    private readonly CudaDevice device;
    private readonly CudaAllocator cuda;

    public PinnedStagingTests()
    {
        device = new CudaDevice(driver, 0, new KernelCache(new CountingNvrtc(), dir));
        cuda = new CudaAllocator(device);
    }

    public void Dispose()
    {
        device.Dispose();
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static TensorDataset Data() => new(
        Tensor.FromArray(Enumerable.Range(0, 40).Select(i => i * 0.5f).ToArray(), [10, 4]),
        Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (long)i * 3).ToArray()));

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void BatchesArriveOnTheDevice_WithTheHostBatchesValues(bool pinMemory, bool recycle)
    {
        var host = new DataLoader(Data(), batchSize: 3, shuffle: true, seed: 5).Select(b => (b[0].ToArray<float>(), b[1].ToArray<long>())).ToList();
        var loader = new DataLoader(Data(), 3, shuffle: true, dropLast: false, seed: 5, collate: null, recycleBatches: recycle, sampler: null, target: cuda, pinMemory: pinMemory);
        Assert.Equal(Device.Cuda(0), loader.Device);
        int i = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal(Device.Cuda(0), x.Device);
            Assert.Equal(Device.Cuda(0), y.Device);
            Assert.Equal(host[i].Item1, x.ToArray<float>());
            Assert.Equal(host[i].Item2, y.ToArray<long>());
            i++;
        }
        Assert.Equal(4, i);
    }

    [Fact]
    public void Staging_ReusesTwoPinnedBuffers_AndWaitsBeforeRefillingOne()
    {
        using var staging = new PinnedStaging(cuda);
        var batch = new[] { Tensor.FromArray([1f, 2f, 3f]), Tensor.FromArray([7L]) };
        for (int i = 0; i < 5; i++)
        {
            using var scope = new TensorScope();
            var staged = staging.Stage(batch);
            Assert.Equal([1f, 2f, 3f], staged[0].ToArray<float>());
            Assert.Equal([7L], staged[1].ToArray<long>());
        }
        Assert.Equal(2, staging.HostAllocations);
        staging.Stage([Tensor.Zeros([1000])]); // a larger batch grows one buffer
        Assert.Equal(3, staging.HostAllocations);
    }

    [Fact]
    public void PinMemory_NeedsACudaDevice()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(Data(), 2, pinMemory: true));
        Assert.Contains("pinMemory stages batches for a CUDA device", e.Message);
        Assert.Throws<ArgumentException>(() => new DataLoader(Data(), 2, device: Device.Cpu, pinMemory: true));
        if (!Backprop.Cuda.IsAvailable)
            Assert.Contains("no CUDA driver was found", Assert.Throws<NotSupportedException>(() => new DataLoader(Data(), 2, device: Device.Cuda(0))).Message);
    }
}
