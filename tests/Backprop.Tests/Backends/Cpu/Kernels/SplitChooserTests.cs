using System.Diagnostics;
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
            shape.Report(split, split ? 1000 : 100);
        }
        Assert.Equal(1, shape.Decision);
        for (int i = 2 * SplitChooser.TrialsPerKind; i < SplitChooser.RetrialAfter; i++)
        {
            Assert.Equal(1, shape.Threads(2, out bool timed, out _));
            Assert.False(timed); // a single-thread choice costs no timing
        }
        shape.Threads(2, out bool again, out _);
        Assert.True(again); // trials start over
        Assert.Equal(0, shape.Decision);
    }

    /// <summary>A shape whose trials chose splitting (split 500, single 1000 ticks).</summary>
    private static SplitChooser.Shape SplitChosen()
    {
        var shape = new SplitChooser.Shape();
        for (int i = 0; i < 2 * SplitChooser.TrialsPerKind; i++)
        {
            shape.Threads(2, out _, out bool split);
            shape.Report(split, split ? 500 : 1000);
        }
        Assert.Equal(2, shape.Decision);
        return shape;
    }

    /// <summary>Runs up to <paramref name="runs"/> watched split calls of <paramref name="ticks"/> each, while the choice stands.</summary>
    private static void Watched(SplitChooser.Shape shape, int runs, long ticks)
    {
        for (int i = 0; i < runs && shape.Decision == 2; i++)
        {
            Assert.Equal(2, shape.Threads(2, out bool timed, out bool split));
            Assert.True(timed && split); // a split choice is timed
            shape.Report(split: true, ticks);
        }
    }

    [Fact]
    public void ASplitChoice_IsUndone_WhenAWindowOfItsRunsIsNoFasterThanOneThread()
    {
        // Enough runs to span the window's time whatever Stopwatch's resolution: ticks of a tenth of the window each.
        long window = Stopwatch.Frequency * SplitChooser.WatchWindowMicroseconds / 1_000_000;
        var shape = SplitChosen();
        long revoked = SplitChooser.Revoked;
        Watched(shape, SplitChooser.WatchWarmup, long.MaxValue / 1000); // still waking after the trials: ignored
        Watched(shape, 3 * SplitChooser.WatchWindow, 600); // paying (faster than the single trials' 1000): kept
        Assert.Equal(2, shape.Decision);
        Watched(shape, SplitChooser.WatchWindow - 1, Math.Max(1000, window / 10)); // a window not yet full: kept
        Assert.Equal(2, shape.Decision);
        Watched(shape, 4 * SplitChooser.WatchWindow, Math.Max(1000, window / 10));
        Assert.Equal(1, shape.Decision); // the helpers park between calls: back to one thread
        Assert.True(SplitChooser.Revoked > revoked);
        Assert.Equal(1, shape.Threads(2, out bool timed, out _));
        Assert.False(timed);
    }

    [Fact]
    public void OneSlowRun_DoesNotUndoASplitChoice()
    {
        var shape = SplitChosen();
        Watched(shape, SplitChooser.WatchWarmup, 600);
        for (int i = 0; i < 10 * SplitChooser.WatchWindow; i++) Watched(shape, 1, i % SplitChooser.WatchWindow == 0 ? 100_000 : 600);
        Assert.Equal(2, shape.Decision);
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
