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
}
