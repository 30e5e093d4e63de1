using Backprop.Kernels.Gemm;

namespace Backprop.Tests.Kernels;

/// <summary>The GEMM's learned split choice: how a shape decides, that it looks again later, and that either choice gives the same bits.</summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class SplitChooserTests
{
    /// <summary>Runs a fresh shape through its warm-up and trials; the n-th split and single trial take the given ticks.</summary>
    private static SplitChooser.Shape Trials(Func<int, long> splitTicks, Func<int, long> singleTicks)
    {
        var shape = new SplitChooser.Shape();
        for (int i = 0; i < SplitChooser.WarmupCalls; i++)
        {
            Assert.Equal(2, shape.Threads(2, out bool warmTimed, out _)); // warm-up: split by size, untimed
            Assert.False(warmTimed);
        }
        int splits = 0, singles = 0;
        for (int i = 0; i < 2 * SplitChooser.TrialsPerKind; i++)
        {
            Assert.Equal(0, shape.Decision);
            int threads = shape.Threads(2, out bool timed, out bool split);
            Assert.True(timed);
            Assert.Equal(split ? 2 : 1, threads);
            shape.Report(split, split ? splitTicks(splits++) : singleTicks(singles++));
        }
        Assert.Equal(SplitChooser.TrialsPerKind, splits); // the kinds alternate
        return shape;
    }

    private static int Decide(long splitTicks, long singleTicks) => Trials(_ => splitTicks, _ => singleTicks).Decision;

    [Fact]
    public void TheFasterKindWins_AndSplittingNeedsAClearMargin()
    {
        Assert.Equal(2, Decide(splitTicks: 600, singleTicks: 1000));
        Assert.Equal(1, Decide(splitTicks: 1000, singleTicks: 600));
        Assert.Equal(1, Decide(splitTicks: 980, singleTicks: 1000)); // 2 % faster is not worth a second thread
    }

    [Fact]
    public void MediansDecide_NotTheLuckiestRun()
    {
        // Split runs whose helper happened to be awake twice (300) but was parked otherwise (1500): by best time split
        // would win, by median it loses. And the other way round: two slow outliers do not sink a faster split.
        Assert.Equal(1, Trials(i => i < 2 ? 300 : 1500, _ => 1000).Decision);
        Assert.Equal(2, Trials(i => i < 2 ? 5000 : 500, _ => 1000).Decision);
    }

    [Fact]
    public void ASplitChoice_IsWatched_AndUndoneWhenItStopsPaying()
    {
        var shape = Trials(_ => 500, _ => 1000);
        Assert.Equal(2, shape.Decision);
        for (int i = 0; i < 3 * SplitChooser.TrialsPerKind; i++) // still paying: kept
        {
            Assert.Equal(2, shape.Threads(2, out bool timed, out bool split));
            Assert.True(timed && split);
            shape.Report(split: true, i % 2 == 0 ? 400 : 900);
        }
        Assert.Equal(2, shape.Decision);
        long revoked = SplitChooser.Revoked;
        for (int i = 0; i < SplitChooser.TrialsPerKind; i++) // now as slow as one thread: undone once most of the window says so
        {
            shape.Threads(2, out _, out _);
            shape.Report(split: true, 1000 + i);
            if (i < SplitChooser.TrialsPerKind / 2) Assert.Equal(2, shape.Decision); // a few slow runs are not enough
        }
        Assert.Equal(1, shape.Decision);
        Assert.True(SplitChooser.Revoked > revoked);
        Assert.Equal(1, shape.Threads(2, out bool watched, out _));
        Assert.False(watched); // a single-thread choice is not timed
    }

    [Fact]
    public void AChoiceIsKept_ThenMeasuredAgain()
    {
        var shape = Trials(_ => 1000, _ => 100);
        Assert.Equal(1, shape.Decision);
        for (int i = SplitChooser.TrialCalls; i < SplitChooser.RetrialAfter; i++)
        {
            Assert.Equal(1, shape.Threads(2, out bool timed, out _));
            Assert.False(timed);
        }
        Assert.Equal(2, shape.Threads(2, out bool again, out _));
        Assert.False(again); // trials start over, with their warm-up
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
            for (int call = 0; call < SplitChooser.TrialCalls + 4; call++)
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
