using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// Whether a product shape that its size would split across threads really runs faster split, learned from the
/// products themselves: after a few warm-up calls, the next calls of each (m, k, n, threads) alternate split and
/// single-thread runs, the faster <em>median</em> wins (split needs a clear margin), and the choice is tried again
/// after a while. A training step repeats the same shapes every step, so it settles within a few dozen steps.
/// </summary>
/// <remarks>
/// Why: a product whose operands the caller's core has just written (a training step's activations) gains less from
/// a second thread than the same product with its operands warm in every core's cache (a repeated benchmark product),
/// because the helper first has to pull them across; and a helper that has parked between a step's products costs
/// the caller a wake-up (on a VM whose idle vCPU has halted: ~35 µs to post, ~80 µs until the helper runs,
/// PERFORMANCE.md). No size threshold fits all of it — measured on the Fashion-MNIST MLP at batch 64, whose
/// 12.8 M-multiply-add products ran slower split while sgemm128's 2.1 M ran faster. Medians, not best times: the best
/// split run is the one whose helper happened to be awake, which a training step's products rarely find.
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

    /// <summary>Untimed calls (split by size) before the trials: the first steps of a training run are not its steady state.</summary>
    internal const int WarmupCalls = 4;

    /// <summary>Timed runs of each kind before a shape's choice is made.</summary>
    internal const int TrialsPerKind = 8;

    /// <summary>Calls from the first (or a renewed) trial to the decision: warm-up, then the alternating trials.</summary>
    internal const int TrialCalls = WarmupCalls + 2 * TrialsPerKind;

    /// <summary>Calls after which a shape's choice is measured again (the machine's load may have changed).</summary>
    internal const int RetrialAfter = 4096;

    /// <summary>How much faster the split runs must be (median against median) to be chosen.</summary>
    internal const double SplitMargin = 0.93;

    private static readonly ConcurrentDictionary<(int M, int K, int N, int Threads), Shape> Shapes = new();

    /// <summary>The learned state of one shape.</summary>
    internal sealed class Shape
    {
        private int calls;
        private readonly List<long> splitTicks = new(TrialsPerKind), singleTicks = new(TrialsPerKind);
        private readonly long[] recentSplits = new long[TrialsPerKind];
        private int recentCount;
        private double singleMedian;
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
                lock (this) { calls = 1; splitTicks.Clear(); singleTicks.Clear(); recentCount = 0; decision = 0; }
                call = 0;
            }
            if (call < WarmupCalls)
            {
                timed = false;
                split = true;
                return threads;
            }
            timed = true;
            split = (call - WarmupCalls) % 2 == 0;
            return split ? threads : 1;
        }

        /// <summary>Records a timed call; once both kinds have their trials, decides.</summary>
        public void Report(bool split, long ticks)
        {
            lock (this)
            {
                if (decision == 2)
                {
                    // Trials run while the other shapes' trials keep the helpers awake; a step's products alone may
                    // find them parked. Once the last TrialsPerKind split runs are no faster than the single-thread
                    // trials, the choice is undone.
                    recentSplits[recentCount++ % TrialsPerKind] = ticks;
                    if (recentCount >= TrialsPerKind && Median(recentSplits) >= singleMedian)
                    {
                        decision = 1;
                        Interlocked.Increment(ref Revoked);
                    }
                    return;
                }
                var list = split ? splitTicks : singleTicks;
                if (decision != 0 || list.Count >= TrialsPerKind) return;
                list.Add(ticks);
                if (splitTicks.Count == TrialsPerKind && singleTicks.Count == TrialsPerKind)
                {
                    singleMedian = Median(CollectionsMarshal.AsSpan(singleTicks));
                    decision = Median(CollectionsMarshal.AsSpan(splitTicks)) < singleMedian * SplitMargin ? 2 : 1;
                }
            }
        }

        /// <summary>The choice made (0 while trying, 1 single thread, 2 split) — tests and probes.</summary>
        public int Decision => decision;

        /// <summary>The median of the last watched split runs, in µs (probes).</summary>
        public double RecentSplitMicroseconds { get { lock (this) return recentCount < TrialsPerKind ? double.NaN : Median(recentSplits) * 1e6 / Stopwatch.Frequency; } }

        /// <summary>The median split and single-thread times of the current trials, in µs (probes).</summary>
        public (double Split, double Single) MedianMicroseconds
        {
            get { lock (this) return (Micro(splitTicks), Micro(singleTicks)); }
        }

        /// <summary>The median, without allocating (called on every watched product).</summary>
        private static double Median(ReadOnlySpan<long> ticks)
        {
            Span<long> sorted = stackalloc long[ticks.Length];
            ticks.CopyTo(sorted);
            sorted.Sort();
            int h = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2.0;
        }

        private static double Micro(List<long> ticks) => ticks.Count == 0 ? double.NaN : Median(CollectionsMarshal.AsSpan(ticks)) * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>Split choices undone because the products ran no faster split than single (probes).</summary>
    internal static long Revoked;

    /// <summary>The state of a shape, created on its first call.</summary>
    public static Shape For(int m, int k, int n, int threads) => Shapes.GetOrAdd((m, k, n, threads), _ => new Shape());

    /// <summary>Every shape seen so far with its state (probes).</summary>
    internal static IEnumerable<((int M, int K, int N, int Threads) Key, Shape State)> All() => Shapes.Select(p => (p.Key, p.Value));

    /// <summary>Forgets every shape (tests).</summary>
    internal static void Reset() => Shapes.Clear();

    /// <summary>A timestamp for <see cref="Shape.Report"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
