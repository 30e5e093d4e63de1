using System.Collections.Concurrent;
using System.Diagnostics;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// Whether a product shape that its size would split across threads really runs faster split, learned from the
/// products themselves: the first calls of each (m, k, n, threads) alternate split and single-thread runs, the faster
/// best time wins (split needs a clear margin), and the choice is tried again after a while. A training step repeats
/// the same shapes every step, so it settles within a few steps.
/// </summary>
/// <remarks>
/// Why: a product whose operands the caller's core has just written (a training step's activations) gains less from
/// a second thread than the same product with its operands warm in every core's cache (a repeated benchmark product),
/// because the helper first has to pull them across. No size threshold fits both — measured on the Fashion-MNIST MLP
/// at batch 64, whose 12.8 M-multiply-add products ran slower split while sgemm128's 2.1 M ran faster (PERFORMANCE.md).
/// Split and single-thread runs give the same bits (each element's sum runs in the same order), so the choice only
/// moves time.
/// </remarks>
internal static class SplitChooser
{
    /// <summary>Measurement switch (<c>BACKPROP_GEMM_TUNE=0</c>): always split by size, for A/B runs.</summary>
    internal static readonly bool Enabled = Environment.GetEnvironmentVariable("BACKPROP_GEMM_TUNE") != "0";

    /// <summary>
    /// Products with more multiply-adds per thread than this always split: their arithmetic outweighs moving the
    /// operands (and single-thread trials would cost a benchmark of few large products too much).
    /// </summary>
    internal const long MaxTunedMacsPerThread = 1L << 24;

    /// <summary>Timed runs of each kind before a shape's choice is made.</summary>
    internal const int TrialsPerKind = 3;

    /// <summary>Calls after which a shape's choice is measured again (the machine's load may have changed).</summary>
    internal const int RetrialAfter = 4096;

    /// <summary>How much faster the split runs must be (best against best) to be chosen.</summary>
    internal const double SplitMargin = 0.93;

    private static readonly ConcurrentDictionary<(int M, int K, int N, int Threads), Shape> Shapes = new();

    /// <summary>The learned state of one shape.</summary>
    internal sealed class Shape
    {
        private int calls;
        private long bestSplit = long.MaxValue, bestSingle = long.MaxValue;
        private volatile int decision; // 0: still trying, 1: single thread, 2: split

        /// <summary>The threads to run this call on, and whether to time it (<paramref name="split"/> tells which kind it is).</summary>
        public int Threads(int threads, out bool timed, out bool split)
        {
            int call = Interlocked.Increment(ref calls) - 1;
            int d = decision;
            if (d != 0 && call < RetrialAfter)
            {
                timed = split = false;
                return d == 2 ? threads : 1;
            }
            if (d != 0) // time to look again
            {
                lock (this) { calls = 0; bestSplit = bestSingle = long.MaxValue; decision = 0; }
                call = 0;
            }
            timed = true;
            split = call % 2 == 0;
            return split ? threads : 1;
        }

        /// <summary>Records a timed call; after enough of each kind, decides.</summary>
        public void Report(bool split, long ticks)
        {
            lock (this)
            {
                if (split) bestSplit = Math.Min(bestSplit, ticks);
                else bestSingle = Math.Min(bestSingle, ticks);
                if (decision == 0 && calls >= 2 * TrialsPerKind && bestSplit != long.MaxValue && bestSingle != long.MaxValue)
                    decision = bestSplit < bestSingle * SplitMargin ? 2 : 1;
            }
        }

        /// <summary>The choice made (0 while trying, 1 single thread, 2 split) — tests and probes.</summary>
        public int Decision => decision;
    }

    /// <summary>The state of a shape, created on its first call.</summary>
    public static Shape For(int m, int k, int n, int threads) => Shapes.GetOrAdd((m, k, n, threads), _ => new Shape());

    /// <summary>Forgets every shape (tests).</summary>
    internal static void Reset() => Shapes.Clear();

    /// <summary>A timestamp for <see cref="Shape.Report"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
