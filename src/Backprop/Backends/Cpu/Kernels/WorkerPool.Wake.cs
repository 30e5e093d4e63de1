namespace Backprop.Kernels;

/// <summary>
/// How many threads a kernel should use given how many workers are awake. Handing a part to a worker that is spinning
/// costs the caller well under a microsecond; waking one that has parked costs a system call and, on a VM whose idle
/// vCPU has halted, far more — measured on this project's 2-vCPU VM (`Backprop.Bench 2 poolwake`, docs/PERFORMANCE.md):
/// about 35 µs of the caller's time to post and 80 µs until the worker runs. So a kernel takes the workers that are
/// awake, and wakes parked ones only for as many threads as its work pays for at a wake-up's price. Back-to-back
/// kernels (a benchmark's products, a big product's successors) find the workers still spinning from the previous
/// job; a training step's mid-size products, which come between other work, run on the caller instead of paying a
/// wake-up each — the batch-64 MLP's step then runs the same kernels on 2 threads as on 1.
/// </summary>
internal static partial class WorkerPool
{
    /// <summary>
    /// Multiply-adds per thread for which a product wakes a parked worker: at about 40 G multiply-adds/s per core this
    /// is ~200 µs per thread, more than a wake-up costs.
    /// </summary>
    internal const long WakeWorthMacsPerThread = 1L << 23;

    /// <summary>Elements per thread for which an elementwise pass (<see cref="For"/>) wakes a parked worker.</summary>
    internal const long WakeWorthElementsPerThread = 1L << 18;

    /// <summary>
    /// Whether kernels wait for parked workers only when their work pays for it (default), or split by size alone
    /// (<c>BACKPROP_WAKE_AWARE=0</c>, a measurement switch; tests that must exercise the split path set it false).
    /// </summary>
    internal static bool WakeAware { get; set; } = Environment.GetEnvironmentVariable("BACKPROP_WAKE_AWARE") != "0";

    /// <summary>
    /// The threads for a kernel that its size would split into <paramref name="threads"/> parts: the workers that are
    /// awake now (in the order jobs use them), plus as many parked ones as <paramref name="work"/> /
    /// <paramref name="wakeWorthPerThread"/> pays for; at least 1, at most <paramref name="threads"/>.
    /// </summary>
    internal static int ThreadsForWake(int threads, long work, long wakeWorthPerThread)
    {
        if (threads <= 1 || !WakeAware || insidePart || UseDotnetParallelFor) return threads;
        long paid = work / wakeWorthPerThread;
        if (paid >= threads) return threads;
        var workers = workerArray;
        int awake = 0;
        while (awake < threads - 1 && awake < workers.Length && !workers[awake].Parked) awake++;
        return (int)Math.Clamp(Math.Max(awake + 1, paid), 1, threads);
    }
}
