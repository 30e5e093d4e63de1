using System.Diagnostics;

namespace Backprop.Kernels;

/// <summary>
/// How many threads a kernel should use given how many workers are awake. Handing a part to a worker that is spinning
/// costs the caller well under a microsecond; waking one that has parked costs a system call and, on a VM whose idle
/// vCPU has halted, far more — measured on this project's 2-vCPU VM (`Backprop.Bench 2 poolwake`, docs/PERFORMANCE.md):
/// about 35 µs of the caller's time to post and 80 µs until the worker runs. So a kernel takes the workers that are
/// awake, and wakes parked ones only for as many threads as its work pays for at a wake-up's price — a price the pool
/// measures on every wake-up it makes, so a machine with cheap wake-ups (bare metal) soon splits smaller work. Back-to-back
/// kernels (a benchmark's products, a big product's successors) find the workers still spinning from the previous
/// job; a training step's mid-size products, which come between other work, run on the caller instead of paying a
/// wake-up each — the batch-64 MLP's step then runs the same kernels on 2 threads as on 1.
/// </summary>
internal static partial class WorkerPool
{
    /// <summary>The wake-up assumed until one is measured: this project's 2-vCPU VM's (~35 µs to post, ~80 µs to start).</summary>
    internal const double AssumedWakeMicroseconds = 100;

    private static double wakeMicroseconds = AssumedWakeMicroseconds;

    /// <summary>
    /// The pool's wake-up cost as measured (µs from the caller starting to hand out a job to a parked worker running
    /// it; a running average of the wake-ups the pool has made, starting from <see cref="AssumedWakeMicroseconds"/>).
    /// </summary>
    internal static double WakeMicroseconds => Volatile.Read(ref wakeMicroseconds);

    /// <summary>Records one measured wake-up (from a worker that a job woke).</summary>
    internal static void RecordWake(long ticks)
    {
        double us = Math.Clamp(ticks * 1e6 / Stopwatch.Frequency, 1, 2000);
        Volatile.Write(ref wakeMicroseconds, WakeMicroseconds + (us - WakeMicroseconds) / 8);
    }

    /// <summary>Forgets the measured wake-ups (tests).</summary>
    internal static void ResetWakeCost() => Volatile.Write(ref wakeMicroseconds, AssumedWakeMicroseconds);

    /// <summary>
    /// Multiply-adds per thread for which a product wakes a parked worker: twice the wake-up's length at ~40 G
    /// multiply-adds/s per core — 8 × 10⁶ at the assumed 100 µs — kept within [2¹⁹, 2²³]. Measured wake-ups can only
    /// lower it below the VM's value: a slower wake-up than that is a machine busy with other work, which the
    /// contention fallback handles, and back-to-back products amortise one wake-up over many (sgemm256's 16.8 M must
    /// still split here).
    /// </summary>
    internal static long WakeWorthMacsPerThread => (long)Math.Clamp(2 * WakeMicroseconds * 40_000, 1 << 19, 1 << 23);

    /// <summary>
    /// Elements per thread for which an elementwise pass (<see cref="For"/>) wakes a parked worker: twice the wake-up
    /// at ~1 ns per element — 2 × 10⁵ at the assumed 100 µs — kept within [2¹⁴, 2¹⁸].
    /// </summary>
    internal static long WakeWorthElementsPerThread => (long)Math.Clamp(2 * WakeMicroseconds * 1_000, 1 << 14, 1 << 18);

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
