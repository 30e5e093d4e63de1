using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// Whether a product shape that its size would split across threads really runs faster split, learned from the
/// products themselves: the first calls of each (m, k, n, threads) alternate split and single-thread runs, the faster
/// best time wins (split needs a clear margin), a split choice stays under watch and is undone once it stops paying,
/// and the choice is tried again after a while. A training step repeats the same shapes every step, so it settles
/// within a few steps.
/// </summary>
/// <remarks>
/// Why: a product whose operands the caller's core has just written (a training step's activations) gains less from
/// a second thread than the same product with its operands warm in every core's cache (a repeated benchmark product),
/// because the helper first has to pull them across. No size threshold fits both — measured on the Fashion-MNIST MLP
/// at batch 64, whose 12.8 M-multiply-add products ran slower split while sgemm128's 2.1 M ran faster (PERFORMANCE.md).
/// Best times make the trials quick and favour splitting (the best split run is one whose helper was awake), which
/// is right for products that come back to back; the watch corrects it for products that come between other work —
/// a training step's — whose helpers have parked meanwhile and cost a wake-up each time (on a VM, ~35 µs to post and
/// ~80 µs until the helper runs: PERFORMANCE.md, "Threads on a shared machine").
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

    /// <summary>Split runs right after a split choice that the watch ignores (helpers that parked during the trials are still waking).</summary>
    internal const int WatchWarmup = 4;

    /// <summary>Watched split runs per window: a window whose median is no faster than the single-thread trials' undoes the choice.</summary>
    internal const int WatchWindow = 8;

    /// <summary>The least time a watch window spans (its runs' sum), so that one hiccup of a shared machine cannot fill it.</summary>
    internal const int WatchWindowMicroseconds = 1000;

    private static readonly long WatchWindowTicks = Stopwatch.Frequency * WatchWindowMicroseconds / 1_000_000;

    private static readonly ConcurrentDictionary<(int M, int K, int N, int Threads), Shape> Shapes = new();

    /// <summary>The learned state of one shape.</summary>
    internal sealed class Shape
    {
        private int calls;
        private long bestSplit = long.MaxValue, bestSingle = long.MaxValue;
        private readonly List<long> singles = new(TrialsPerKind), watched = new(4 * WatchWindow);
        private long watchedTicks;
        private int watchSkipped;
        private double singleMedian, lastWindowMedian = double.NaN;
        private volatile int decision; // 0: still trying, 1: single thread, 2: split

        /// <summary>The threads to run this call on, and whether to time it (<paramref name="split"/> tells which kind it is).</summary>
        public int Threads(int threads, out bool timed, out bool split)
        {
            int call = Interlocked.Increment(ref calls) - 1;
            int d = decision;
            if (d != 0 && call < RetrialAfter)
            {
                timed = split = d == 2; // a split choice stays under watch (two timestamps per call)
                return d == 2 ? threads : 1;
            }
            if (d != 0) // time to look again
            {
                lock (this)
                {
                    calls = 1;
                    bestSplit = bestSingle = long.MaxValue;
                    singles.Clear();
                    watched.Clear();
                    watchedTicks = watchSkipped = 0;
                    lastWindowMedian = double.NaN;
                    decision = 0;
                }
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
                if (decision == 2)
                {
                    Watch(ticks);
                    return;
                }
                if (split) bestSplit = Math.Min(bestSplit, ticks);
                else
                {
                    bestSingle = Math.Min(bestSingle, ticks);
                    if (singles.Count < TrialsPerKind) singles.Add(ticks);
                }
                if (decision == 0 && calls >= 2 * TrialsPerKind && bestSplit != long.MaxValue && bestSingle != long.MaxValue)
                {
                    singleMedian = Median(CollectionsMarshal.AsSpan(singles));
                    decision = bestSplit < bestSingle * SplitMargin ? 2 : 1;
                }
            }
        }

        /// <summary>
        /// One run of a split choice, in windows of at least <see cref="WatchWindow"/> runs spanning
        /// <see cref="WatchWindowMicroseconds"/>: a window whose median is no faster than the single-thread trials'
        /// undoes the choice. Called under the lock.
        /// </summary>
        private void Watch(long ticks)
        {
            if (watchSkipped++ < WatchWarmup) return;
            watched.Add(ticks);
            watchedTicks += ticks;
            if (watched.Count < WatchWindow || (watchedTicks < WatchWindowTicks && watched.Count < watched.Capacity)) return;
            lastWindowMedian = Median(CollectionsMarshal.AsSpan(watched));
            watched.Clear();
            watchedTicks = 0;
            if (lastWindowMedian >= singleMedian)
            {
                decision = 1;
                Interlocked.Increment(ref Revoked);
            }
        }

        /// <summary>The choice made (0 while trying, 1 single thread, 2 split) — tests and probes.</summary>
        public int Decision => decision;

        /// <summary>Best split and single trial, the single trials' median and the last watch window's median, in µs (probes).</summary>
        public (double BestSplit, double BestSingle, double SingleMedian, double LastWindow) Microseconds
        {
            get { lock (this) return (Micro(bestSplit), Micro(bestSingle), singleMedian * 1e6 / Stopwatch.Frequency, lastWindowMedian * 1e6 / Stopwatch.Frequency); }
        }

        private static double Micro(long ticks) => ticks == long.MaxValue ? double.NaN : ticks * 1e6 / Stopwatch.Frequency;

        /// <summary>The median, without allocating (the watch calls it on hot paths).</summary>
        private static double Median(ReadOnlySpan<long> ticks)
        {
            Span<long> sorted = ticks.Length <= 256 ? stackalloc long[ticks.Length] : new long[ticks.Length];
            ticks.CopyTo(sorted);
            sorted.Sort();
            int h = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2.0;
        }
    }

    /// <summary>Split choices undone by the watch so far (tests, probes).</summary>
    internal static long Revoked;

    /// <summary>Every shape seen so far with its state (probes).</summary>
    internal static IEnumerable<((int M, int K, int N, int Threads) Key, Shape State)> All() => Shapes.Select(p => (p.Key, p.Value));

    /// <summary>The state of a shape, created on its first call.</summary>
    public static Shape For(int m, int k, int n, int threads) => Shapes.GetOrAdd((m, k, n, threads), _ => new Shape());

    /// <summary>Forgets every shape (tests).</summary>
    internal static void Reset() => Shapes.Clear();

    /// <summary>A timestamp for <see cref="Shape.Report"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
