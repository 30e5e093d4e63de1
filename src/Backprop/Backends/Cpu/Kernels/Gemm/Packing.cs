using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// Copies blocks of A and B into the layouts the micro-kernel streams through. Operands are read through their
/// strides, so a transposed operand costs a different packing loop, never a copy. For Float32 the two gathering
/// cases — row-major A and transposed B, where each packed row takes one value from each of several source rows —
/// run as 8×8 AVX transposes; everything else is a scalar loop.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Extra elements the A buffer needs past the packed block: the AVX path stores 8 floats per 6-row group.</summary>
    public const int APadding = 8;

    /// <summary>Packs an mc×kc block of A into 6-row strips: strip s holds, for each p, the 6 values A(6s..6s+5, p); rows past mc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(T* a, int aRow, int aCol, int mc, int kc, T* dst) where T : unmanaged, INumber<T>
    {
        const int MR = MicroKernel.MR;
        for (int s = 0; s < mc; s += MR)
        {
            T* strip = dst + (long)s * kc;
            T* src = a + (long)s * aRow;
            int rows = Math.Min(MR, mc - s);
            if (rows == MR && aRow == 1)
            {
                // Transposed A: the 6 values for each p are adjacent in memory.
                for (int p = 0; p < kc; p++)
                    Unsafe.CopyBlockUnaligned(strip + p * MR, src + (long)p * aCol, (uint)(MR * sizeof(T))); // a constant-size copy the JIT unrolls
                continue;
            }
            int p0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported && rows == MR && aCol == 1)
                p0 = PackRowMajorA((float*)src, aRow, kc, (float*)strip);
            for (int r = 0; r < MR; r++)
            {
                if (r >= rows) { for (int p = p0; p < kc; p++) strip[p * MR + r] = T.Zero; continue; }
                T* row = src + (long)r * aRow;
                for (int p = p0; p < kc; p++) strip[p * MR + r] = row[(long)p * aCol];
            }
        }
    }

    /// <summary>Packs a kc×nc panel of B into nr-wide strips: strip s holds, for each p, B(p, nr·s..nr·s+nr−1); columns past nc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(T* b, int bRow, int bCol, int kc, int nc, int nr, T* dst) where T : unmanaged, INumber<T>
    {
        for (int s = 0; s * nr < nc; s++)
        {
            T* strip = dst + (long)s * kc * nr;
            int j0 = s * nr, cols = Math.Min(nr, nc - j0);
            if (bCol == 1 && cols == nr && Vector256.IsHardwareAccelerated && nr % Vector256<T>.Count == 0)
            {
                // A full strip of a row-major B: nr contiguous values per p, moved as whole vectors.
                for (int p = 0; p < kc; p++)
                {
                    T* src = b + (long)p * bRow + j0, d = strip + p * nr;
                    for (int j = 0; j < nr; j += Vector256<T>.Count) Vector256.Store(Vector256.Load(src + j), d + j);
                }
                continue;
            }
            if (bCol == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    T* src = b + (long)p * bRow + j0;
                    T* d = strip + p * nr;
                    new ReadOnlySpan<T>(src, cols).CopyTo(new Span<T>(d, cols));
                    if (cols < nr) new Span<T>(d + cols, nr - cols).Clear();
                }
                continue;
            }
            int p0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported && cols == nr && bRow == 1 && nr % 8 == 0)
                p0 = PackTransposedB((float*)(b + (long)j0 * bCol), bCol, kc, nr, (float*)strip);
            for (int j = 0; j < nr; j++)
            {
                if (j >= cols) { for (int p = p0; p < kc; p++) strip[p * nr + j] = T.Zero; continue; }
                T* src = b + (long)(j0 + j) * bCol;
                for (int p = p0; p < kc; p++) strip[p * nr + j] = src[(long)p * bRow];
            }
        }
    }

    /// <summary>Six full rows of a row-major A, 8 values of p at a time; returns the first p left for the scalar loop.</summary>
    /// <remarks>Optimised at once, like every GEMM method: a product calls it too few times for tiering to promote it soon.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackRowMajorA(float* src, int aRow, int kc, float* strip)
    {
        const int MR = MicroKernel.MR;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var zero = Vector256<float>.Zero;
            Transpose8(Avx.LoadVector256(src + p), Avx.LoadVector256(src + aRow + p), Avx.LoadVector256(src + 2L * aRow + p),
                Avx.LoadVector256(src + 3L * aRow + p), Avx.LoadVector256(src + 4L * aRow + p), Avx.LoadVector256(src + 5L * aRow + p),
                zero, zero, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
            // Column q holds the 6 values for p+q (and two zeros that the next store overwrites; see APadding).
            float* d = strip + p * MR;
            Avx.Store(d, c0); Avx.Store(d + MR, c1); Avx.Store(d + 2 * MR, c2); Avx.Store(d + 3 * MR, c3);
            Avx.Store(d + 4 * MR, c4); Avx.Store(d + 5 * MR, c5); Avx.Store(d + 6 * MR, c6); Avx.Store(d + 7 * MR, c7);
        }
        return p;
    }

    /// <summary>A full strip of a transposed B (B(p, j) = b[j·bCol + p]), 8 columns × 8 values of p at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackTransposedB(float* b, int bCol, int kc, int nr, float* strip)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
            for (int j = 0; j < nr; j += 8)
            {
                float* s = b + (long)j * bCol + p;
                Transpose8(Avx.LoadVector256(s), Avx.LoadVector256(s + bCol), Avx.LoadVector256(s + 2L * bCol), Avx.LoadVector256(s + 3L * bCol),
                    Avx.LoadVector256(s + 4L * bCol), Avx.LoadVector256(s + 5L * bCol), Avx.LoadVector256(s + 6L * bCol), Avx.LoadVector256(s + 7L * bCol),
                    out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                float* d = strip + p * nr + j;
                Avx.Store(d, c0); Avx.Store(d + nr, c1); Avx.Store(d + 2 * nr, c2); Avx.Store(d + 3 * nr, c3);
                Avx.Store(d + 4 * nr, c4); Avx.Store(d + 5 * nr, c5); Avx.Store(d + 6 * nr, c6); Avx.Store(d + 7 * nr, c7);
            }
        return p;
    }

    /// <summary>8×8 transpose: output q is (r0[q], r1[q], …, r7[q]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(u0, u4, 0x20); c1 = Avx.Permute2x128(u1, u5, 0x20);
        c2 = Avx.Permute2x128(u2, u6, 0x20); c3 = Avx.Permute2x128(u3, u7, 0x20);
        c4 = Avx.Permute2x128(u0, u4, 0x31); c5 = Avx.Permute2x128(u1, u5, 0x31);
        c6 = Avx.Permute2x128(u2, u6, 0x31); c7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}
