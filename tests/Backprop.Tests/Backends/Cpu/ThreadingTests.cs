namespace Backprop.Tests;

/// <summary>The thread-count setting: <c>BACKPROP_NUM_THREADS</c>, the per-kernel count and the core cap.</summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class ThreadingTests
{
    [Theory]
    [InlineData(null, -1, false)]
    [InlineData("", -1, false)]
    [InlineData("3", 3, false)]
    [InlineData(" 12 ", 12, false)]
    [InlineData("0", -1, true)]
    [InlineData("-2", -1, true)]
    [InlineData("four", -1, true)]
    public void BackpropNumThreads_IsParsedLikeOmpNumThreads(string? value, int expected, bool warns)
    {
        int n = Threading.ParseNumThreads(value, out string? warning);
        Assert.Equal(expected == -1 ? Environment.ProcessorCount : expected, n);
        Assert.Equal(warns, warning is not null);
        if (warns) Assert.Contains("BACKPROP_NUM_THREADS", warning);
    }

    [Fact]
    public void KernelThreads_FollowTheWork_AndAreCappedAtTheCoresWhenDynamic()
    {
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic;
        try
        {
            Threading.SetNumThreads(64);
            Threading.Dynamic = true;
            Assert.Equal(Math.Min(64, Environment.ProcessorCount), Threading.MaxKernelThreads);
            Assert.Equal(1, Threading.ForWork(10, 100));
            Assert.Equal(Math.Min(3, Environment.ProcessorCount), Threading.ForWork(300, 100));
            Threading.Dynamic = false;
            Assert.Equal(64, Threading.MaxKernelThreads);
            Assert.Equal(3, Threading.ForWork(300, 100));
            Assert.Equal(64, Threading.ForWork(1 << 30, 100));
            Assert.Throws<ArgumentException>(() => Threading.SetNumThreads(0));
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
        }
    }
}
