using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

[Collection("GemmPath")] // GemmKernelTests switch the global kernel path, which changes rounding
public class WorkerPoolTests
{
    [Fact]
    public void RunsEveryPartExactlyOnce()
    {
        for (int round = 0; round < 50; round++)
        {
            var hits = new int[4];
            WorkerPool.Run(4, p => Interlocked.Increment(ref hits[p]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void ConcurrentProductsFromManyThreads_AreAllCorrect()
    {
        var g = new Generator(11);
        var a = Tensor.Randn([96, 200], g, DType.Float64);
        var b = Tensor.Randn([200, 130], g, DType.Float64);
        var expected = a.MatMul(b).ToArray();
        var results = new double[8][];
        Parallel.For(0, 8, i => results[i] = a.MatMul(b).ToArray()); // the pool is busy for all but one: the rest run inline
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(100, 10)]
    [InlineData(64 * 1000 + 5, 1000)]
    public void For_CoversEveryIndexOnce_InRangesStartingAtMultiplesOf64(int length, int minRange)
    {
        var hits = new int[length];
        var starts = new System.Collections.Concurrent.ConcurrentBag<int>();
        bool wakeAware = WorkerPool.WakeAware;
        WorkerPool.WakeAware = false; // split by size even when the workers are parked
        try
        {
            WorkerPool.For(length, minRange, (start, count) =>
            {
                starts.Add(start);
                for (int i = start; i < start + count; i++) Interlocked.Increment(ref hits[i]);
            });
        }
        finally { WorkerPool.WakeAware = wakeAware; }
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.All(starts, s => Assert.Equal(0, s % 64));
        if (length >= 2 * Math.Max(minRange, 128) && Threading.NumThreads > 1) Assert.True(starts.Count > 1, "a long range should be split");
    }

    [Fact]
    public void AdamOnALargeParameter_IsTheSameOnOneThreadAndOnAll()
    {
        float[] Run(int threads)
        {
            int before = Threading.NumThreads;
            Threading.SetNumThreads(threads);
            try
            {
                var g = new Generator(4);
                var p = Tensor.Randn([300, 500], g).RequiresGrad_();
                var opt = new Backprop.Optim.Adam([p], lr: 1e-2, weightDecay: 0.1, amsgrad: true);
                for (int step = 0; step < 3; step++)
                {
                    opt.ZeroGrad();
                    (p * p * p).Sum().Backward();
                    opt.Step();
                }
                return p.ToArray<float>();
            }
            finally { Threading.SetNumThreads(before); }
        }
        Assert.Equal(Run(1), Run(Math.Max(2, Environment.ProcessorCount)));
    }
}
