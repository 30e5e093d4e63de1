using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public class CachingAllocatorTests
{
    private const long MiB = 1 << 20;

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(MiB, MiB)]
    [InlineData(MiB + 1, MiB + MiB / 4)]          // 1 MiB < x ≤ 2 MiB: quarters of 1 MiB
    [InlineData(3 * MiB, 3 * MiB)]
    [InlineData(5 * MiB + 1, 6 * MiB)]            // 4–8 MiB: steps of 1 MiB
    [InlineData(100 * MiB, 112 * MiB)]            // 64–128 MiB: steps of 16 MiB
    public void RoundSize_BinsSmallBy512AndLargeByQuarterPowersOfTwo(long bytes, long bin) =>
        Assert.Equal(bin, CachingAllocator.RoundSize(bytes));

    [Fact]
    public void RoundSize_WastesAtMostAQuarter()
    {
        for (long b = MiB + 1; b < 300 * MiB; b = b * 9 / 7)
        {
            long r = CachingAllocator.RoundSize(b);
            Assert.InRange(r, b, b + b / 4);
        }
    }

    [Fact]
    public void ReleasedBlock_IsReusedForTheSameBinOnTheSameStreamOnly()
    {
        var driver = new FakeCudaDriver();
        var alloc = new CachingAllocator(driver);
        var a = alloc.Allocate(1000, stream: 1);
        alloc.Release(a);
        var b = alloc.Allocate(900, stream: 1);             // same 1024-byte bin
        Assert.Equal(a.Pointer, b.Pointer);
        var c = alloc.Allocate(900, stream: 2);             // another stream: a new block
        Assert.NotEqual(a.Pointer, c.Pointer);
        var d = alloc.Allocate(2000, stream: 1);            // another bin: a new block
        Assert.NotEqual(a.Pointer, d.Pointer);
        Assert.Equal(3, driver.Allocations);
        Assert.Equal(1024 + 1024 + 2048, alloc.AllocatedBytes);
    }

    [Fact]
    public void RepeatedTrainingStepPattern_AllocatesFromTheDriverOnlyInTheFirstStep()
    {
        var driver = new FakeCudaDriver();
        var alloc = new CachingAllocator(driver);
        long[] step = [64 * 784 * 4, 784 * 128 * 4, 128 * 4, 64 * 128 * 4, 64 * 128 * 4, 128 * 10 * 4, 64 * 10 * 4, 4, 8];
        int afterFirst = 0;
        for (int s = 0; s < 5; s++)
        {
            var blocks = step.Select(b => alloc.Allocate(b, stream: 7)).ToList();
            Assert.Equal(blocks.Count, blocks.Select(b => b.Pointer).Distinct().Count()); // live blocks never alias
            foreach (var b in blocks) alloc.Release(b);
            if (s == 0) afterFirst = driver.Allocations;
        }
        Assert.Equal(step.Length, afterFirst);
        Assert.Equal(afterFirst, driver.Allocations);
        Assert.Equal(0, alloc.AllocatedBytes);
    }

    [Fact]
    public void EmptyCache_FreesCachedBlocksAndKeepsBlocksInUse()
    {
        var driver = new FakeCudaDriver();
        var alloc = new CachingAllocator(driver);
        var kept = alloc.Allocate(4096, 0);
        alloc.Release(alloc.Allocate(8192, 0));
        alloc.Release(alloc.Allocate(3 * MiB, 0));
        Assert.Equal(4096 + 8192 + 3 * MiB, alloc.ReservedBytes);
        alloc.EmptyCache();
        Assert.Equal(2, driver.Frees);
        Assert.Equal(4096, alloc.ReservedBytes);
        Assert.Equal(4096, driver.Used);
        Assert.Equal(0, alloc.CachedBytes);
        alloc.Release(kept);
        var again = alloc.Allocate(8192, 0);                // the cache is empty: a fresh driver allocation
        Assert.Equal(4, driver.Allocations);
        Assert.NotEqual(0UL, again.Pointer);
    }

    [Fact]
    public void OutOfMemory_ReleasesTheCacheAndRetriesBeforeFailing()
    {
        var driver = new FakeCudaDriver(capacity: 10 * MiB);
        var alloc = new CachingAllocator(driver);
        var held = alloc.Allocate(6 * MiB, 0);
        alloc.Release(alloc.Allocate(3 * MiB, 0));          // cached, still reserved from the driver
        var fits = alloc.Allocate(3 * MiB + 1, 0);          // 3.5 MiB bin: fits only once the cache is freed
        Assert.Equal(1, driver.Frees);
        Assert.True(driver.Synchronizations > 0);
        Assert.NotEqual(held.Pointer, fits.Pointer);
    }

    [Fact]
    public void OutOfMemory_SaysHowMuchWasAskedAndIsFree()
    {
        var driver = new FakeCudaDriver(capacity: 10 * MiB);
        var alloc = new CachingAllocator(driver);
        alloc.Allocate(6 * MiB, 0);
        var e = Assert.Throws<CudaOutOfMemoryException>(() => alloc.Allocate(8 * MiB, 0, "matmul"));
        Assert.Equal(8 * MiB, e.Requested);
        Assert.Equal(4 * MiB, e.Free);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        Assert.Contains("matmul", e.Message);
        Assert.Contains("tried to allocate 8.00 MiB", e.Message);
        Assert.Contains("4.00 MiB free of 10.00 MiB", e.Message);
        Assert.Contains("6.00 MiB is held", e.Message);
    }
}
