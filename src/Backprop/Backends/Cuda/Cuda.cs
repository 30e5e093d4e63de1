using Backprop.Backends.Cuda;

namespace Backprop;

/// <summary>
/// The CUDA device queries (<c>torch.cuda</c>). Asking loads the machine's CUDA driver (libcuda.so.1) once; without one,
/// <see cref="IsAvailable"/> is false, <see cref="DeviceCount"/> is 0, and nothing else CUDA is loaded.
/// </summary>
/// <remarks>Experimental: the CUDA backend is built and its host logic tested, but not yet verified on a GPU (docs/ARCHITECTURE.md).</remarks>
public static class Cuda
{
    /// <summary>True when a CUDA driver with at least one device is present (<c>torch.cuda.is_available()</c>).</summary>
    public static bool IsAvailable => CudaRuntime.UnavailableReason is null;

    /// <summary>The number of CUDA devices, 0 when CUDA is unavailable (<c>torch.cuda.device_count()</c>).</summary>
    public static int DeviceCount => CudaRuntime.DeviceCount;

    /// <summary>
    /// Why CUDA is unavailable (e.g. "no CUDA driver was found"), or null when it is available; the text the errors of
    /// <c>To(Device.Cuda(0))</c> and <c>--device cuda</c> carry.
    /// </summary>
    public static string? UnavailableReason => CudaRuntime.UnavailableReason;

    /// <summary>
    /// Waits for all work queued on the current CUDA context (<c>torch.cuda.synchronize()</c>); throws saying why when
    /// CUDA is unavailable.
    /// </summary>
    public static void Synchronize()
    {
        var driver = CudaRuntime.Driver ?? throw CudaRuntime.Unusable(Device.Cuda(0), "Cuda.Synchronize");
        driver.SetCurrent(driver.RetainPrimaryContext(0));
        driver.Synchronize();
    }
}
