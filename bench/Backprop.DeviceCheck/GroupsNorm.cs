using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>The group of norm.cu: layer normalisation forward and backward, GELU's backward.</summary>
internal static partial class Groups
{
    private static void Norm(CudaDevice d, Parity p)
    {
        foreach (var t in Parity.Floating)
            foreach (var (rows, n, affine) in new[] { (37, 29, true), (5, 300, false), (1, 7, true) })
            {
                string what = $"[{rows},{n}]{(affine ? " affine" : "")} {t}";
                var (cx, gx) = Pair(p, Parity.Random(rows * n, n, -2, 3), t, rows, n);
                var (cw, gw) = Pair(p, Parity.Random(n, 1, 0.5, 1.5), t, n);
                var (cb, gb) = Pair(p, Parity.Random(n, 2), t, n);
                var (cy, cm, cr) = (Tensor.Zeros([rows, n], t), Tensor.Zeros([rows], t), Tensor.Zeros([rows], t));
                Cpu.LayerNormForward(cx.Layout, affine ? cw.Layout : default, affine ? cb.Layout : default, 1e-5, n, cy.Layout, cm.Layout, cr.Layout);
                var (gy, gm, gr) = (Empty(d, rows * n, t), Empty(d, rows, t), Empty(d, rows, t));
                CudaKernels.LayerNormForward(d, t, Ptr(gx), affine ? Ptr(gw) : 0, affine ? Ptr(gb) : 0, 1e-5, rows, n, Ptr(gy), Ptr(gm), Ptr(gr));
                p.Compare($"layer_norm {what}", p.Down(gy, rows * n, t), Parity.Values(cy), t);
                p.Compare($"layer_norm rstd {what}", p.Down(gr, rows, t), Parity.Values(cr), t);

                var (cdy, gdy) = Pair(p, Parity.Random(rows * n, 3), t, rows, n);
                var (cdx, cdw, cdb) = (Tensor.Zeros([rows, n], t), Tensor.Zeros([n], t), Tensor.Zeros([n], t));
                Cpu.LayerNormBackward(cdy.Layout, cx.Layout, cm.Layout, cr.Layout, affine ? cw.Layout : default, n, cdx.Layout,
                    affine ? cdw.Layout : default, affine ? cdb.Layout : default);
                var (gdx, gdw, gdb) = (Empty(d, rows * n, t), Empty(d, n, t), Empty(d, n, t));
                // The device's own mean and rstd, as the op would pass them.
                CudaKernels.LayerNormBackward(d, t, Ptr(gdy), Ptr(gx), Ptr(gm), Ptr(gr), affine ? Ptr(gw) : 0, rows, n, Ptr(gdx),
                    affine ? Ptr(gdw) : 0, affine ? Ptr(gdb) : 0);
                p.Compare($"layer_norm backward input {what}", p.Down(gdx, rows * n, t), Parity.Values(cdx), t);
                if (affine)
                {
                    p.Compare($"layer_norm backward weight {what}", p.Down(gdw, n, t), Parity.Values(cdw), t);
                    p.Compare($"layer_norm backward bias {what}", p.Down(gdb, n, t), Parity.Values(cdb), t);
                }
            }
        foreach (var t in Parity.Floating)
            foreach (bool tanh in new[] { false, true })
            {
                const int n = 10_007;
                var (cg, gg) = Pair(p, Parity.Random(n, 4), t, n);
                var (cx, gx) = Pair(p, Parity.Random(n, 5, -6, 6), t, n);
                var cd = Tensor.Zeros([n], t);
                Cpu.GeluBackward(tanh, cg.Layout, cx.Layout, cd.Layout);
                var gd = Empty(d, n, t);
                CudaKernels.GeluBackward(d, t, tanh, Ptr(gg), Ptr(gx), Ptr(gd), n);
                p.Compare($"gelu{(tanh ? " tanh" : "")} backward {t}", p.Down(gd, n, t), Parity.Values(cd), t);
            }
    }
}
