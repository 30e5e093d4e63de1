using System.Runtime.CompilerServices;
using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>
/// im2col and col2im (unfold and fold) for one image: the column matrix has a row per (channel, kernel row, kernel
/// column) and a column per output position, so a convolution becomes one GEMM. No autograd, no tensors.
/// </summary>
internal static class ConvKernels
{
    /// <summary>columns[(c·kh + i)·kw + j, oy·OutW + ox] = image[c, oy·sh − padTop + i·dh, ox·sw − padLeft + j·dw], or <paramref name="padValue"/> outside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col<T>(ReadOnlySpan<T> image, in WindowGeometry g, Span<T> columns, T padValue) where T : unmanaged
    {
        if (RowShift(g))
        {
            Im2ColRowShift(image, g, columns, padValue);
            return;
        }
        int row = 0, positions = g.Positions;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var dst = columns.Slice(row * positions, positions);
                    int dx = j * g.DilationW - g.PadLeft;
                    // Output columns whose input column lies inside the image: ox in [x0, x1).
                    int x0 = Math.Clamp(CeilDiv(-dx, g.StrideW), 0, g.OutW);
                    int x1 = Math.Clamp(CeilDiv(g.Width - dx, g.StrideW), x0, g.OutW);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        var outRow = dst.Slice(oy * g.OutW, g.OutW);
                        int y = oy * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)y >= (uint)g.Height)
                        {
                            outRow.Fill(padValue);
                            continue;
                        }
                        outRow[..x0].Fill(padValue);
                        outRow[x1..].Fill(padValue);
                        var src = plane.Slice(y * g.Width);
                        if (g.StrideW == 1) src.Slice(x0 + dx, x1 - x0).CopyTo(outRow[x0..x1]);
                        else
                            for (int ox = x0; ox < x1; ox++) outRow[ox] = src[ox * g.StrideW + dx];
                    }
                }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each column entry back into the image position it was read from (padding dropped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im<T>(ReadOnlySpan<T> columns, in WindowGeometry g, Span<T> image) where T : unmanaged, INumber<T>
    {
        int row = 0, positions = g.Positions;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var src = columns.Slice(row * positions, positions);
                    int dx = j * g.DilationW - g.PadLeft;
                    int x0 = Math.Clamp(CeilDiv(-dx, g.StrideW), 0, g.OutW);
                    int x1 = Math.Clamp(CeilDiv(g.Width - dx, g.StrideW), x0, g.OutW);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int y = oy * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)y >= (uint)g.Height) continue;
                        var inRow = src.Slice(oy * g.OutW, g.OutW);
                        var dst = plane.Slice(y * g.Width);
                        if (g.StrideW == 1)
                        {
                            var d = dst.Slice(x0 + dx, x1 - x0);
                            System.Numerics.Tensors.TensorPrimitives.Add<T>(d, inRow[x0..x1], d);
                        }
                        else
                            for (int ox = x0; ox < x1; ox++) dst[ox * g.StrideW + dx] += inRow[ox];
                    }
                }
        }
    }

    /// <summary>
    /// True for stride 1 with the output as wide as the input ("same" padding across): then each column-matrix row is the
    /// image plane shifted by a constant offset, one contiguous copy, with only the padded columns to patch.
    /// </summary>
    public static bool RowShift(in WindowGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OutW == g.Width;

    /// <summary><see cref="Im2Col{T}"/> for <see cref="RowShift"/> geometries: a block copy per row, then the padded columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Im2ColRowShift<T>(ReadOnlySpan<T> image, in WindowGeometry g, Span<T> columns, T padValue) where T : unmanaged
    {
        int w = g.Width, planeSize = g.Height * w, positions = g.Positions, row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = image.Slice(c * planeSize, planeSize);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var dst = columns.Slice(row * positions, positions);
                    var (a, b, copyAt, from, count, x0, x1) = Shift(g, i, j);
                    dst[..(a * w)].Fill(padValue);
                    dst[(b * w)..].Fill(padValue);
                    if (count > 0) plane.Slice(from, count).CopyTo(dst.Slice(copyAt, count));
                    if (x0 == 0 && x1 == w) continue;
                    for (int oy = a; oy < b; oy++) // a column or two per row: plain stores beat Fill calls
                    {
                        int at = oy * w;
                        for (int ox = 0; ox < x0; ox++) dst[at + ox] = padValue;
                        for (int ox = x1; ox < w; ox++) dst[at + ox] = padValue;
                    }
                }
        }
    }

    /// <summary>
    /// <see cref="Col2Im{T}"/> for <see cref="RowShift"/> geometries, adding into <paramref name="image"/>; it zeroes the
    /// padded entries of <paramref name="columns"/> (a scratch matrix) so that each row is one contiguous add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2ImRowShift<T>(Span<T> columns, in WindowGeometry g, Span<T> image) where T : unmanaged, INumber<T>
    {
        int w = g.Width, planeSize = g.Height * w, positions = g.Positions, row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = image.Slice(c * planeSize, planeSize);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    var src = columns.Slice(row * positions, positions);
                    var (a, b, copyAt, from, count, x0, x1) = Shift(g, i, j);
                    if (count <= 0) continue;
                    if (x0 != 0 || x1 != w)
                        for (int oy = a; oy < b; oy++)
                        {
                            int at = oy * w;
                            for (int ox = 0; ox < x0; ox++) src[at + ox] = T.Zero;
                            for (int ox = x1; ox < w; ox++) src[at + ox] = T.Zero;
                        }
                    var d = plane.Slice(from, count);
                    System.Numerics.Tensors.TensorPrimitives.Add<T>(d, src.Slice(copyAt, count), d);
                }
        }
    }

    /// <summary>
    /// For kernel offset (i, j) of a <see cref="RowShift"/> geometry: the output rows [a, b) that read inside the image,
    /// the contiguous run (column-matrix position <c>copyAt</c> ↔ plane index <c>from</c>, <c>count</c> values) that
    /// covers them, and the output columns [x0, x1) that read inside the image (the rest are padding).
    /// </summary>
    private static (int A, int B, int CopyAt, int From, int Count, int X0, int X1) Shift(in WindowGeometry g, int i, int j)
    {
        int w = g.Width, planeSize = g.Height * w;
        int yOffset = i * g.DilationH - g.PadTop, dx = j * g.DilationW - g.PadLeft; // input (y, x) = (oy + yOffset, ox + dx)
        int a = Math.Clamp(-yOffset, 0, g.OutH), b = Math.Clamp(g.Height - yOffset, a, g.OutH);
        int x0 = Math.Clamp(-dx, 0, w), x1 = Math.Clamp(w - dx, x0, w);
        // Column-matrix position t of rows [a, b) reads plane index t + shift; keep the part inside the plane (what is
        // cut off lies in padded columns).
        int shift = yOffset * w + dx;
        int t0 = Math.Max(a * w, -shift), t1 = Math.Min(b * w, planeSize - shift);
        return (a, b, t0, t0 + shift, t1 - t0, x0, x1);
    }

    /// <summary>⌈a / b⌉ for b &gt; 0 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
