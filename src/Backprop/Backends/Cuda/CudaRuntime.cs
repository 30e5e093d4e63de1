namespace Backprop.Backends.Cuda;

/// <summary>
/// The process's view of CUDA: probes the driver once, on the first question (<see cref="Backprop.Cuda.IsAvailable"/>, a
/// CUDA device asked for), and keeps it. Without a driver nothing is loaded beyond the failed attempt, and
/// <see cref="UnavailableReason"/> says why.
/// </summary>
internal static class CudaRuntime
{
    private static readonly Lazy<(ICudaDriver? Driver, int Count, string? Reason)> probe = new(Probe);

    /// <summary>
    /// Whether <c>--device auto</c> may pick CUDA: false until the backend's kernels are verified on a GPU and every
    /// primitive the CLI's models use runs there (docs/ARCHITECTURE.md, "The CUDA backend"). <c>Tensor.To(Device.Cuda(n))</c>
    /// and <c>--device cuda</c> work regardless when a GPU is present.
    /// </summary>
    public const bool BackendReady = false;

    /// <summary>The loaded driver, or null when CUDA is unavailable.</summary>
    public static ICudaDriver? Driver => probe.Value.Driver;

    /// <summary>The number of CUDA devices (0 without a driver).</summary>
    public static int DeviceCount => probe.Value.Count;

    /// <summary>Why CUDA is unavailable, or null when a driver with at least one device was found.</summary>
    public static string? UnavailableReason => probe.Value.Reason;

    private static (ICudaDriver?, int, string?) Probe()
    {
        try
        {
            var driver = CudaDriver.Open();
            int count = driver.DeviceCount;
            return count > 0 ? (driver, count, null) : (null, 0, "CUDA is not available: the CUDA driver reports no device.");
        }
        catch (DllNotFoundException e) { return (null, 0, e.Message); }
        catch (EntryPointNotFoundException e) { return (null, 0, "CUDA is not available: the CUDA driver library is too old (" + e.Message + ")."); }
        catch (CudaException e) { return (null, 0, "CUDA is not available: " + e.Message); }
    }

    /// <summary>
    /// The error for an operation that needs <paramref name="device"/> (a CUDA device) this machine cannot give: CUDA
    /// missing (with the reason), or an ordinal beyond the devices.
    /// </summary>
    public static NotSupportedException Unusable(Device device, string op) =>
        UnavailableReason is string reason ? new($"{op}: {reason}")
        : new($"{op}: CUDA error: invalid device ordinal {device.Index}; this machine has {DeviceCount} CUDA device(s) (cuda:0 … cuda:{DeviceCount - 1}).");
}
