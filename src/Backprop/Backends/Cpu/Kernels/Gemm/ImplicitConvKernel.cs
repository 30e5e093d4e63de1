using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Backends;

namespace Backprop.Kernels.Gemm;

/// <summary>
/// Stride-1 convolution as an implicit GEMM: no column matrix. The image is copied once into a zero-bordered buffer
/// (<see cref="PaddedImage"/>), where the column-matrix row of (channel, kernel row, kernel column) is the buffer
/// itself read from a fixed offset — so the micro-kernels load their "B" vectors straight from the padded image (which
/// stays in L1/L2) instead of from an im2col copy that the GEMM then packs again.
/// <list type="bullet">
/// <item><see cref="Forward{TR, TV, TVec, T}"/>: y = W·im2col(x), computed on the padded grid (rows of the padded width, whose
/// last columns are thrown away when stored). The input gradient is the same kernel on the zero-padded output gradient
/// with the flipped, transposed weights.</item>
/// <item><see cref="WeightGrad{TR, TV, TVec, T}"/>: dWᵀ = im2col(x)·gᵀ, with the image as the broadcast operand read at
/// each output position and gᵀ packed once per image.</item>
/// </list>
/// </summary>
internal static unsafe class ImplicitConvKernel
{
    /// <summary>The most rows a register tile has (output channels in forward, column-matrix rows in the weight gradient).</summary>
    public const int MaxRows = 8;

    /// <summary>Rows of a register tile on <paramref name="path"/>: 8 × 2 vectors where 32 vector registers hold 16 accumulators, else 6 × 2.</summary>
    public static int TileRows(GemmPath path) => path == GemmPath.Vector512 ? 8 : 6;

    /// <summary>
    /// True when the stride is 1 and no padding exceeds the dilated kernel's extent (so the input gradient is a
    /// stride-1 convolution with non-negative padding too).
    /// </summary>
    public static bool Fits(in WindowGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.PadTop >= 0 && g.PadLeft >= 0
        && g.PadTop <= g.DilationH * (g.KernelH - 1) && g.PadLeft <= g.DilationW * (g.KernelW - 1)
        && PaddedHeight(g) - g.PadTop - g.Height is var bottom && bottom >= 0 && bottom <= g.DilationH * (g.KernelH - 1)
        && PaddedWidth(g) - g.PadLeft - g.Width is var right && right >= 0 && right <= g.DilationW * (g.KernelW - 1);

    /// <summary>Rows of the padded image: the output rows plus the dilated kernel's extent.</summary>
    public static int PaddedHeight(in WindowGeometry g) => g.OutH + g.DilationH * (g.KernelH - 1);

    /// <summary>Columns of the padded image (its row length).</summary>
    public static int PaddedWidth(in WindowGeometry g) => g.OutW + g.DilationW * (g.KernelW - 1);

    /// <summary>Padded-grid positions the forward kernel computes: whole tiles of <paramref name="nr"/> covering OutH rows of the padded width.</summary>
    public static int GridPositions(in WindowGeometry g, int nr) => (g.OutH * PaddedWidth(g) + nr - 1) / nr * nr;

    /// <summary>Elements of a padded-image buffer for <paramref name="channels"/> channels, with the slack the last tile reads past the end.</summary>
    public static int PaddedSize(in WindowGeometry g, int channels, int nr) =>
        channels * PaddedHeight(g) * PaddedWidth(g) + GridPositions(g, nr) + nr;

    /// <summary>offsets[(c·kh + i)·kw + j] = where column-matrix row (c, i, j) starts in the padded image.</summary>
    public static void Offsets(in WindowGeometry g, int channels, Span<int> offsets)
    {
        int wp = PaddedWidth(g), plane = PaddedHeight(g) * wp, row = 0;
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++)
                    offsets[row++] = c * plane + i * g.DilationH * wp + j * g.DilationW;
    }

    /// <summary>
    /// Copies <paramref name="channels"/> planes of H×W from <paramref name="image"/> into the interior of
    /// <paramref name="padded"/>, whose border (and slack) must already be zero and is not written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PaddedImage<T>(ReadOnlySpan<T> image, in WindowGeometry g, int channels, Span<T> padded) where T : unmanaged
    {
        int wp = PaddedWidth(g), plane = PaddedHeight(g) * wp, h = g.Height, w = g.Width;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < h; y++)
                image.Slice((c * h + y) * w, w).CopyTo(padded.Slice(c * plane + (y + g.PadTop) * wp + g.PadLeft, w));
    }

    /// <summary>
    /// Packs W [cout, rows] (row-major, row length <paramref name="rows"/>) into <paramref name="mr"/>-row
    /// strips, k-major: packed[(s·rows + p)·mr + i] = W[s·mr + i, p], zero past the last channel.
    /// </summary>
    public static void PackRows<T>(ReadOnlySpan<T> w, int cout, int rows, int mr, Span<T> packed) where T : unmanaged, INumber<T>
    {
        int strips = (cout + mr - 1) / mr;
        for (int s = 0; s < strips; s++)
            for (int p = 0; p < rows; p++)
                for (int i = 0; i < mr; i++)
                {
                    int co = s * mr + i;
                    packed[(s * rows + p) * mr + i] = co < cout ? w[co * rows + p] : T.Zero;
                }
    }

    /// <summary>
    /// y[co, oy, ox] = Σ_p A[co, p]·padded[offsets[p] + oy·Wp + ox] (+ bias[co]) for one image, from
    /// <paramref name="packedA"/> (see <see cref="PackRows{T}"/>) with <paramref name="cout"/> channels and
    /// <paramref name="rows"/> column-matrix rows; y is [cout, OutH·OutW] at <paramref name="y"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TR, TV, TVec, T>(T* packedA, int cout, int rows, int* offsets, T* padded, in WindowGeometry g, T* bias, T* y)
        where TR : struct, ITileRows where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        int mr = TR.Count, w = TV.Count, nr = 2 * w, wp = PaddedWidth(g), grid = GridPositions(g, nr), strips = (cout + mr - 1) / mr;
        T* tile = stackalloc T[MaxRows * 2 * 16];
        for (int q0 = 0; q0 < grid; q0 += nr)
        {
            T* b = padded + q0;
            for (int s = 0; s < strips; s++)
            {
                T* pa = packedA + (long)s * rows * mr;
                TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                TVec c60 = default, c61 = default, c70 = default, c71 = default; // used when TR.Count == 8 (the JIT drops them otherwise)
                for (int p = 0; p < rows; p++)
                {
                    T* src = b + offsets[p];
                    TVec b0 = TV.Load(src), b1 = TV.Load(src + w);
                    TVec a = TV.Broadcast(pa[0]); c00 = TV.MultiplyAdd(a, b0, c00); c01 = TV.MultiplyAdd(a, b1, c01);
                    a = TV.Broadcast(pa[1]); c10 = TV.MultiplyAdd(a, b0, c10); c11 = TV.MultiplyAdd(a, b1, c11);
                    a = TV.Broadcast(pa[2]); c20 = TV.MultiplyAdd(a, b0, c20); c21 = TV.MultiplyAdd(a, b1, c21);
                    a = TV.Broadcast(pa[3]); c30 = TV.MultiplyAdd(a, b0, c30); c31 = TV.MultiplyAdd(a, b1, c31);
                    a = TV.Broadcast(pa[4]); c40 = TV.MultiplyAdd(a, b0, c40); c41 = TV.MultiplyAdd(a, b1, c41);
                    a = TV.Broadcast(pa[5]); c50 = TV.MultiplyAdd(a, b0, c50); c51 = TV.MultiplyAdd(a, b1, c51);
                    if (TR.Count == 8)
                    {
                        a = TV.Broadcast(pa[6]); c60 = TV.MultiplyAdd(a, b0, c60); c61 = TV.MultiplyAdd(a, b1, c61);
                        a = TV.Broadcast(pa[7]); c70 = TV.MultiplyAdd(a, b0, c70); c71 = TV.MultiplyAdd(a, b1, c71);
                    }
                    pa += mr;
                }
                TV.Store(tile, c00); TV.Store(tile + w, c01); TV.Store(tile + nr, c10); TV.Store(tile + nr + w, c11);
                TV.Store(tile + 2 * nr, c20); TV.Store(tile + 2 * nr + w, c21); TV.Store(tile + 3 * nr, c30); TV.Store(tile + 3 * nr + w, c31);
                TV.Store(tile + 4 * nr, c40); TV.Store(tile + 4 * nr + w, c41); TV.Store(tile + 5 * nr, c50); TV.Store(tile + 5 * nr + w, c51);
                if (TR.Count == 8) { TV.Store(tile + 6 * nr, c60); TV.Store(tile + 6 * nr + w, c61); TV.Store(tile + 7 * nr, c70); TV.Store(tile + 7 * nr + w, c71); }
                int channels = Math.Min(mr, cout - s * mr);
                for (int i = 0; i < channels; i++)
                {
                    int co = s * mr + i;
                    StoreGridRow(tile + i * nr, q0, nr, wp, g.OutH, g.OutW, bias == null ? T.Zero : bias[co], y + (long)co * g.OutH * g.OutW);
                }
            }
        }
    }

    /// <summary>
    /// The forward pass for few column-matrix rows (a first layer: k = C·kh·kw = 9), where a GEMM tile would store more
    /// than it multiplies: one vector of output positions at a time, four channels per pass over the rows, weights
    /// broadcast from W [cout, rows] as they are used, straight into the dense output (a row's last vector overlaps the
    /// one before, recomputing the same values). Needs OutW ≥ the vector width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardFewRows<TV, TVec, T>(T* weights, int cout, int rows, int* offsets, T* padded, in WindowGeometry g, T* bias, T* y)
        where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        int w = TV.Count, wp = PaddedWidth(g), outW = g.OutW, plane = g.OutH * outW;
        for (int oy = 0; oy < g.OutH; oy++)
            for (int ox = 0; ox < outW; ox += w)
            {
                int x0 = Math.Min(ox, outW - w), q = oy * wp + x0, o = oy * outW + x0;
                int co = 0;
                for (; co + 4 <= cout; co += 4)
                {
                    TVec a0 = Start(bias, co), a1 = Start(bias, co + 1), a2 = Start(bias, co + 2), a3 = Start(bias, co + 3);
                    T* w0 = weights + (long)co * rows;
                    for (int p = 0; p < rows; p++)
                    {
                        TVec v = TV.Load(padded + offsets[p] + q);
                        a0 = TV.MultiplyAdd(TV.Broadcast(w0[p]), v, a0);
                        a1 = TV.MultiplyAdd(TV.Broadcast(w0[rows + p]), v, a1);
                        a2 = TV.MultiplyAdd(TV.Broadcast(w0[2 * rows + p]), v, a2);
                        a3 = TV.MultiplyAdd(TV.Broadcast(w0[3 * rows + p]), v, a3);
                    }
                    T* dst = y + (long)co * plane + o;
                    TV.Store(dst, a0); TV.Store(dst + plane, a1); TV.Store(dst + 2 * plane, a2); TV.Store(dst + 3 * plane, a3);
                }
                for (; co < cout; co++)
                {
                    TVec a = Start(bias, co);
                    for (int p = 0; p < rows; p++) a = TV.MultiplyAdd(TV.Broadcast(weights[(long)co * rows + p]), TV.Load(padded + offsets[p] + q), a);
                    TV.Store(y + (long)co * plane + o, a);
                }
            }

        static TVec Start(T* bias, int co) => bias == null ? default : TV.Broadcast(bias[co]);
    }

    /// <summary>Writes the valid part of <paramref name="count"/> padded-grid values starting at grid position <paramref name="q0"/> into one output plane, adding <paramref name="shift"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGridRow<T>(T* values, int q0, int count, int wp, int outH, int outW, T shift, T* plane) where T : unmanaged, INumber<T>
    {
        int q = q0, end = Math.Min(q0 + count, outH * wp);
        while (q < end)
        {
            int oy = q / wp, ox = q - oy * wp;
            if (ox >= outW) { q += wp - ox; continue; }
            int len = Math.Min(outW - ox, end - q);
            T* src = values + (q - q0), dst = plane + oy * outW + ox;
            for (int t = 0; t < len; t++) dst[t] = src[t] + shift;
            q += len;
        }
    }

    /// <summary>
    /// Packs one image's output gradient g [cout, L] transposed into nr-wide channel strips, position-major:
    /// packed[(t·L + l)·nr + j] = g[t·nr + j, l], zero past the last channel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed<T>(T* grad, int cout, int positions, int nr, T* packed) where T : unmanaged, INumber<T>
    {
        int strips = (cout + nr - 1) / nr;
        for (int t = 0; t < strips; t++)
        {
            T* dst = packed + (long)t * positions * nr;
            int j = 0, l0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported)
            {
                // Whole 8 × 8 blocks in registers; the rest below.
                l0 = positions / 8 * 8;
                for (; j + 8 <= nr && t * nr + j + 8 <= cout; j += 8)
                    for (int l = 0; l < l0; l += 8)
                        Transpose8x8((float*)grad + (long)(t * nr + j) * positions + l, positions, (float*)dst + l * nr + j, nr);
            }
            for (int jj = 0; jj < nr; jj++)
            {
                int co = t * nr + jj;
                int from = jj < j ? l0 : 0; // columns the blocks covered start their scalar part at l0
                if (co >= cout)
                {
                    for (int l = 0; l < positions; l++) dst[l * nr + jj] = T.Zero;
                    continue;
                }
                T* src = grad + (long)co * positions;
                for (int l = from; l < positions; l++) dst[l * nr + jj] = src[l];
            }
        }
    }

    /// <summary>dst[c·ldDst + r] = src[r·ldSrc + c] for an 8 × 8 block of floats (unpack, shuffle, lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int ldSrc, float* dst, int ldDst)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ldSrc), r2 = Avx.LoadVector256(src + 2 * ldSrc), r3 = Avx.LoadVector256(src + 3 * ldSrc);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ldSrc), r5 = Avx.LoadVector256(src + 5 * ldSrc), r6 = Avx.LoadVector256(src + 6 * ldSrc), r7 = Avx.LoadVector256(src + 7 * ldSrc);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20)); Avx.Store(dst + ldDst, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldDst, Avx.Permute2x128(u2, u6, 0x20)); Avx.Store(dst + 3 * ldDst, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldDst, Avx.Permute2x128(u0, u4, 0x31)); Avx.Store(dst + 5 * ldDst, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldDst, Avx.Permute2x128(u2, u6, 0x31)); Avx.Store(dst + 7 * ldDst, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// acc[p, co] += Σ_(oy, ox) padded[offsets[p] + oy·Wp + ox]·g[co, oy·OutW + ox] for one image: the weight gradient
    /// transposed, for <paramref name="rows"/> column-matrix rows and the channels of <paramref name="packedG"/> (see
    /// <see cref="PackTransposed{T}"/>, <paramref name="cout"/> channels); acc has row length <paramref name="ldAcc"/>
    /// (a multiple of 2·vector width) and at least ⌈rows/mr⌉·mr rows (mr = TR.Count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<TR, TV, TVec, T>(T* padded, int* offsets, int rows, T* packedG, int cout, in WindowGeometry g, T* acc, int ldAcc)
        where TR : struct, ITileRows where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        int mr = TR.Count, w = TV.Count, nr = 2 * w, wp = PaddedWidth(g), outH = g.OutH, outW = g.OutW, positions = outH * outW;
        int colStrips = (cout + nr - 1) / nr, rowStrips = (rows + mr - 1) / mr;
        for (int s = 0; s < rowStrips; s++)
        {
            // The tile rows' windows; rows past the last repeat it (their sums land in acc rows nobody reads).
            int last = rows - 1, r = s * mr;
            T* r0 = padded + offsets[Math.Min(r, last)], r1 = padded + offsets[Math.Min(r + 1, last)];
            T* r2 = padded + offsets[Math.Min(r + 2, last)], r3 = padded + offsets[Math.Min(r + 3, last)];
            T* r4 = padded + offsets[Math.Min(r + 4, last)], r5 = padded + offsets[Math.Min(r + 5, last)];
            T* r6 = TR.Count == 8 ? padded + offsets[Math.Min(r + 6, last)] : null, r7 = TR.Count == 8 ? padded + offsets[Math.Min(r + 7, last)] : null;
            for (int t = 0; t < colStrips; t++)
            {
                T* pb = packedG + (long)t * positions * nr;
                TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                TVec c60 = default, c61 = default, c70 = default, c71 = default;
                for (int oy = 0; oy < outH; oy++)
                {
                    int rowStart = oy * wp;
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int q = rowStart + ox;
                        TVec b0 = TV.Load(pb), b1 = TV.Load(pb + w);
                        TVec a = TV.Broadcast(r0[q]); c00 = TV.MultiplyAdd(a, b0, c00); c01 = TV.MultiplyAdd(a, b1, c01);
                        a = TV.Broadcast(r1[q]); c10 = TV.MultiplyAdd(a, b0, c10); c11 = TV.MultiplyAdd(a, b1, c11);
                        a = TV.Broadcast(r2[q]); c20 = TV.MultiplyAdd(a, b0, c20); c21 = TV.MultiplyAdd(a, b1, c21);
                        a = TV.Broadcast(r3[q]); c30 = TV.MultiplyAdd(a, b0, c30); c31 = TV.MultiplyAdd(a, b1, c31);
                        a = TV.Broadcast(r4[q]); c40 = TV.MultiplyAdd(a, b0, c40); c41 = TV.MultiplyAdd(a, b1, c41);
                        a = TV.Broadcast(r5[q]); c50 = TV.MultiplyAdd(a, b0, c50); c51 = TV.MultiplyAdd(a, b1, c51);
                        if (TR.Count == 8)
                        {
                            a = TV.Broadcast(r6[q]); c60 = TV.MultiplyAdd(a, b0, c60); c61 = TV.MultiplyAdd(a, b1, c61);
                            a = TV.Broadcast(r7[q]); c70 = TV.MultiplyAdd(a, b0, c70); c71 = TV.MultiplyAdd(a, b1, c71);
                        }
                        pb += nr;
                    }
                }
                T* c = acc + (long)s * mr * ldAcc + t * nr;
                AddRow<TV, TVec, T>(c, c00, c01); AddRow<TV, TVec, T>(c + ldAcc, c10, c11); AddRow<TV, TVec, T>(c + 2 * ldAcc, c20, c21);
                AddRow<TV, TVec, T>(c + 3 * ldAcc, c30, c31); AddRow<TV, TVec, T>(c + 4 * ldAcc, c40, c41); AddRow<TV, TVec, T>(c + 5 * ldAcc, c50, c51);
                if (TR.Count == 8) { AddRow<TV, TVec, T>(c + 6 * ldAcc, c60, c61); AddRow<TV, TVec, T>(c + 7 * ldAcc, c70, c71); }
            }
        }
    }

    /// <summary>
    /// sums[t·nr + j] += Σ_l packed[(t·L + l)·nr + j] over <paramref name="strips"/> strips of <see cref="PackTransposed{T}"/>'s
    /// output: each channel's sum over the positions (the bias gradient), read from the packed copy while it is in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddPositionSums<TV, TVec, T>(T* packed, int positions, int strips, T* sums)
        where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        int w = TV.Count, nr = 2 * w;
        for (int t = 0; t < strips; t++)
        {
            T* p = packed + (long)t * positions * nr;
            TVec s0 = default, s1 = default;
            for (int l = 0; l < positions; l++, p += nr)
            {
                s0 = TV.Add(s0, TV.Load(p));
                s1 = TV.Add(s1, TV.Load(p + w));
            }
            AddRow<TV, TVec, T>(sums + t * nr, s0, s1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<TV, TVec, T>(T* c, TVec v0, TVec v1) where TV : struct, IVecOps<TVec, T> where TVec : struct where T : unmanaged, INumber<T>
    {
        TV.Store(c, TV.Add(v0, TV.Load(c)));
        TV.Store(c + TV.Count, TV.Add(v1, TV.Load(c + TV.Count)));
    }
}

/// <summary>The row count of a register tile as a type, so each count compiles to its own fully unrolled kernel.</summary>
internal interface ITileRows
{
    /// <summary>Rows of the tile: 6 or 8.</summary>
    static abstract int Count { get; }
}

/// <summary>6-row tiles (12 accumulators: fits 16 vector registers).</summary>
internal readonly struct SixRows : ITileRows
{
    public static int Count => 6;
}

/// <summary>8-row tiles (16 accumulators: needs 32 vector registers).</summary>
internal readonly struct EightRows : ITileRows
{
    public static int Count => 8;
}
