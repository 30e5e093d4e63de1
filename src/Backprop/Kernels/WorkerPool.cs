using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// A small pool of dedicated background threads for fork-join kernels (GEMM). A job is split into parts; the caller
/// runs part 0 and the workers the rest. Idle workers spin for a short while before blocking, so back-to-back
/// products in a training loop start without a thread wake-up (the reason BLAS libraries keep spinning workers).
/// Only one job runs at a time; a caller that finds the pool busy runs all parts itself.
/// </summary>
internal static class WorkerPool
{
    private const int SpinIterations = 20_000;
    private static readonly object Gate = new();
    private static readonly List<Thread> Workers = [];
    private static readonly ManualResetEventSlim Wake = new(false);
    private static Action<int>? job;
    private static int parts, remaining, generation;

    /// <summary>Runs <paramref name="body"/>(0 … count−1), part 0 on the calling thread; returns when all are done.</summary>
    /// <remarks>Optimised at once, like the GEMM: a product is over in microseconds, long before tiering would promote it.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int count, Action<int> body)
    {
        if (count <= 1 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            while (Workers.Count < count - 1)
            {
                int index = Workers.Count;
                var t = new Thread(() => Loop(index)) { IsBackground = true, Name = $"Backprop worker {index + 1}" };
                Workers.Add(t);
                t.Start();
            }
            job = body;
            parts = count;
            Volatile.Write(ref remaining, count - 1);
            Interlocked.Increment(ref generation);
            Wake.Set();
            body(0);
            var spin = new SpinWait();
            while (Volatile.Read(ref remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
            Wake.Reset();
            job = null;
        }
        finally { Monitor.Exit(Gate); }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, count) over [0, <paramref name="length"/>) split into up to
    /// <see cref="Threading.NumThreads"/> contiguous ranges of at least <paramref name="minRange"/> elements, each
    /// starting at a multiple of 64 (for elementwise passes such as optimizer updates).
    /// </summary>
    public static void For(int length, int minRange, Action<int, int> body)
    {
        int count = Math.Min(Math.Max(1, Threading.NumThreads), length / Math.Max(1, minRange));
        if (count <= 1)
        {
            body(0, length);
            return;
        }
        Run(count, part =>
        {
            int start = Boundary(length, part, count), end = Boundary(length, part + 1, count);
            if (end > start) body(start, end - start);
        });
    }

    private static int Boundary(int length, int part, int count) =>
        part == count ? length : Math.Min(length, (int)((long)length * part / count) & ~63);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Loop(int index)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref generation) == seen)
            {
                if (++spins < SpinIterations) Thread.SpinWait(20);
                else { Wake.Wait(); spins = 0; }
            }
            seen = Volatile.Read(ref generation);
            int part = index + 1;
            if (part < parts)
            {
                try { job!(part); }
                finally { Interlocked.Decrement(ref remaining); }
            }
        }
    }
}
