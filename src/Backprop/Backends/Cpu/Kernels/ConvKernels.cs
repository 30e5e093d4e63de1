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

    /// <summary>⌈a / b⌉ for b &gt; 0 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
