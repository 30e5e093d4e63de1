using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// The register-tiled inner kernel: a 6 × (2·vector width) tile of C kept in 12 vector registers while it sums
/// kc rank-1 updates read from packed A (6 values per step) and packed B (2 vectors per step).
/// </summary>
internal static unsafe class MicroKernel
{
    public const int MR = 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TVec, T>(int kc, T* pa, T* pb, T* c, int ldc, int rows, int cols, bool accumulate)
        where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        int w = TV.Count;
        if (Sse.IsSupported)
        {
            // Start fetching the C tile now: it is needed only after the k loop, and would otherwise stall the stores.
            for (int i = 0; i < rows; i++) { Sse.Prefetch0(c + i * ldc); Sse.Prefetch0(c + i * ldc + cols - 1); }
        }
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            TVec b0 = TV.Load(pb), b1 = TV.Load(pb + w);
            TVec a = TV.Broadcast(pa[0]); c00 = TV.MultiplyAdd(a, b0, c00); c01 = TV.MultiplyAdd(a, b1, c01);
            a = TV.Broadcast(pa[1]); c10 = TV.MultiplyAdd(a, b0, c10); c11 = TV.MultiplyAdd(a, b1, c11);
            a = TV.Broadcast(pa[2]); c20 = TV.MultiplyAdd(a, b0, c20); c21 = TV.MultiplyAdd(a, b1, c21);
            a = TV.Broadcast(pa[3]); c30 = TV.MultiplyAdd(a, b0, c30); c31 = TV.MultiplyAdd(a, b1, c31);
            a = TV.Broadcast(pa[4]); c40 = TV.MultiplyAdd(a, b0, c40); c41 = TV.MultiplyAdd(a, b1, c41);
            a = TV.Broadcast(pa[5]); c50 = TV.MultiplyAdd(a, b0, c50); c51 = TV.MultiplyAdd(a, b1, c51);
            pa += MR;
            pb += 2 * w;
        }
        if (rows == MR && cols == 2 * w)
        {
            StoreRow<TV, TVec, T>(c, c00, c01, accumulate); StoreRow<TV, TVec, T>(c + ldc, c10, c11, accumulate);
            StoreRow<TV, TVec, T>(c + 2 * ldc, c20, c21, accumulate); StoreRow<TV, TVec, T>(c + 3 * ldc, c30, c31, accumulate);
            StoreRow<TV, TVec, T>(c + 4 * ldc, c40, c41, accumulate); StoreRow<TV, TVec, T>(c + 5 * ldc, c50, c51, accumulate);
            return;
        }
        // Edge tile: spill to a small buffer and copy the valid part.
        int nr = 2 * w;
        T* tile = stackalloc T[MR * 2 * 16];
        TV.Store(tile, c00); TV.Store(tile + w, c01); TV.Store(tile + nr, c10); TV.Store(tile + nr + w, c11);
        TV.Store(tile + 2 * nr, c20); TV.Store(tile + 2 * nr + w, c21); TV.Store(tile + 3 * nr, c30); TV.Store(tile + 3 * nr + w, c31);
        TV.Store(tile + 4 * nr, c40); TV.Store(tile + 4 * nr + w, c41); TV.Store(tile + 5 * nr, c50); TV.Store(tile + 5 * nr + w, c51);
        for (int i = 0; i < rows; i++)
        {
            T* dst = c + i * ldc; T* src = tile + i * nr;
            if (accumulate) for (int j = 0; j < cols; j++) dst[j] += src[j];
            else for (int j = 0; j < cols; j++) dst[j] = src[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TV, TVec, T>(T* c, TVec v0, TVec v1, bool accumulate) where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        if (accumulate) { v0 = TV.Add(v0, TV.Load(c)); v1 = TV.Add(v1, TV.Load(c + TV.Count)); }
        TV.Store(c, v0);
        TV.Store(c + TV.Count, v1);
    }

    /// <summary>Portable fallback with the same packed layout: a scalar MR × nr tile.</summary>
    public static void RunScalar<T>(int kc, T* pa, T* pb, int nr, T* c, int ldc, int rows, int cols, bool accumulate) where T : unmanaged, INumber<T>
    {
        T* acc = stackalloc T[MR * 32];
        for (int i = 0; i < MR * nr; i++) acc[i] = T.Zero;
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < MR; i++)
            {
                T a = pa[i];
                for (int j = 0; j < nr; j++) acc[i * nr + j] += a * pb[j];
            }
            pa += MR;
            pb += nr;
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i * nr + j] : acc[i * nr + j];
    }
}
