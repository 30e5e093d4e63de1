using Backprop.Backends;
using Backprop.Backends.Cuda;

namespace Backprop.DeviceCheck;

/// <summary>The groups of copy.cu, total.cu, reduce.cu's fill/copy/max-min/divide and scan.cu.</summary>
internal static partial class Groups
{
    private static readonly DType[] AllTypes = [DType.Float32, DType.Float64, DType.Int64];

    /// <summary>The same values on the CPU (a tensor of <paramref name="shape"/>) and on the device.</summary>
    private static (Tensor Cpu, DeviceBlock Gpu) Pair(Parity p, double[] v, DType t, params int[] shape) => (Parity.Cpu(v, t, shape), p.Up(v, t));

    /// <summary>Random values, rounded to integers for Int64 (and a few exact ties for the floating dtypes).</summary>
    private static double[] Values(int n, int seed, DType t, double low = -5, double high = 5)
    {
        var v = Parity.Random(n, seed, low, high);
        for (int i = 0; i < n; i++) if (t == DType.Int64 || i % 7 == 3) v[i] = Math.Round(v[i]);
        return v;
    }

    private static DeviceBlock Empty(CudaDevice d, long n, DType t) => d.Allocator.Allocate(Math.Max(n, 1) * t.ElementSize(), d.Stream);

    private static void Copy(CudaDevice d, Parity p)
    {
        foreach (var t in AllTypes)
        {
            string s = ElementwiseKernels.Suffix(t);
            const int n = 10_007;
            var gy = Empty(d, n, t);
            using (var args = new KernelArgs().Add((long)n).Add(Ptr(gy)).Add(-2.5))
                d.Launch("reduce", "fill_" + s, n, args);
            var cf = Tensor.Zeros([n], t);
            Cpu.Fill(cf.Layout, -2.5);
            p.Compare($"fill {t}", p.Down(gy, n, t), Parity.Values(cf), t, 0);

            // A transposed [37, 29] source copied into a contiguous destination.
            var (cx, gx) = Pair(p, Values(37 * 29, 1, t), t, 37, 29);
            var ct = cx.Transpose(0, 1);
            var cc = Tensor.Zeros([29, 37], t);
            Cpu.CopyStrided(ct.Layout, cc.Layout);
            var (shape, strides) = LaunchGeometry.Coalesce([29, 37], [1, 29], [37, 1]);
            var (dims, sx, sy) = Layouts(shape, strides[0], strides[1]);
            using (var args = new KernelArgs().Add(37L * 29).Add(Ptr(gx)).Add(sx).Add(Ptr(gy)).Add(sy).Add(dims))
                d.Launch("reduce", "copy_strided_" + s, 37 * 29, args);
            p.Compare($"copy_strided transpose {t}", p.Down(gy, 37 * 29, t), Parity.Values(cc), t, 0);

            // Where with a broadcast mask [37, 1, 29] against a [1, 41, 29] and b [37, 41, 29].
            int[] mShape = [37, 1, 29], aShape = [1, 41, 29], outShape = [37, 41, 29];
            int total = 37 * 41 * 29;
            var maskValues = Parity.Random(37 * 29, 2, 0, 1).Select(v => v < 0.5 ? 0.0 : 1.0).ToArray();
            var (cm, gm) = Pair(p, maskValues, t, mShape);
            var (ca, ga) = Pair(p, Values(41 * 29, 3, t), t, aShape);
            var (cb, gb) = Pair(p, Values(total, 4, t), t, outShape);
            var cw = Tensor.Zeros(outShape, t);
            Cpu.Where(cm.Expand(outShape).Layout, ca.Expand(outShape).Layout, cb.Layout, cw.Layout);
            var (wShape, wStrides) = LaunchGeometry.Coalesce(outShape, Strides(mShape, outShape), Strides(aShape, outShape), Strides(outShape, outShape));
            var (wd, wm, wa) = Layouts(wShape, wStrides[0], wStrides[1]);
            var (_, wb, _) = Layouts(wShape, wStrides[2], wStrides[2]);
            var gw = Empty(d, total, t);
            CudaKernels.Where(d, t, total, Ptr(gm), wm, Ptr(ga), wa, Ptr(gb), wb, Ptr(gw), wd);
            p.Compare($"where broadcast {t}", p.Down(gw, total, t), Parity.Values(cw), t, 0);

            if (t == DType.Int64) BinaryInt64(d, p, outShape, mShape, aShape);

            // FillRows: a [13] row into [11, 13].
            var (crow, grow) = Pair(p, Values(13, 5, t), t, 13);
            var cfr = Tensor.Zeros([11, 13], t);
            Cpu.FillRows(crow.Layout, cfr.Layout);
            CudaKernels.FillRows(d, t, Ptr(grow), 13, Ptr(gw), 11 * 13);
            p.Compare($"fill_rows {t}", p.Down(gw, 11 * 13, t), Parity.Values(cfr), t, 0);

            foreach (var to in AllTypes.Where(to => to != t))
            {
                var v = Values(n, 6, t, -1e3, 1e3);
                var (cv, gv) = Pair(p, v, t, n);
                var co = Tensor.Zeros([n], to);
                Cpu.Convert(cv.Layout, co.Layout);
                var go = Empty(d, n, to);
                CudaKernels.Convert(d, t, to, Ptr(gv), Ptr(go), n);
                p.Compare($"convert {t} -> {to}", p.Down(go, n, to), Parity.Values(co), to, 0);
            }
            if (t != DType.Int64)
            {
                var (cdv, gdv) = Pair(p, Values(n, 7, t), t, n);
                Cpu.DivideInPlace(cdv.Layout, 7);
                CudaKernels.DivideInPlace(d, t, Ptr(gdv), n, 7);
                p.Compare($"divide in place {t}", p.Down(gdv, n, t), Parity.Values(cdv), t, 0);
            }
        }
    }

    /// <summary>The broadcasting binary ops on Int64 (labels, indices): truncating division, the CPU's integer power.</summary>
    private static void BinaryInt64(CudaDevice d, Parity p, int[] outShape, int[] aShape, int[] bShape)
    {
        var (dims, sa, sb) = Broadcast(outShape, aShape, bShape);
        int n = ShapeUtil.Numel(outShape);
        var go = Empty(d, n, DType.Int64);
        foreach (var kind in Enum.GetValues<BinaryKind>())
        {
            var a = Values(ShapeUtil.Numel(aShape), 40 + (int)kind, DType.Int64, -20, 20);
            var b = Values(ShapeUtil.Numel(bShape), 60 + (int)kind, DType.Int64, kind == BinaryKind.Pow ? -2 : -7, kind == BinaryKind.Pow ? 6 : 7);
            if (kind == BinaryKind.Div) b = [.. b.Select(v => v == 0 ? 3 : v)]; // the CPU throws on a zero divisor
            var (ca, ga) = Pair(p, a, DType.Int64, aShape);
            var (cb, gb) = Pair(p, b, DType.Int64, bShape);
            var co = Tensor.Zeros(outShape, DType.Int64);
            Cpu.Binary(kind, ca.Layout, cb.Layout, co.Layout);
            using (var args = new KernelArgs().Add((long)n).Add(Ptr(ga)).Add(sa).Add(Ptr(gb)).Add(sb).Add(Ptr(go)).Add(dims))
                d.Launch("binary", ElementwiseKernels.BinaryName(kind, DType.Int64), n, args);
            p.Compare($"binary {kind} Int64 broadcast", p.Down(go, n, DType.Int64), Parity.Values(co), DType.Int64, 0);
        }
    }

    private static unsafe (KernelDims Dims, KernelStrides A, KernelStrides B) Layouts(long[] shape, long[] a, long[] b)
    {
        var dims = new KernelDims { NDim = shape.Length };
        KernelStrides sa = default, sb = default;
        for (int k = 0; k < shape.Length; k++) { dims.Size[k] = shape[k]; sa.Stride[k] = a[k]; sb.Stride[k] = b[k]; }
        return (dims, sa, sb);
    }

    private static void Scans(CudaDevice d, Parity p)
    {
        foreach (var t in AllTypes)
        {
            foreach (int n in new[] { 1, 255, 100_003 })
            {
                var (cx, gx) = Pair(p, Values(n, n, t), t, n);
                var cs = Tensor.Zeros([1], t);
                Cpu.SumAll(cx.Layout, cs.Layout);
                var gs = Empty(d, 1, t);
                CudaKernels.SumAll(d, t, Ptr(gx), n, Ptr(gs));
                p.Compare($"sum_all [{n}] {t}", p.Down(gs, 1, t), Parity.Values(cs), t, t == DType.Float32 ? 1e-4 : t == DType.Float64 ? 1e-10 : 0);
            }
            foreach (var (outer, size, inner) in new[] { (13, 17, 1), (3, 29, 7), (1, 1000, 1) })
            {
                int n = outer * size * inner, m = outer * inner;
                var v = Values(n, size, t);
                if (t != DType.Int64) { v[5] = double.NaN; v[n / 2] = double.NaN; } // NaN wins max/min, sorts last (first descending)
                var (cx, gx) = Pair(p, v, t, n);
                string what = $"[{outer},{size},{inner}] {t}";
                if (t == DType.Int64)
                {
                    var csum = Tensor.Zeros([m], t);
                    Cpu.Sum(cx.Layout, outer, size, inner, csum.Layout);
                    var gsum = Empty(d, m, t);
                    using (var args = new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(Ptr(gx)).Add(Ptr(gsum)))
                        d.Launch("reduce", "sum_dim_i64", m, args);
                    p.Compare($"sum {what}", p.Down(gsum, m, t), Parity.Values(csum), t, 0);
                }
                foreach (bool max in new[] { true, false })
                {
                    var (cv, ci) = (Tensor.Zeros([m], t), Tensor.Zeros([m], DType.Int64));
                    Cpu.MaxMin(cx.Layout, outer, size, inner, cv.Layout, ci.Layout, max);
                    var (gv, gi) = (Empty(d, m, t), Empty(d, m, DType.Int64));
                    CudaKernels.MaxMin(d, t, Ptr(gx), outer, size, inner, Ptr(gv), Ptr(gi), max);
                    p.Compare($"{(max ? "max" : "min")} values {what}", p.Down(gv, m, t), Parity.Values(cv), t, 0);
                    p.Compare($"{(max ? "max" : "min")} indices {what}", p.Down(gi, m, DType.Int64), Parity.Values(ci), DType.Int64, 0);
                }
                var cc = Tensor.Zeros([n], t);
                Cpu.CumSum(cx.Layout, outer, size, inner, cc.Layout);
                var gc = Empty(d, n, t);
                CudaKernels.CumSum(d, t, Ptr(gx), outer, size, inner, Ptr(gc));
                p.Compare($"cumsum {what}", p.Down(gc, n, t), Parity.Values(cc), t, 0);
                var (cpx, gpx) = Pair(p, Values(n, size + 1, t, 0.5, 1.5), t, n); // products that stay finite
                var cprod = Tensor.Zeros([m], t);
                Cpu.Prod(cpx.Layout, outer, size, inner, cprod.Layout);
                var gprod = Empty(d, m, t);
                CudaKernels.Prod(d, t, Ptr(gpx), outer, size, inner, Ptr(gprod));
                p.Compare($"prod {what}", p.Down(gprod, m, t), Parity.Values(cprod), t, 0);
                foreach (bool descending in new[] { false, true })
                {
                    var (cv, ci) = (Tensor.Zeros([n], t), Tensor.Zeros([n], DType.Int64));
                    Cpu.Sort(cx.Layout, outer, size, inner, cv.Layout, ci.Layout, descending);
                    var (gv, gi) = (Empty(d, n, t), Empty(d, n, DType.Int64));
                    CudaKernels.Sort(d, t, Ptr(gx), outer, size, inner, Ptr(gv), Ptr(gi), descending);
                    p.Compare($"sort{(descending ? " descending" : "")} values {what}", p.Down(gv, n, t), Parity.Values(cv), t, 0);
                    p.Compare($"sort{(descending ? " descending" : "")} indices {what}", p.Down(gi, n, DType.Int64), Parity.Values(ci), DType.Int64, 0);
                }
            }
        }
    }
}
