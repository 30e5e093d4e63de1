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
/// the packing, so transposed operands are never copied. Blocks of C rows (and, for short A, column ranges) are
/// spread over <see cref="Threading.NumThreads"/> threads.
/// </summary>
internal static unsafe class GemmKernel
{
    private const int KC = 256, MC = 120, NC = 3072, SmallWork = 1 << 13;

    /// <summary>Set by tests to force a path; Auto picks the widest the CPU supports.</summary>
    internal static GemmPath ForcedPath = GemmPath.Auto;

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
        fixed (T* pa0 = a, pb0 = b, pc0 = c)
        {
            nint pa = (nint)(pa0 + aOffset), pb = (nint)(pb0 + bOffset), pc = (nint)(pc0 + cOffset);
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc), strips = (nc + nr - 1) / nr;
                for (int p0 = 0; p0 < k; p0 += KC)
                {
                    int kc = Math.Min(KC, k - p0);
                    bool acc = accumulate || p0 > 0;
                    var packedB = Buffers<T>.B(strips * nr * kc);
                    PackB((T*)pb + (long)p0 * bRow + (long)jc * bCol, bRow, bCol, kc, nc, nr, packedB);
                    // Balanced work: as many row blocks as needed (a multiple of the thread count when there is
                    // enough work), all of nearly equal height; short A is also split along the columns.
                    int threads = Math.Max(1, Threading.NumThreads);
                    bool parallel = threads > 1 && (long)m * nc * kc >= 1 << 17;
                    int blocks = (m + MC - 1) / MC;
                    if (parallel && blocks >= threads) blocks = (blocks + threads - 1) / threads * threads;
                    int blockRows = ((m + blocks - 1) / blocks + MicroKernel.MR - 1) / MicroKernel.MR * MicroKernel.MR;
                    blocks = (m + blockRows - 1) / blockRows;
                    int chunks = !parallel || blocks >= threads ? 1 : Math.Min(strips, (threads + blocks - 1) / blocks);
                    int tasks = blocks * chunks;
                    nint pbPacked = (nint)packedB;
                    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
                    void Task(int t)
                    {
                        int block = t / chunks, chunk = t % chunks;
                        int ic = block * blockRows, mc = Math.Min(blockRows, m - ic);
                        int s0 = (int)((long)strips * chunk / chunks), s1 = (int)((long)strips * (chunk + 1) / chunks);
                        var packedA = Buffers<T>.A(((mc + MicroKernel.MR - 1) / MicroKernel.MR) * MicroKernel.MR * kc);
                        PackA((T*)pa + (long)ic * aRow + (long)p0 * aCol, aRow, aCol, mc, kc, packedA);
                        for (int s = s0; s < s1; s++)
                        {
                            int cols = Math.Min(nr, nc - s * nr);
                            T* bStrip = (T*)pbPacked + (long)s * kc * nr;
                            for (int ir = 0; ir < mc; ir += MicroKernel.MR)
                            {
                                T* cTile = (T*)pc + (long)(ic + ir) * ldc + jc + s * nr;
                                T* aStrip = packedA + (long)ir * kc;
                                int rows = Math.Min(MicroKernel.MR, mc - ir);
                                Tile(path, kc, aStrip, bStrip, nr, cTile, ldc, rows, cols, acc);
                            }
                        }
                    }
                    if (tasks == 1 || !parallel)
                        for (int t = 0; t < tasks; t++) Task(t);
                    else
                        Parallel.For(0, tasks, Threading.Options, Task);
                }
            }
        }
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

    /// <summary>Packs an mc×kc block of A into 6-row strips: strip s holds, for each p, the 6 values A(6s..6s+5, p); rows past mc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA<T>(T* a, int aRow, int aCol, int mc, int kc, T* dst) where T : unmanaged, INumber<T>
    {
        const int MR = MicroKernel.MR;
        for (int s = 0; s < mc; s += MR)
        {
            T* strip = dst + (long)s * kc;
            for (int r = 0; r < MR; r++)
            {
                int row = s + r;
                if (row >= mc) { for (int p = 0; p < kc; p++) strip[p * MR + r] = T.Zero; continue; }
                T* src = a + (long)row * aRow;
                if (aCol == 1) for (int p = 0; p < kc; p++) strip[p * MR + r] = src[p];
                else for (int p = 0; p < kc; p++) strip[p * MR + r] = src[(long)p * aCol];
            }
        }
    }

    /// <summary>Packs a kc×nc panel of B into nr-wide strips: strip s holds, for each p, B(p, nr·s..nr·s+nr−1); columns past nc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<T>(T* b, int bRow, int bCol, int kc, int nc, int nr, T* dst) where T : unmanaged, INumber<T>
    {
        for (int s = 0; s * nr < nc; s++)
        {
            T* strip = dst + (long)s * kc * nr;
            int j0 = s * nr, cols = Math.Min(nr, nc - j0);
            if (bCol == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    T* src = b + (long)p * bRow + j0;
                    T* d = strip + p * nr;
                    new ReadOnlySpan<T>(src, cols).CopyTo(new Span<T>(d, cols));
                    if (cols < nr) new Span<T>(d + cols, nr - cols).Clear();
                }
            }
            else
            {
                for (int j = 0; j < nr; j++)
                {
                    if (j >= cols) { for (int p = 0; p < kc; p++) strip[p * nr + j] = T.Zero; continue; }
                    T* src = b + (long)(j0 + j) * bCol;
                    for (int p = 0; p < kc; p++) strip[p * nr + j] = src[(long)p * bRow];
                }
            }
        }
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
