namespace Backprop;

/// <summary>How many threads compute kernels use (<c>torch.set_num_threads</c> / <c>torch.get_num_threads</c>).</summary>
public static class Threading
{
    private static int threads = Environment.ProcessorCount;

    /// <summary>Threads used by parallel kernels such as matrix multiply; defaults to the number of cores.</summary>
    public static int NumThreads => threads;

    /// <summary>Sets the number of threads (at least 1).</summary>
    public static void SetNumThreads(int n)
    {
        if (n < 1) throw new ArgumentException($"SetNumThreads: need at least 1 thread, got {n}.");
        threads = n;
    }
}
