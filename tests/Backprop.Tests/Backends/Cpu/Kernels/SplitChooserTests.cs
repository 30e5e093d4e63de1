using Backprop.Kernels.Gemm;

namespace Backprop.Tests.Kernels;

/// <summary>The GEMM's learned split choice: how a shape decides, that it looks again later, and that either choice gives the same bits.</summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class SplitChooserTests
{
    private static int Decide(long splitTicks, long singleTicks)
    {
        var shape = new SplitChooser.Shape();
        for (int i = 0; i < 2 * SplitChooser.TrialsPerKind; i++)
        {
            int threads = shape.Threads(2, out bool timed, out bool split);
            Assert.True(timed);
            Assert.Equal(split ? 2 : 1, threads);
            shape.Report(split, split ? splitTicks : singleTicks);
        }
        return shape.Decision;
    }

    [Fact]
    public void TheFasterKindWins_AndSplittingNeedsAClearMargin()
    {
        Assert.Equal(2, Decide(splitTicks: 600, singleTicks: 1000));
        Assert.Equal(1, Decide(splitTicks: 1000, singleTicks: 600));
        Assert.Equal(1, Decide(splitTicks: 980, singleTicks: 1000)); // 2 % faster is not worth a second thread
    }

    [Fact]
    public void AChoiceIsKept_ThenMeasuredAgain()
    {
        var shape = new SplitChooser.Shape();
        for (int i = 0; i < 2 * SplitChooser.TrialsPerKind; i++)
        {
            shape.Threads(2, out _, out bool split);
            shape.Report(split, split ? 100 : 1000);
        }
        Assert.Equal(2, shape.Decision);
        for (int i = 2 * SplitChooser.TrialsPerKind; i < SplitChooser.RetrialAfter; i++)
        {
            Assert.Equal(2, shape.Threads(2, out bool timed, out _));
            Assert.False(timed);
        }
        shape.Threads(2, out bool again, out _);
        Assert.True(again); // trials start over
        Assert.Equal(0, shape.Decision);
    }

    [Fact]
    public void ATunedShape_GivesTheSameBitsWhicheverWayItRuns()
    {
        const int m = 64, k = 784, n = 256; // the Fashion-MNIST MLP's first layer at batch 64: a tuned size
        var g = new Generator(3);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)g.NextNormal()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)g.NextNormal()).ToArray();
        int before = Threading.NumThreads;
        bool dynamicBefore = Threading.Dynamic;
        try
        {
            Threading.SetNumThreads(1);
            var one = new float[m * n];
            GemmKernel.Multiply(a, 0, b, 0, one, 0, m, k, n);
            Threading.Dynamic = false;
            Threading.SetNumThreads(2);
            SplitChooser.Reset();
            for (int call = 0; call < 2 * SplitChooser.TrialsPerKind + 4; call++)
            {
                var c = new float[m * n];
                GemmKernel.Multiply(a, 0, b, 0, c, 0, m, k, n);
                Assert.Equal(one, c);
            }
            Assert.Equal(SplitChooser.Enabled, SplitChooser.For(m, k, n, 2).Decision != 0);
        }
        finally
        {
            Threading.SetNumThreads(before);
            Threading.Dynamic = dynamicBefore;
        }
    }
}
