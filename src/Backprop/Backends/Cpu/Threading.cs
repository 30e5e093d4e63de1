using System.Globalization;

namespace Backprop;

/// <summary>How many threads compute kernels use (<c>torch.set_num_threads</c> / <c>torch.get_num_threads</c>).</summary>
/// <remarks>
/// The default is the number of cores this process may use (<see cref="Environment.ProcessorCount"/>, which respects
/// CPU affinity and a container's CPU quota), or the <c>BACKPROP_NUM_THREADS</c> environment variable when it is set
/// (the counterpart of <c>OMP_NUM_THREADS</c>). Each kernel then picks its own count from its work: small products and
/// elementwise passes stay on one thread. With <see cref="Dynamic"/> on (the default, like <c>MKL_DYNAMIC</c>), no
/// kernel uses more threads than there are cores, because a compute thread without a core of its own only waits.
/// </remarks>
public static class Threading
{
    /// <summary>The environment variable that sets the default thread count (like <c>OMP_NUM_THREADS</c>).</summary>
    public const string EnvironmentVariable = "BACKPROP_NUM_THREADS";

    /// <summary>The environment variable that turns <see cref="Dynamic"/> off when set to 0 or false (like <c>MKL_DYNAMIC</c>).</summary>
    public const string DynamicEnvironmentVariable = "BACKPROP_DYNAMIC";

    private static int threads = DefaultNumThreads(out _);
    private static bool dynamic = ReadDynamic();

    /// <summary>Threads the parallel kernels may use (<c>torch.get_num_threads</c>).</summary>
    public static int NumThreads => threads;

    /// <summary>The cores this process may use (affinity and CPU quota respected).</summary>
    public static int AvailableCores => Environment.ProcessorCount;

    /// <summary>
    /// When true (the default), kernels use at most <see cref="AvailableCores"/> threads even if
    /// <see cref="NumThreads"/> is larger; set false (or <c>BACKPROP_DYNAMIC=0</c>) to run exactly the threads asked for.
    /// </summary>
    public static bool Dynamic
    {
        get => dynamic;
        set => dynamic = value;
    }

    /// <summary>The most threads one kernel uses now: <see cref="NumThreads"/>, capped at the cores when <see cref="Dynamic"/>.</summary>
    public static int MaxKernelThreads => dynamic ? Math.Min(threads, AvailableCores) : threads;

    /// <summary>Sets the number of threads (at least 1), like <c>torch.set_num_threads</c>.</summary>
    public static void SetNumThreads(int n)
    {
        if (n < 1) throw new ArgumentException($"SetNumThreads: need at least 1 thread, got {n}.");
        threads = n;
    }

    /// <summary>
    /// The thread count a process starts with: <c>BACKPROP_NUM_THREADS</c> when it holds a positive integer, else the
    /// available cores. <paramref name="warning"/> explains an unusable value of the variable (which is then ignored,
    /// as OpenMP ignores a bad <c>OMP_NUM_THREADS</c>); null when there is nothing to say.
    /// </summary>
    public static int DefaultNumThreads(out string? warning) =>
        ParseNumThreads(Environment.GetEnvironmentVariable(EnvironmentVariable), out warning);

    /// <summary>The thread count for a value of <c>BACKPROP_NUM_THREADS</c> (see <see cref="DefaultNumThreads"/>).</summary>
    internal static int ParseNumThreads(string? text, out string? warning)
    {
        warning = null;
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1) return n;
        warning = $"{EnvironmentVariable}='{text}' is not a positive integer; using {Environment.ProcessorCount} threads (the available cores).";
        return Environment.ProcessorCount;
    }

    private static bool ReadDynamic()
    {
        string? text = Environment.GetEnvironmentVariable(DynamicEnvironmentVariable)?.Trim();
        return !(text is "0" || string.Equals(text, "false", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Threads for a kernel doing <paramref name="work"/> units when one thread should get at least
    /// <paramref name="minWorkPerThread"/> units: between 1 and <see cref="MaxKernelThreads"/>.
    /// </summary>
    internal static int ForWork(long work, long minWorkPerThread)
    {
        long byWork = work / Math.Max(1, minWorkPerThread);
        return (int)Math.Clamp(byWork, 1, MaxKernelThreads);
    }
}
