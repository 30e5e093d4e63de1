using System.Diagnostics;
using System.Runtime.InteropServices;
using Backprop.Kernels;

namespace Backprop.Bench;

/// <summary>
/// How the pool's hand-off behaves after a gap of caller-only work (as between a training step's products): what
/// posting costs the caller, when the worker starts its part and on which CPU, and the job's wall time, at the
/// 10th/50th/90th percentile of 2,000 two-part jobs. Gaps past the worker's spin and the guest's idle poll show the
/// cost of waking a halted vCPU (docs/PERFORMANCE.md, "Threads on a shared machine").
/// </summary>
public static partial class PoolWakeProbe
{
    [LibraryImport("libc", EntryPoint = "sched_getcpu")] private static partial int SchedGetCpu();

    private static void Busy(long ticks) { long end = Stopwatch.GetTimestamp() + ticks; while (Stopwatch.GetTimestamp() < end) { } }

    public static void Run(int gapUs, int partUs, int jobs)
    {
        long gap = Stopwatch.Frequency * gapUs / 1_000_000, part = Stopwatch.Frequency * partUs / 1_000_000;
        int callerThread = Environment.CurrentManagedThreadId;
        int workerRan = 0, sameCpu = 0; var delays = new List<double>(); var totals = new List<double>(); var posts = new List<double>();
        for (int j = 0; j < jobs; j++)
        {
            Busy(gap);
            int callerCpu = SchedGetCpu();
            long posted = Stopwatch.GetTimestamp();
            long workerStart = 0; int workerCpu = -1;
            long callerStart = 0;
            WorkerPool.Run(2, p =>
            {
                if (callerStart == 0 && Environment.CurrentManagedThreadId == callerThread) callerStart = Stopwatch.GetTimestamp();
                if (Environment.CurrentManagedThreadId != callerThread) { workerStart = Stopwatch.GetTimestamp(); workerCpu = SchedGetCpu(); }
                Busy(part);
            });
            totals.Add((Stopwatch.GetTimestamp() - posted) * 1e6 / Stopwatch.Frequency);
            posts.Add((callerStart - posted) * 1e6 / Stopwatch.Frequency);
            if (workerCpu >= 0) { workerRan++; delays.Add((workerStart - posted) * 1e6 / Stopwatch.Frequency); if (workerCpu == callerCpu) sameCpu++; }
        }
        delays.Sort(); totals.Sort(); posts.Sort();
        double P(List<double> l, double q) => l.Count == 0 ? double.NaN : Math.Round(l[(int)(q * (l.Count - 1))], 1);
        Workloads.Emit(("work", $"pool_wake_gap{gapUs}_part{partUs}"), ("jobs", jobs), ("worker_ran", workerRan), ("worker_same_cpu", sameCpu),
            ("delay_p10", P(delays, 0.1)), ("delay_p50", P(delays, 0.5)), ("delay_p90", P(delays, 0.9)),
            ("post_p50", P(posts, 0.5)), ("post_p90", P(posts, 0.9)), ("total_p10", P(totals, 0.1)), ("total_p50", P(totals, 0.5)), ("total_p90", P(totals, 0.9)));
    }
}

/// <summary>
/// One product timed on one and two threads (run with <c>BACKPROP_WAKE_AWARE=0</c>, so that the two-thread runs split whether or not the worker is awake),
/// with its operands warm in both cores' caches or just rewritten by the caller's core, as a training step leaves them.
/// </summary>
public static class FreshShapeProbe
{
    public static void Run(int m, int k, int n, bool transposedB)
    {
        var g = new Generator(0);
        var a = Tensor.Randn([m, k], g).ToArray<float>();
        var b = Tensor.Randn([k, n], g).ToArray<float>();
        var c = new float[m * n];
        foreach (bool fresh in new[] { false, true })
            foreach (int threads in new[] { 1, 2, 1, 2 })
            {
                Threading.SetNumThreads(threads);
                var times = new List<double>();
                for (int r = 0; r < 400; r++)
                {
                    if (fresh) { for (int i = 0; i < b.Length; i++) b[i] *= 1.0000001f; for (int i = 0; i < a.Length; i++) a[i] *= 1.0000001f; }
                    long t0 = Stopwatch.GetTimestamp();
                    if (transposedB) Backprop.Kernels.Gemm.GemmKernel.Multiply(a, 0, k, 1, b, 0, 1, k, c, 0, n, m, k, n);
                    else Backprop.Kernels.Gemm.GemmKernel.Multiply(a, 0, b, 0, c, 0, m, k, n);
                    times.Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency);
                }
                times.Sort();
                Workloads.Emit(("work", $"fresh_gemm_{m}x{k}x{n}{(transposedB ? "_bT" : "")}"), ("fresh", fresh), ("threads", threads),
                    ("p10_us", Math.Round(times[40], 1)), ("p50_us", Math.Round(times[200], 1)), ("p90_us", Math.Round(times[360], 1)));
            }
    }
}
