using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Gemm;

/// <summary>Which micro-kernel the GEMM runs; tests force each one.</summary>
internal enum GemmPath { Auto, Vector512, Vector256, Scalar }

/// <summary>
/// C[m,n] = A[m,k]·B[k,n] (or C += A·B) over strided operands, in the Goto/BLIS scheme: B is packed in kc×nc panels
/// of nr-wide strips, A in mc×kc blocks of 6-row strips, and a register-tiled micro-kernel (Vector512 or Vector256
/// FMA, chosen by the hardware, with a scalar fallback) computes 6×nr tiles. Any row/column strides are absorbed by
/// the packing, so transposed operands are never copied. C's columns (or, when C is narrow or far taller than wide, its rows) are split
/// across up to <see cref="Threading.MaxKernelThreads"/> threads (fewer for small products, and for mid-size ones whose
/// helpers have parked: <see cref="WorkerPool.ThreadsForWake"/>), each running the whole loop nest with its own packed panels.
/// </summary>
internal static unsafe class GemmKernel
{
    private const int KC = 256, MC = 120, NC = 3072, SmallWork = 1 << 13;

    /// <summary>Multiply-adds a thread must get before a product is split (measured: below it the hand-off costs more than it saves).</summary>
    internal const long MinMacsPerThread = 1 << 17;

    /// <summary>
    /// Set by tests to force a path; Auto picks the widest the CPU supports. Per thread, so a test forcing a path
    /// does not change the rounding of products other tests run in parallel.
    /// </summary>
    [ThreadStatic] internal static GemmPath ForcedPath;

    /// <summary>The path Auto resolves to on this machine.</summary>
    internal static GemmPath BestPath => Avx512F.IsSupported ? GemmPath.Vector512 : Fma.IsSupported ? GemmPath.Vector256 : GemmPath.Scalar;

    /// <summary>Row-major contiguous operands.</summary>
    public static void Multiply<T>(T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset, int m, int k, int n, bool accumulate = false)
        where T : unmanaged, INumber<T> =>
        Multiply(a, aOffset, k, 1, b, bOffset, n, 1, c, cOffset, n, m, k, n, accumulate);

    /// <remarks>Marked for full optimisation at once: a training loop calls this a few hundred times per epoch, too few
    /// for tiered compilation to promote the packing loops quickly.</remarks>
    /// <summary>General form: A(i,p) = a[aOffset + i·aRow + p·aCol], B(p,j) = b[bOffset + p·bRow + j·bCol], C row-major with leading dimension ldc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(T[] a, int aOffset, int aRow, int aCol, T[] b, int bOffset, int bRow, int bCol,
        T[] c, int cOffset, int ldc, int m, int k, int n, bool accumulate = false) where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || (long)m * n * k <= SmallWork)
        {
            Naive(a, aOffset, aRow, aCol, b, bOffset, bRow, bCol, c, cOffset, ldc, m, k, n, accumulate);
            return;
        }
        var path = ForcedPath == GemmPath.Auto ? BestPath : ForcedPath;
        if (path == GemmPath.Vector512 && !Avx512F.IsSupported) path = GemmPath.Vector256;
        if (path == GemmPath.Vector256 && !Fma.IsSupported) path = GemmPath.Scalar;
        int nr = path switch
        {
            GemmPath.Vector512 => 2 * 64 / Unsafe.SizeOf<T>(),
            GemmPath.Vector256 => 2 * 32 / Unsafe.SizeOf<T>(),
            _ => 8,
        };
        // One fork-join per product: each thread runs the whole blocked loop nest on its own range of C's columns
        // (or rows, when C is too narrow), packing its own panels, so no thread waits on another mid-product.
        int threads = Threading.ForWork((long)m * n * k, MinMacsPerThread);
        int strips = (n + nr - 1) / nr, rowStrips = (m + MicroKernel.MR - 1) / MicroKernel.MR;
        // Split C's columns, unless C is far taller than wide: then each thread would pack all of a tall A for a few
        // columns, so it takes a band of rows instead (and packs all of B, which is small).
        bool byColumns = (strips >= 2 * threads || strips >= rowStrips) && rowStrips < 8 * strips;
        threads = Math.Min(threads, byColumns ? strips : rowStrips);
        // Parked helpers are woken only for as many threads as the product pays for at a wake-up's price.
        threads = WorkerPool.ThreadsForWake(threads, (long)m * n * k, WorkerPool.WakeWorthMacsPerThread);
        fixed (T* pa0 = a, pb0 = b, pc0 = c)
        {
            nint pa = (nint)(pa0 + aOffset), pb = (nint)(pb0 + bOffset), pc = (nint)(pc0 + cOffset);
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void Part(int t)
            {
                int units = byColumns ? strips : rowStrips;
                int u0 = (int)((long)units * t / threads), u1 = (int)((long)units * (t + 1) / threads);
                if (byColumns)
                    Block((T*)pa, aRow, aCol, (T*)pb, bRow, bCol, (T*)pc, ldc, 0, m, u0 * nr, Math.Min(n, u1 * nr), k, nr, path, accumulate);
                else
                    Block((T*)pa, aRow, aCol, (T*)pb, bRow, bCol, (T*)pc, ldc, u0 * MicroKernel.MR, Math.Min(m, u1 * MicroKernel.MR), 0, n, k, nr, path, accumulate);
            }
            if (threads == 1) Part(0);
            else WorkerPool.Run(threads, Part);
        }
    }

    /// <summary>The blocked loop nest for rows [i0, i1) and columns [j0, j1) of C, on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<T>(T* a, int aRow, int aCol, T* b, int bRow, int bCol, T* c, int ldc,
        int i0, int i1, int j0, int j1, int k, int nr, GemmPath path, bool accumulate) where T : unmanaged, INumber<T>
    {
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc), strips = (nc + nr - 1) / nr;
            // Equal k-blocks (multiples of 8, for the SIMD packing) rather than full ones and a thin remainder:
            // k = 784 runs as 264 + 264 + 256 instead of 256 + 256 + 256 + 16.
            int kBlock = Balanced(k, KC, 8);
            for (int p0 = 0; p0 < k; p0 += kBlock)
            {
                int kc = Math.Min(kBlock, k - p0);
                bool acc = accumulate || p0 > 0;
                var packedB = Buffers<T>.B(strips * nr * kc);
                Packing.PackB(b + (long)p0 * bRow + (long)jc * bCol, bRow, bCol, kc, nc, nr, packedB);
                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mc = Math.Min(MC, i1 - ic);
                    var packedA = Buffers<T>.A(((mc + MicroKernel.MR - 1) / MicroKernel.MR) * MicroKernel.MR * kc + Packing.APadding);
                    Packing.PackA(a + (long)ic * aRow + (long)p0 * aCol, aRow, aCol, mc, kc, packedA);
                    for (int s = 0; s < strips; s++)
                    {
                        int cols = Math.Min(nr, nc - s * nr);
                        T* bStrip = packedB + (long)s * kc * nr;
                        for (int ir = 0; ir < mc; ir += MicroKernel.MR)
                            Tile(path, kc, packedA + (long)ir * kc, bStrip, nr, c + (long)(ic + ir) * ldc + jc + s * nr, ldc,
                                Math.Min(MicroKernel.MR, mc - ir), cols, acc);
                    }
                }
            }
        }
    }

    /// <summary>The block size that splits <paramref name="total"/> into as few blocks of at most about <paramref name="max"/> as possible, of equal size rounded up to <paramref name="multiple"/>.</summary>
    private static int Balanced(int total, int max, int multiple)
    {
        int blocks = (total + max - 1) / max;
        int size = (total + blocks - 1) / blocks;
        return (size + multiple - 1) / multiple * multiple;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<T>(GemmPath path, int kc, T* a, T* b, int nr, T* c, int ldc, int rows, int cols, bool acc) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            if (path == GemmPath.Vector512) { MicroKernel.Run<V512F, Vector512<float>, float>(kc, (float*)a, (float*)b, (float*)c, ldc, rows, cols, acc); return; }
            if (path == GemmPath.Vector256) { MicroKernel.Run<V256F, Vector256<float>, float>(kc, (float*)a, (float*)b, (float*)c, ldc, rows, cols, acc); return; }
        }
        else if (typeof(T) == typeof(double))
        {
            if (path == GemmPath.Vector512) { MicroKernel.Run<V512D, Vector512<double>, double>(kc, (double*)a, (double*)b, (double*)c, ldc, rows, cols, acc); return; }
            if (path == GemmPath.Vector256) { MicroKernel.Run<V256D, Vector256<double>, double>(kc, (double*)a, (double*)b, (double*)c, ldc, rows, cols, acc); return; }
        }
        MicroKernel.RunScalar(kc, a, b, nr, c, ldc, rows, cols, acc);
    }

    /// <summary>Triple loop for tiny products, where packing would cost more than it saves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Naive<T>(T[] a, int aOffset, int aRow, int aCol, T[] b, int bOffset, int bRow, int bCol,
        T[] c, int cOffset, int ldc, int m, int k, int n, bool accumulate) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = accumulate ? c[cOffset + i * ldc + j] : T.Zero;
                for (int p = 0; p < k; p++) s += a[aOffset + i * aRow + p * aCol] * b[bOffset + p * bRow + j * bCol];
                c[cOffset + i * ldc + j] = s;
            }
    }

    /// <summary>Per-thread pinned packing buffers, grown on demand and reused.</summary>
    private static class Buffers<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? a, b;

        public static T* A(int size) => Get(ref a, size);
        public static T* B(int size) => Get(ref b, size);

        private static T* Get(ref T[]? buffer, int size)
        {
            if (buffer is null || buffer.Length < size) buffer = GC.AllocateUninitializedArray<T>(Math.Max(size, 1024), pinned: true);
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        }
    }
}
