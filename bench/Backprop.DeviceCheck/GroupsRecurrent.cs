using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>The recurrent group: the LSTM and GRU steps' pointwise halves, forward and backward.</summary>
internal static partial class Groups
{
    private static void Recurrent(CudaDevice d, Parity p)
    {
        const int batch = 7, hidden = 37, bh = batch * hidden;
        foreach (var t in Parity.Floating)
        {
            var (cg, gg) = Pair(p, Parity.Random(4 * bh, 1), t, batch, 4 * hidden);
            var (ccp, gcp) = Pair(p, Parity.Random(bh, 2), t, batch, hidden);
            var (ch, cc, ct) = (Tensor.Zeros([batch, hidden], t), Tensor.Zeros([batch, hidden], t), Tensor.Zeros([batch, hidden], t));
            Cpu.LstmCellForward(cg.Layout, ccp.Layout, ch.Layout, cc.Layout, ct.Layout);
            var (gh, gc, gt) = (Empty(d, bh, t), Empty(d, bh, t), Empty(d, bh, t));
            CudaKernels.LstmCellForward(d, t, batch, hidden, Ptr(gg), Ptr(gcp), Ptr(gh), Ptr(gc), Ptr(gt));
            p.Compare($"lstm forward gates {t}", p.Down(gg, 4 * bh, t), Parity.Values(cg), t);
            p.Compare($"lstm forward h {t}", p.Down(gh, bh, t), Parity.Values(ch), t);
            p.Compare($"lstm forward c {t}", p.Down(gc, bh, t), Parity.Values(cc), t);

            var (cdh, gdh) = Pair(p, Parity.Random(bh, 3), t, batch, hidden);
            var (cdc, gdc) = Pair(p, Parity.Random(bh, 4), t, batch, hidden);
            var (cdcp, gdcp) = Pair(p, Parity.Random(bh, 5), t, batch, hidden); // added into
            var cdg = Tensor.Zeros([batch, 4 * hidden], t);
            Cpu.LstmCellBackward(cg.Layout, ct.Layout, ccp.Layout, cdh.Layout, cdc.Layout, cdcp.Layout, cdg.Layout);
            var gdg = Empty(d, 4 * bh, t);
            CudaKernels.LstmCellBackward(d, t, batch, hidden, Ptr(gg), Ptr(gt), Ptr(gcp), Ptr(gdh), Ptr(gdc), Ptr(gdcp), Ptr(gdg));
            p.Compare($"lstm backward gates {t}", p.Down(gdg, 4 * bh, t), Parity.Values(cdg), t);
            p.Compare($"lstm backward cPrev {t}", p.Down(gdcp, bh, t), Parity.Values(cdcp), t);

            var (cx, gx) = Pair(p, Parity.Random(3 * bh, 6), t, batch, 3 * hidden);
            var (chp, ghp) = Pair(p, Parity.Random(3 * bh, 7), t, batch, 3 * hidden);
            var (chprev, ghprev) = Pair(p, Parity.Random(bh, 8), t, batch, hidden);
            var (cgh, cgg) = (Tensor.Zeros([batch, hidden], t), Tensor.Zeros([batch, 3 * hidden], t));
            Cpu.GruCellForward(cx.Layout, chp.Layout, chprev.Layout, cgh.Layout, cgg.Layout);
            var (ggh, ggg) = (Empty(d, bh, t), Empty(d, 3 * bh, t));
            CudaKernels.GruCellForward(d, t, batch, hidden, Ptr(gx), Ptr(ghp), Ptr(ghprev), Ptr(ggh), Ptr(ggg));
            p.Compare($"gru forward h {t}", p.Down(ggh, bh, t), Parity.Values(cgh), t);
            p.Compare($"gru forward gates {t}", p.Down(ggg, 3 * bh, t), Parity.Values(cgg), t);

            var (cdhp2, gdhp2) = Pair(p, Parity.Random(bh, 9), t, batch, hidden); // added into
            var (cdx, cdhp) = (Tensor.Zeros([batch, 3 * hidden], t), Tensor.Zeros([batch, 3 * hidden], t));
            Cpu.GruCellBackward(cgg.Layout, chp.Layout, chprev.Layout, cdh.Layout, cdhp2.Layout, cdx.Layout, cdhp.Layout);
            var (gdx, gdhp) = (Empty(d, 3 * bh, t), Empty(d, 3 * bh, t));
            CudaKernels.GruCellBackward(d, t, batch, hidden, Ptr(ggg), Ptr(ghp), Ptr(ghprev), Ptr(gdh), Ptr(gdhp2), Ptr(gdx), Ptr(gdhp));
            p.Compare($"gru backward input projection {t}", p.Down(gdx, 3 * bh, t), Parity.Values(cdx), t);
            p.Compare($"gru backward hidden projection {t}", p.Down(gdhp, 3 * bh, t), Parity.Values(cdhp), t);
            p.Compare($"gru backward hPrev {t}", p.Down(gdhp2, bh, t), Parity.Values(cdhp2), t);
        }
    }
}
