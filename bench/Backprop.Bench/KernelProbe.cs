using System.Diagnostics;
using Backprop.Kernels.Gemm;

namespace Backprop.Bench;

/// <summary>Measures the GEMM micro-kernel alone on cache-resident packed panels (GFLOP/s of one core).</summary>
public static unsafe class KernelProbe
{
    public static double MicroKernelGflops(int kc = 256, int reps = 200_000)
    {
        var a = GC.AllocateArray<float>(6 * kc, pinned: true);
        var b = GC.AllocateArray<float>(16 * kc, pinned: true);
        var c = GC.AllocateArray<float>(6 * 16, pinned: true);
        for (int i = 0; i < a.Length; i++) a[i] = 0.001f * i;
        for (int i = 0; i < b.Length; i++) b[i] = 0.002f * i;
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int r = 0; r < 1000; r++) MicroKernel.Run<V256F, System.Runtime.Intrinsics.Vector256<float>, float>(kc, pa, pb, pc, 16, 6, 16, true);
            var clock = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) MicroKernel.Run<V256F, System.Runtime.Intrinsics.Vector256<float>, float>(kc, pa, pb, pc, 16, 6, 16, true);
            return 2.0 * 6 * 16 * kc * reps / clock.Elapsed.TotalSeconds / 1e9;
        }
    }
}

public static unsafe class KernelProbeDirect
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* pa, float* pb, float* c)
    {
        var c00 = System.Runtime.Intrinsics.Vector256<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        for (int p = 0; p < kc; p++)
        {
            var b0 = System.Runtime.Intrinsics.X86.Avx.LoadVector256(pb);
            var b1 = System.Runtime.Intrinsics.X86.Avx.LoadVector256(pb + 8);
            var a = System.Runtime.Intrinsics.Vector256.Create(pa[0]);
            c00 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c00); c01 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c01);
            a = System.Runtime.Intrinsics.Vector256.Create(pa[1]);
            c10 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c10); c11 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c11);
            a = System.Runtime.Intrinsics.Vector256.Create(pa[2]);
            c20 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c20); c21 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c21);
            a = System.Runtime.Intrinsics.Vector256.Create(pa[3]);
            c30 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c30); c31 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c31);
            a = System.Runtime.Intrinsics.Vector256.Create(pa[4]);
            c40 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c40); c41 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c41);
            a = System.Runtime.Intrinsics.Vector256.Create(pa[5]);
            c50 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b0, c50); c51 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b1, c51);
            pa += 6; pb += 16;
        }
        System.Runtime.Intrinsics.X86.Avx.Store(c, c00 + c01 + c10 + c11 + c20 + c21 + c30 + c31 + c40 + c41 + c50 + c51);
    }

    public static double Gflops(int kc = 256, int reps = 200_000)
    {
        var a = GC.AllocateArray<float>(6 * kc, pinned: true);
        var b = GC.AllocateArray<float>(16 * kc, pinned: true);
        var c = GC.AllocateArray<float>(6 * 16, pinned: true);
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int r = 0; r < 1000; r++) Run(kc, pa, pb, pc);
            var clock = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) Run(kc, pa, pb, pc);
            return 2.0 * 6 * 16 * kc * reps / clock.Elapsed.TotalSeconds / 1e9;
        }
    }
}

public static class GemmProbe
{
    /// <summary>GEMM into a reused output buffer: GFLOP/s without allocation effects.</summary>
    public static double InPlace(int n, int reps)
    {
        var g = new Generator(0);
        var a = Tensor.Randn([n, n], g).ToArray<float>();
        var b = Tensor.Randn([n, n], g).ToArray<float>();
        var c = new float[n * n];
        for (int i = 0; i < 5; i++) GemmKernel.Multiply(a, 0, b, 0, c, 0, n, n, n);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) GemmKernel.Multiply(a, 0, b, 0, c, 0, n, n, n);
        return 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
    }
}

public static class ShapeProbe
{
    /// <summary>GFLOP/s of C[m,n] = A[m,k]·B[k,n] into a reused buffer, optionally with B read transposed (x·Wᵀ).</summary>
    public static double Run(int m, int k, int n, bool transposedB, int reps = 200)
    {
        var g = new Generator(0);
        var a = Tensor.Randn([m, k], g).ToArray<float>();
        var b = Tensor.Randn([k, n], g).ToArray<float>();
        var c = new float[m * n];
        void Once()
        {
            if (transposedB) GemmKernel.Multiply(a, 0, k, 1, b, 0, 1, k, c, 0, n, m, k, n);
            else GemmKernel.Multiply(a, 0, b, 0, c, 0, m, k, n);
        }
        for (int i = 0; i < 20; i++) Once();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) Once();
        return 2.0 * m * n * k * reps / clock.Elapsed.TotalSeconds / 1e9;
    }
}
