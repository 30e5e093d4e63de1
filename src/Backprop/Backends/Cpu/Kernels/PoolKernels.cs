using System.Runtime.CompilerServices;
using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>Max pooling over [C, H, W] planes: values and the flat index (h·W + w) of each window's maximum, and its scatter back.</summary>
internal static class PoolKernels
{
    /// <summary>
    /// PyTorch's max_pool2d loop for planes [first, end): the first maximum of each window wins, a NaN always wins, and
    /// padding is skipped (never a maximum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(ReadOnlySpan<T> x, in WindowGeometry g, Span<T> values, Span<long> indices, int first, int end)
        where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        int plane = g.Height * g.Width, outPlane = g.Positions;
        if (g is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadTop: 0, PadLeft: 0, DilationH: 1, DilationW: 1 }
            && 2 * g.OutH <= g.Height && 2 * g.OutW <= g.Width)
        {
            MaxForward2x2(x, g, values, indices, first, end);
            return;
        }
        for (int p = first; p < end; p++)
        {
            var src = x.Slice(p * plane, plane);
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int y0 = oy * g.StrideH - g.PadTop, y1 = Math.Min(y0 + (g.KernelH - 1) * g.DilationH + 1, g.Height);
                while (y0 < 0) y0 += g.DilationH;
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int x0 = ox * g.StrideW - g.PadLeft, x1 = Math.Min(x0 + (g.KernelW - 1) * g.DilationW + 1, g.Width);
                    while (x0 < 0) x0 += g.DilationW;
                    int best = y0 * g.Width + x0;
                    T max = T.NegativeInfinity;
                    for (int yy = y0; yy < y1; yy += g.DilationH)
                        for (int xx = x0; xx < x1; xx += g.DilationW)
                        {
                            T v = src[yy * g.Width + xx];
                            if (v > max || T.IsNaN(v)) { max = v; best = yy * g.Width + xx; }
                        }
                    int o = p * outPlane + oy * g.OutW + ox;
                    values[o] = max;
                    indices[o] = best;
                }
            }
        }
    }

    /// <summary>The common 2×2, stride-2 window without padding: four loads per output, same tie and NaN rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForward2x2<T>(ReadOnlySpan<T> x, in WindowGeometry g, Span<T> values, Span<long> indices, int first, int end)
        where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        int w = g.Width, plane = g.Height * w, outW = g.OutW;
        for (int p = first; p < end; p++)
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int top = p * plane + 2 * oy * w, o = (p * g.OutH + oy) * outW;
                var r0 = x.Slice(top, 2 * outW);
                var r1 = x.Slice(top + w, 2 * outW);
                var vals = values.Slice(o, outW);
                var idx = indices.Slice(o, outW);
                long rowIndex = 2 * oy * w;
                for (int ox = 0; ox < outW; ox++)
                {
                    int c = 2 * ox;
                    T best = r0[c]; int at = c;
                    T v = r0[c + 1];
                    if (v > best || T.IsNaN(v)) { best = v; at = c + 1; }
                    v = r1[c];
                    if (v > best || T.IsNaN(v)) { best = v; at = w + c; }
                    v = r1[c + 1];
                    if (v > best || T.IsNaN(v)) { best = v; at = w + c + 1; }
                    vals[ox] = best;
                    idx[ox] = rowIndex + at;
                }
            }
    }

    /// <summary>dx[plane p, indices[o]] += g[o] for planes [first, end); <paramref name="dx"/> starts at zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward<T>(ReadOnlySpan<T> grad, ReadOnlySpan<long> indices, Span<T> dx, int plane, int outPlane, int first, int end)
        where T : unmanaged, INumber<T>
    {
        for (int p = first; p < end; p++)
        {
            var d = dx.Slice(p * plane, plane);
            for (int o = p * outPlane, stop = o + outPlane; o < stop; o++) d[(int)indices[o]] += grad[o];
        }
    }
}
