using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>The convolution group: im2col + cuBLAS forward and backward (CudaKernels.Conv) against the CPU's.</summary>
internal static partial class Groups
{
    private static void Conv(CudaDevice d, Parity p)
    {
        (WindowGeometry G, int Cout, int Groups, bool Bias)[] cases =
        [
            (Window(3, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1), 5, 1, true),   // "same", odd sizes
            (Window(4, 8, 10, 3, 2, 2, 1, 0, 1, 1, 2), 6, 2, false), // strided, dilated, grouped
            (Window(1, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1), 8, 1, true), // the CNN's first layer
        ];
        const int images = 3;
        foreach (var t in Parity.Floating)
            foreach (var (g, cout, groups, hasBias) in cases)
            {
                string what = $"C{g.Channels}->{cout} {g.Height}x{g.Width} k{g.KernelH}x{g.KernelW} s{g.StrideH}x{g.StrideW} groups {groups}{(hasBias ? " bias" : "")} {t}";
                int wSize = cout * g.Rows / groups, ySize = images * cout * g.Positions, xSize = images * g.ImageSize;
                var (cx, gx) = Pair(p, Parity.Random(xSize, 1), t, images, g.Channels, g.Height, g.Width);
                var (cw, gw) = Pair(p, Parity.Random(wSize, 2, -0.5, 0.5), t, cout, g.Channels / groups, g.KernelH, g.KernelW);
                var (cb, gb) = Pair(p, Parity.Random(cout, 3), t, cout);
                var cy = Tensor.Zeros([images, cout, g.OutH, g.OutW], t);
                Cpu.Conv2d(cx.Layout, cw.Layout, hasBias ? cb.Layout : null, g, groups, cy.Layout);
                var gy = Empty(d, ySize, t);
                CudaKernels.Conv2d(d, t, Ptr(gx), Ptr(gw), hasBias ? Ptr(gb) : 0, images, cout, g, groups, Ptr(gy));
                // Sums of C·kh·kw products in another order: relative to the result's scale, like the GEMM group.
                double tol = t == DType.Float32 ? 1e-4 : 1e-11;
                p.Compare($"conv2d {what}", p.Down(gy, ySize, t), Parity.Values(cy), t, tol);

                var (cdy, gdy) = Pair(p, Parity.Random(ySize, 4), t, images, cout, g.OutH, g.OutW);
                var (cdx, cdw, cdb) = (Tensor.Zeros([images, g.Channels, g.Height, g.Width], t), Tensor.Zeros([cout, g.Channels / groups, g.KernelH, g.KernelW], t), Tensor.Zeros([cout], t));
                Cpu.Conv2dBackward(cdy.Layout, cx.Layout, cw.Layout, g, groups, cdx.Layout, cdw.Layout, hasBias ? cdb.Layout : null);
                var nan = Enumerable.Repeat(double.NaN, Math.Max(xSize, wSize)).ToArray(); // overwritten
                var (gdx, gdw, gdb) = (p.Up(nan[..xSize], t), p.Up(nan[..wSize], t), p.Up(nan[..cout], t));
                CudaKernels.Conv2dBackward(d, t, Ptr(gdy), Ptr(gx), Ptr(gw), images, cout, g, groups, Ptr(gdx), Ptr(gdw), hasBias ? Ptr(gdb) : 0);
                p.Compare($"conv2d backward input {what}", p.Down(gdx, xSize, t), Parity.Values(cdx), t, tol);
                p.Compare($"conv2d backward weight {what}", p.Down(gdw, wSize, t), Parity.Values(cdw), t, tol);
                if (hasBias) p.Compare($"conv2d backward bias {what}", p.Down(gdb, cout, t), Parity.Values(cdb), t, tol);
            }
    }
}
