using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>Throughput figures on the GPU: SGEMM 4096 in FP32 and TF32, DGEMM 4096, timed with CUDA events.</summary>
internal static class Figures
{
    public static int Run()
    {
        using var gpu = Gpu.Open();
        var d = gpu.Cuda;
        const int n = 4096;
        foreach (var (t, tf32) in new[] { (DType.Float32, false), (DType.Float32, true), (DType.Float64, false) })
        {
            d.Blas.SetTf32(tf32);
            long bytes = (long)n * n * t.ElementSize();
            var (a, b, c) = (d.Allocator.Allocate(bytes, d.Stream), d.Allocator.Allocate(bytes, d.Stream), d.Allocator.Allocate(bytes, d.Stream));
            foreach (var blk in new[] { a, b, c }) d.Driver.Memset32(blk.Pointer, 0x3c23d70a /* 0.01f */, bytes / 4, d.Stream);
            for (int i = 0; i < 3; i++) d.Gemm(t, a.Pointer, b.Pointer, c.Pointer, n, n, n, false);
            nint start = d.Driver.CreateEvent(true), end = d.Driver.CreateEvent(true);
            const int reps = 20;
            d.Driver.RecordEvent(start, d.Stream);
            for (int i = 0; i < reps; i++) d.Gemm(t, a.Pointer, b.Pointer, c.Pointer, n, n, n, false);
            d.Driver.RecordEvent(end, d.Stream);
            d.Driver.SynchronizeEvent(end);
            double ms = d.Driver.ElapsedMilliseconds(start, end) / reps;
            Console.WriteLine($"{{\"work\":\"{(t == DType.Float32 ? "sgemm" : "dgemm")}{n}{(tf32 ? "_tf32" : "")}\",\"ms\":{ms:F3},\"gflops\":{2.0 * n * n * n / (ms * 1e6):F0}}}");
            foreach (var blk in new[] { a, b, c }) d.Allocator.Release(blk);
        }
        d.Blas.SetTf32(false);
        return 0;
    }
}
