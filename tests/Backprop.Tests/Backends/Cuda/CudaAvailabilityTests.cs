using CudaApi = Backprop.Cuda;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends;

/// <summary>The public CUDA queries and the errors of asking for a CUDA device, on this machine (GPU or not).</summary>
public class CudaAvailabilityTests
{
    [Fact]
    public void Availability_AgreesWithDeviceCountAndReason()
    {
        if (CudaApi.IsAvailable)
        {
            Assert.True(CudaApi.DeviceCount > 0);
            Assert.Null(CudaApi.UnavailableReason);
        }
        else
        {
            Assert.Equal(0, CudaApi.DeviceCount);
            Assert.NotNull(CudaApi.UnavailableReason);
            Assert.StartsWith("CUDA is not available", CudaApi.UnavailableReason);
        }
    }

    [Fact]
    public void ToCuda_ThrowsSayingWhy()
    {
        var t = Tensor.FromArray([1f, 2f]);
        int missing = CudaApi.DeviceCount;
        var e = Assert.Throws<NotSupportedException>(() => t.To(Device.Cuda(missing)));
        Assert.StartsWith($"Tensor.To(cuda:{missing}): ", e.Message);
        Assert.Contains(CudaApi.IsAvailable ? "invalid device ordinal" : "no CUDA driver was found", e.Message);
        if (CudaApi.IsAvailable) Assert.Equal([1f, 2f], t.To(Device.Cuda(0)).ToArray<float>());
        else Assert.Throws<NotSupportedException>(() => t.To("cuda:0"));
    }

    [Fact]
    public void Synchronize_WithoutCuda_ThrowsSayingWhy()
    {
        if (CudaApi.IsAvailable) CudaApi.Synchronize(); // returns once the device is idle
        else Assert.Contains("no CUDA driver was found", Assert.Throws<NotSupportedException>(CudaApi.Synchronize).Message);
        Assert.True(CudaApi.IsAvailable || CudaApi.DeviceCount == 0);
    }

    [Fact]
    public void AskingForAvailability_LoadsOnlyTheDriver()
    {
        _ = CudaApi.IsAvailable;
        // NVRTC may have been loaded by the tests that compile every kernel with it (RealNvrtc), never by the probe.
        Assert.True(CudaLibraries.LoadedFrom(CudaLibraries.Nvrtc) is null || global::Backprop.Tests.Backends.Cuda.RealNvrtc.Opening);
        Assert.Null(CudaLibraries.LoadedFrom(CudaLibraries.Cublas));
    }

    [Fact]
    public void Libraries_AreTriedByVersionedNameNewestFirst()
    {
        var nvrtc = CudaLibraries.SearchPaths(CudaLibraries.Nvrtc).ToList();
        Assert.True(nvrtc.IndexOf("libnvrtc.so.13") < nvrtc.IndexOf("libnvrtc.so.12"));
        Assert.True(nvrtc.IndexOf("libnvrtc.so.12") < nvrtc.IndexOf("libnvrtc.so.11.2"));
        Assert.Contains("/usr/local/cuda/targets/x86_64-linux/lib/libnvrtc.so.13", nvrtc);
        var blas = CudaLibraries.SearchPaths(CudaLibraries.Cublas).ToList();
        Assert.True(blas.IndexOf("libcublas.so.13") < blas.IndexOf("libcublas.so.12"));
        Assert.Equal(["libcuda.so.1", "libcuda.so"], CudaLibraries.SearchPaths(CudaLibraries.Driver).Where(p => !p.Contains('/')));
    }

    [Fact]
    public void MissingToolkitLibrary_NamesWhatWasTriedAndTheFix()
    {
        string m = CudaLibraries.NotFoundMessage(CudaLibraries.Nvrtc, ["libnvrtc.so.13", "libnvrtc.so.12"]);
        Assert.Contains("NVRTC", m);
        Assert.Contains("libnvrtc.so.13, libnvrtc.so.12", m);
        Assert.Contains(CudaLibraries.PathVariable, m);
    }
}
