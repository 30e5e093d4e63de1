using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>The groups of index.cu and window.cu.</summary>
internal static partial class Groups
{
    private static void Indexing(CudaDevice d, Parity p)
    {
        foreach (var t in AllTypes)
        {
            const int outer = 3, size = 11, inner = 5, count = 17;
            var (cx, gx) = Pair(p, Values(outer * size * inner, 1, t), t, outer, size, inner);
            var idx = Parity.Random(count, 2, 0, size).Select(Math.Floor).ToArray(); // repeats: IndexAdd must add them in order
            var (ci, gi) = Pair(p, idx, DType.Int64, count);
            var cy = Tensor.Zeros([outer, count, inner], t);
            Cpu.IndexSelect(cx.Layout, outer, size, inner, ci.Layout, cy.Layout);
            var gy = Empty(d, outer * count * inner, t);
            CudaKernels.IndexSelect(d, t, Ptr(gx), outer, size, inner, Ptr(gi), count, Ptr(gy));
            p.Compare($"index_select {t}", p.Down(gy, outer * count * inner, t), Parity.Values(cy), t, 0);

            var (csrc, gsrc) = Pair(p, Values(outer * count * inner, 3, t), t, outer, count, inner);
            Cpu.IndexAdd(cx.Layout, outer, size, inner, ci.Layout, csrc.Layout);
            CudaKernels.IndexAdd(d, t, Ptr(gx), outer, size, inner, Ptr(gi), count, Ptr(gsrc));
            p.Compare($"index_add (repeated indices) {t}", p.Down(gx, outer * size * inner, t), Parity.Values(cx), t, 0);

            int[] selfShape = [5, 7, 4], indexShape = [3, 6, 4], srcShape = [4, 6, 5];
            foreach (int dim in new[] { 0, 1, 2 })
            {
                var ix = Parity.Random(ShapeUtil.Numel(indexShape), 10 + dim, 0, selfShape[dim]).Select(Math.Floor).ToArray();
                var (cidx, gidx) = Pair(p, ix, DType.Int64, indexShape);
                var (cself, gself) = Pair(p, Values(ShapeUtil.Numel(selfShape), 20 + dim, t), t, selfShape);
                var (csrc2, gsrc2) = Pair(p, Values(ShapeUtil.Numel(srcShape), 30 + dim, t), t, srcShape);
                var cout = Tensor.Zeros(indexShape, t);
                Cpu.Scatter(ScatterKind.Gather, cself.Layout, cout.Layout, cidx.Layout, dim);
                var gout = Empty(d, ShapeUtil.Numel(indexShape), t);
                CudaKernels.Scatter(d, ScatterKind.Gather, t, Ptr(gself), ShapeUtil.ContiguousStrides(selfShape), selfShape[dim], Ptr(gout),
                    ShapeUtil.ContiguousStrides(indexShape), Ptr(gidx), indexShape, dim);
                p.Compare($"gather dim {dim} {t}", p.Down(gout, ShapeUtil.Numel(indexShape), t), Parity.Values(cout), t, 0);
                foreach (var kind in new[] { ScatterKind.Scatter, ScatterKind.ScatterAdd })
                {
                    Cpu.Scatter(kind, cself.Layout, csrc2.Layout, cidx.Layout, dim);
                    CudaKernels.Scatter(d, kind, t, Ptr(gself), ShapeUtil.ContiguousStrides(selfShape), selfShape[dim], Ptr(gsrc2),
                        ShapeUtil.ContiguousStrides(srcShape), Ptr(gidx), indexShape, dim);
                    p.Compare($"{kind} dim {dim} {t}", p.Down(gself, ShapeUtil.Numel(selfShape), t), Parity.Values(cself), t, 0);
                }
            }
        }
        // An index out of range: the same exception as the CPU's (value and position), before anything is written.
        var bad = new double[] { 0, 3, 11, -1, 2 };
        var (cb, gb) = Pair(p, bad, DType.Int64, bad.Length);
        string expected = Throws(() => Cpu.IndexSelect(Parity.Cpu(new double[22], DType.Float32, 2, 11).Layout, 1, 11, 2, cb.Layout, Tensor.Zeros([5, 2]).Layout));
        string actual = Throws(() => CudaKernels.IndexSelect(d, DType.Float32, Ptr(p.Up(new double[22], DType.Float32)), 1, 11, 2, Ptr(gb), bad.Length,
            Ptr(Empty(d, 10, DType.Float32))));
        if (actual == expected && expected.Length > 0) p.Ok($"index out of range: {actual}");
        else p.Fail("index out of range", $"GPU said '{actual}', CPU said '{expected}'");
    }

    private static string Throws(Action action)
    {
        try { action(); return ""; }
        catch (IndexRangeException e) { return e.Message; }
    }

    /// <summary>A window geometry with its output size computed as PyTorch does (floor mode).</summary>
    private static WindowGeometry Window(int c, int h, int w, int k, int kw, int s, int sw, int pad, int padW, int dil, int dilW)
    {
        int oh = (h + 2 * pad - dil * (k - 1) - 1) / s + 1, ow = (w + 2 * padW - dilW * (kw - 1) - 1) / sw + 1;
        return new WindowGeometry(c, h, w, k, kw, s, sw, pad, padW, dil, dilW, oh, ow);
    }

    private static void Windows(CudaDevice d, Parity p)
    {
        WindowGeometry[] geometries =
        [
            Window(3, 7, 9, 3, 2, 2, 1, 1, 0, 1, 2),  // odd everything, padding, dilation
            Window(2, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1),  // the 2×2 pool on odd sizes (a row and a column left over)
            Window(2, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1),  // overlapping windows
            Window(4, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1),  // "same" convolution
        ];
        const int images = 3;
        foreach (var t in Parity.Floating)
            foreach (var g in geometries)
            {
                string what = $"C{g.Channels} {g.Height}x{g.Width} k{g.KernelH}x{g.KernelW} s{g.StrideH}x{g.StrideW} p{g.PadTop}x{g.PadLeft} d{g.DilationH}x{g.DilationW} {t}";
                int inSize = images * g.ImageSize, colSize = images * g.Rows * g.Positions, outSize = images * g.Channels * g.Positions;
                var v = Values(inSize, g.Height, t);
                v[3] = double.NaN;
                var (cx, gx) = Pair(p, v, t, images, g.Channels, g.Height, g.Width);
                var ccol = Tensor.Zeros([images, g.Rows, g.Positions], t);
                Cpu.Im2Col(cx.Layout, g, 0.25, ccol.Layout);
                var gcol = Empty(d, colSize, t);
                CudaKernels.Im2Col(d, t, Ptr(gx), images, g, 0.25, Ptr(gcol));
                p.Compare($"im2col {what}", p.Down(gcol, colSize, t), Parity.Values(ccol), t, 0);

                var (ccols, gcols) = Pair(p, Values(colSize, 2, t), t, images, g.Rows, g.Positions);
                var (cimg, gimg) = Pair(p, Values(inSize, 3, t), t, images, g.Channels, g.Height, g.Width); // added into
                Cpu.Col2Im(ccols.Layout, g, cimg.Layout);
                CudaKernels.Col2Im(d, t, Ptr(gcols), images, g, Ptr(gimg));
                p.Compare($"col2im {what}", p.Down(gimg, inSize, t), Parity.Values(cimg), t, 0);

                var (cv, ci) = (Tensor.Zeros([images, g.Channels, g.OutH, g.OutW], t), Tensor.Zeros([images, g.Channels, g.OutH, g.OutW], DType.Int64));
                Cpu.MaxPool2d(cx.Layout, g, cv.Layout, ci.Layout);
                var (gv, gi) = (Empty(d, outSize, t), Empty(d, outSize, DType.Int64));
                CudaKernels.MaxPool2d(d, t, Ptr(gx), images * g.Channels, g, Ptr(gv), Ptr(gi));
                p.Compare($"max_pool2d values {what}", p.Down(gv, outSize, t), Parity.Values(cv), t, 0);
                p.Compare($"max_pool2d indices {what}", p.Down(gi, outSize, DType.Int64), Parity.Values(ci), DType.Int64, 0);

                var (cg, gg) = Pair(p, Values(outSize, 4, t), t, images, g.Channels, g.OutH, g.OutW);
                var cdx = Tensor.Zeros([images, g.Channels, g.Height, g.Width], t);
                Cpu.MaxPool2dBackward(cg.Layout, ci.Layout, g, cdx.Layout);
                var gdx = p.Up(new double[inSize], t);
                CudaKernels.MaxPool2dBackward(d, t, Ptr(gg), Ptr(gi), images * g.Channels, g, Ptr(gdx));
                p.Compare($"max_pool2d backward {what}", p.Down(gdx, inSize, t), Parity.Values(cdx), t, 0);

                var crdx = Tensor.Full([images, g.Channels, g.Height, g.Width], double.NaN, t); // overwritten
                Cpu.MaxPool2dRecomputedBackward(cg.Layout, cx.Layout, cv.Layout, g, crdx.Layout);
                var grdx = p.Up(Enumerable.Repeat(double.NaN, inSize).ToArray(), t);
                CudaKernels.MaxPool2dRecomputedBackward(d, t, Ptr(gg), Ptr(gx), images * g.Channels, g, Ptr(grdx));
                p.Compare($"max_pool2d recomputed backward {what}", p.Down(grdx, inSize, t), Parity.Values(crdx), t, 0);
                if (g.Tiles2x2) // the ReLU fused after the pool (the CPU fuses it on this window only)
                {
                    var crv = Tensor.Zeros([images, g.Channels, g.OutH, g.OutW], t);
                    Cpu.MaxPool2d(cx.Layout, g, crv.Layout, null, relu: true);
                    CudaKernels.MaxPool2d(d, t, Ptr(gx), images * g.Channels, g, Ptr(gv), 0, relu: true);
                    p.Compare($"max_pool2d+relu values {what}", p.Down(gv, outSize, t), Parity.Values(crv), t, 0);
                    Cpu.MaxPool2dRecomputedBackward(cg.Layout, cx.Layout, crv.Layout, g, crdx.Layout, relu: true);
                    CudaKernels.MaxPool2dRecomputedBackward(d, t, Ptr(gg), Ptr(gx), images * g.Channels, g, Ptr(grdx), relu: true);
                    p.Compare($"max_pool2d+relu recomputed backward {what}", p.Down(grdx, inSize, t), Parity.Values(crdx), t, 0);
                }
            }
    }
}
