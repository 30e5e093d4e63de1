using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Tests.Kernels;

/// <summary>
/// Parked workers are woken only for work that pays for a wake-up; awake (spinning) workers are always taken. Timing is
/// involved only in one direction: a worker parks after its short spin, so the tests wait well past it before asking.
/// </summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class WorkerPoolWakeTests
{
    private static void WithThreads(int threads, Action body)
    {
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic, wakeAware = WorkerPool.WakeAware;
        try
        {
            Threading.Dynamic = false; // the same thread counts on a machine with fewer cores
            Threading.SetNumThreads(threads);
            WorkerPool.WakeAware = true;
            body();
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
            WorkerPool.WakeAware = wakeAware;
        }
    }

    /// <summary>Starts the workers, then waits until every one has parked (long past its spin).</summary>
    private static void ParkAll(int helpers)
    {
        WorkerPool.Run(helpers + 1, _ => Thread.Sleep(1));
        for (int i = 0; i < 200 && WorkerPool.ThreadsForWake(helpers + 1, 0, 1) > 1; i++) Thread.Sleep(5);
    }

    [Fact]
    public void ParkedWorkers_AreWokenOnlyForWorkThatPaysForIt()
    {
        WithThreads(4, () =>
        {
            ParkAll(3);
            long perThread = WorkerPool.WakeWorthMacsPerThread;
            Assert.Equal(1, WorkerPool.ThreadsForWake(4, perThread - 1, perThread));
            Assert.Equal(2, WorkerPool.ThreadsForWake(4, 2 * perThread, perThread));
            Assert.Equal(3, WorkerPool.ThreadsForWake(4, 3 * perThread + 5, perThread));
            Assert.Equal(4, WorkerPool.ThreadsForWake(4, 100 * perThread, perThread));
            WorkerPool.WakeAware = false; // the measurement switch: by size alone
            Assert.Equal(4, WorkerPool.ThreadsForWake(4, 1, perThread));
        });
    }

    [Fact]
    public void TheWakeUpPrice_FollowsTheMeasuredWakeUps_WithinBounds()
    {
        try
        {
            WorkerPool.ResetWakeCost();
            Assert.Equal(8_000_000, WorkerPool.WakeWorthMacsPerThread); // 2 × 100 µs × 40 k multiply-adds/µs
            Assert.Equal(200_000, WorkerPool.WakeWorthElementsPerThread);
            long tenMicroseconds = System.Diagnostics.Stopwatch.Frequency / 100_000;
            for (int i = 0; i < 100; i++) WorkerPool.RecordWake(tenMicroseconds); // bare metal: cheap wake-ups
            Assert.InRange(WorkerPool.WakeMicroseconds, 9.9, 10.1);
            Assert.InRange(WorkerPool.WakeWorthMacsPerThread, 790_000, 810_000);
            for (int i = 0; i < 100; i++) WorkerPool.RecordWake(0); // below any real wake-up: the lower bounds
            Assert.Equal(1 << 19, WorkerPool.WakeWorthMacsPerThread);
            Assert.Equal(1 << 14, WorkerPool.WakeWorthElementsPerThread);
            for (int i = 0; i < 100; i++) WorkerPool.RecordWake(long.MaxValue / 4); // a descheduled worker: the upper bounds
            Assert.InRange(WorkerPool.WakeMicroseconds, 1999, 2000);
            Assert.Equal(1 << 23, WorkerPool.WakeWorthMacsPerThread);
            Assert.Equal(1 << 18, WorkerPool.WakeWorthElementsPerThread);
        }
        finally { WorkerPool.ResetWakeCost(); }
    }

    [Fact]
    public void SpinningWorkers_AreTakenForAnyWork()
    {
        WithThreads(3, () =>
        {
            // Right after a job its workers spin for a while; a descheduled test thread may miss that window, so try a
            // few times — but a pool that never counts a spinning worker as ready fails every time.
            int best = 1;
            for (int attempt = 0; attempt < 200 && best < 3; attempt++)
            {
                WorkerPool.Run(3, _ => Thread.SpinWait(1000));
                best = Math.Max(best, WorkerPool.ThreadsForWake(3, 1, WorkerPool.WakeWorthMacsPerThread));
            }
            Assert.Equal(3, best);
        });
    }

    [Fact]
    public void AMidSizeProduct_WithParkedWorkers_RunsOnTheCaller_WithTheSameBits()
    {
        WithThreads(2, () =>
        {
            const int m = 64, k = 784, n = 256; // the batch-64 MLP's first layer: 6.4 M multiply-adds per thread of two
            var g = new Generator(3);
            var a = Enumerable.Range(0, m * k).Select(_ => (float)g.NextNormal()).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => (float)g.NextNormal()).ToArray();
            var split = new float[m * n];
            WorkerPool.WakeAware = false;
            long posted = WorkerPool.PostedJobs;
            GemmKernel.Multiply(a, 0, b, 0, split, 0, m, k, n);
            Assert.True(WorkerPool.PostedJobs > posted); // by size it splits

            WorkerPool.WakeAware = true;
            ParkAll(1);
            WorkerPool.ResetWakeCost(); // the assumed VM wake-up: 12.8 M multiply-adds do not pay for it on two threads
            var alone = new float[m * n];
            posted = WorkerPool.PostedJobs;
            GemmKernel.Multiply(a, 0, b, 0, alone, 0, m, k, n);
            Assert.Equal(posted, WorkerPool.PostedJobs); // no hand-off, no wake-up
            Assert.Equal(split, alone);
        });
    }
}
