using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>The fork-join pool under load: many callers, tiny jobs, more parts than cores, and failing parts.</summary>
[Collection("GemmPath")] // shares the process-wide pool and thread setting with the other kernel tests
public class WorkerPoolStressTests
{
    [Fact]
    public void ThousandsOfTinyJobsFromSeveralCallers_RunEveryPartExactlyOnce()
    {
        const int callers = 4, jobsPerCaller = 2500;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, callers).Select(c => new Thread(() =>
        {
            var random = new Random(c);
            for (int j = 0; j < jobsPerCaller; j++)
            {
                int parts = random.Next(1, 9);
                var hits = new int[parts];
                WorkerPool.Run(parts, p => Interlocked.Increment(ref hits[p]));
                for (int p = 0; p < parts; p++)
                    if (hits[p] != 1) failures.Enqueue($"caller {c} job {j}: part {p} of {parts} ran {hits[p]} times");
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a caller did not finish within 120 s");
        Assert.Empty(failures);
    }

    [Fact]
    public void CoresHeldByOtherThreads_JobsMoveToTheCaller_AndStillRunEveryPartOnce()
    {
        // Twice as many spinning threads as cores stand in for another process: the pool's worker misses most jobs,
        // which the pool must notice (an awake worker claiming nothing of a long job) and then run jobs inline.
        using var stop = new CancellationTokenSource();
        var hogs = Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested) Thread.SpinWait(1000);
        }) { IsBackground = true }).ToArray();
        foreach (var h in hogs) h.Start();
        try
        {
            long before = Interlocked.Read(ref WorkerPool.InlinedJobs);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            int jobs = 0;
            while (Interlocked.Read(ref WorkerPool.InlinedJobs) == before && DateTime.UtcNow < deadline)
            {
                var hits = new int[2];
                WorkerPool.Run(2, p =>
                {
                    var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs
                    while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
                    Interlocked.Increment(ref hits[p]);
                });
                Assert.Equal([1, 1], hits);
                jobs++;
            }
            Assert.True(Interlocked.Read(ref WorkerPool.InlinedJobs) > before, $"no job ran inline in 20 s ({jobs} jobs) with the cores held");
        }
        finally { stop.Cancel(); }
        foreach (var h in hogs) h.Join();
    }

    [Fact]
    public void MorePartsThanCores_AllRunAndTheCallerReturnsOnlyWhenAllAreDone()
    {
        for (int round = 0; round < 200; round++)
        {
            int parts = 3 * Environment.ProcessorCount + 1;
            var done = new int[parts];
            WorkerPool.Run(parts, p =>
            {
                if (p % 3 == 1) Thread.SpinWait(2000); // uneven parts: a worker is still busy while others finish
                Volatile.Write(ref done[p], 1);
            });
            Assert.All(done, d => Assert.Equal(1, d)); // nothing still running after Run returned
        }
    }

    [Fact]
    public void APartThatThrows_ReachesTheCaller_AndThePoolStillWorks()
    {
        var ran = new int[4];
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(4, p =>
        {
            Interlocked.Increment(ref ran[p]);
            if (p == 2) throw new InvalidOperationException("part 2 failed");
        }));
        Assert.Equal("part 2 failed", error.Message);
        Assert.All(ran, r => Assert.Equal(1, r)); // the other parts still ran, once each

        var several = Assert.Throws<AggregateException>(() => WorkerPool.Run(4, p => throw new ArgumentException($"part {p}")));
        Assert.Equal(4, several.InnerExceptions.Count);

        var hits = new int[4];
        WorkerPool.Run(4, p => Interlocked.Increment(ref hits[p]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedRun_RunsInline_WithoutDeadlock()
    {
        var hits = new int[4 * 3];
        WorkerPool.Run(4, outer => WorkerPool.Run(3, inner => Interlocked.Increment(ref hits[outer * 3 + inner])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ProductsAreTheSame_AtOneThread_AtTheCores_AndOversubscribed()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([150, 333], g, DType.Float64);
        var b = Tensor.Randn([333, 170], g, DType.Float64);
        var tall = Tensor.Randn([1200, 96], g, DType.Float32); // C far taller than wide: split by rows
        var narrow = Tensor.Randn([96, 40], g, DType.Float32);
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic;
        try
        {
            Threading.SetNumThreads(1);
            var one = a.MatMul(b).ToArray<double>();
            var oneTall = tall.MatMul(narrow).ToArray<float>();
            Threading.Dynamic = false;
            foreach (int n in new[] { 2, 3, 8, 17 })
            {
                Threading.SetNumThreads(n);
                var many = a.MatMul(b).ToArray<double>();
                Assert.Equal(one, many); // each C element is computed by one thread in the same order: bit-identical
                Assert.Equal(oneTall, tall.MatMul(narrow).ToArray<float>());
            }
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
        }
    }
}
