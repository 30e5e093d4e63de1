using Backprop.Backends;
using Backprop.Backends.Cuda;
using Backprop.Backends.Cpu;

namespace Backprop.DeviceCheck;

/// <summary>
/// The parity groups: each runs kernels on the GPU and compares with the CPU backend on the same inputs. The tests run the
/// same groups on the host emulator of the kernels (tests/Backprop.Tests/Backends/Cuda/Emulator), so this code is checked
/// before it reaches a GPU.
/// </summary>
internal static partial class Groups
{
    public static readonly string[] Names = ["unary", "binary", "fused", "reduce", "copy", "scans", "indexing", "windows", "conv", "norm", "recurrent", "attention", "gemm", "allocator"];

    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    /// <summary>The group called <paramref name="name"/>: it launches kernels on the device and records its comparisons in the <see cref="Parity"/>.</summary>
    public static Action<CudaDevice, Parity> Get(string name) => name switch
    {
        "unary" => Unary,
        "binary" => Binary,
        "fused" => Fused,
        "reduce" => Reduce,
        "copy" => Copy,
        "scans" => Scans,
        "indexing" => Indexing,
        "windows" => Windows,
        "conv" => Conv,
        "norm" => Norm,
        "recurrent" => Recurrent,
        "attention" => Attention,
        "gemm" => Gemm,
        "allocator" => Allocator,
        _ => throw new InvalidOperationException($"no group '{name}'; groups: {string.Join(", ", Names)}"),
    };

    private static ulong Ptr(DeviceBlock b) => b.Pointer;

    private static void Unary(CudaDevice d, Parity p)
    {
        const int n = 100_003;
        foreach (var t in Parity.Floating)
            foreach (var kind in Enum.GetValues<UnaryKind>())
            {
                bool positive = kind is UnaryKind.Log or UnaryKind.Sqrt or UnaryKind.Rsqrt or UnaryKind.Pow or UnaryKind.Log1p;
                var x = Parity.Random(n, (int)kind, positive ? 0.01 : -4, 4);
                var op = kind switch
                {
                    UnaryKind.LeakyRelu => new UnaryOp(kind, 0.01),
                    UnaryKind.Pow => new UnaryOp(kind, 2.5),
                    UnaryKind.Clamp => new UnaryOp(kind, -0.5, 0.5),
                    _ => new UnaryOp(kind),
                };
                var cx = Parity.Cpu(x, t);
                var cy = Tensor.Zeros([n], t);
                Cpu.Map(op, cx.Layout, cy.Layout);
                var gx = p.Up(x, t);
                var gy = d.Allocator.Allocate(n * (long)t.ElementSize(), d.Stream);
                using var args = new KernelArgs().Add((long)n).Add(Ptr(gx)).Add(Ptr(gy)).Add(op.A).Add(op.B);
                d.Launch("unary", ElementwiseKernels.MapName(kind, t), n, args);
                p.Compare($"map {kind} {t}", p.Down(gy, n, t), Parity.Values(cy), t);
                d.Allocator.Release(gx);
                d.Allocator.Release(gy);
            }
    }

    /// <summary>The strides of a contiguous tensor of <paramref name="shape"/> read as <paramref name="outShape"/> (same rank): 0 where broadcast.</summary>
    private static int[] Strides(int[] shape, int[] outShape)
    {
        var s = new int[outShape.Length];
        int stride = 1;
        for (int k = shape.Length - 1; k >= 0; k--) { s[k] = shape[k] == 1 ? 0 : stride; stride *= shape[k]; }
        return s;
    }

    private static unsafe (KernelDims Dims, KernelStrides A, KernelStrides B) Broadcast(int[] outShape, int[] aShape, int[] bShape)
    {
        int[] outStrides = Strides(outShape, outShape);
        var (shape, strides) = LaunchGeometry.Coalesce(outShape, Strides(aShape, outShape), Strides(bShape, outShape), outStrides);
        var dims = new KernelDims { NDim = shape.Length };
        KernelStrides a = default, b = default;
        for (int k = 0; k < shape.Length; k++) { dims.Size[k] = shape[k]; a.Stride[k] = strides[0][k]; b.Stride[k] = strides[1][k]; }
        return (dims, a, b);
    }

    private static void Binary(CudaDevice d, Parity p)
    {
        int[] aShape = [37, 1, 29], bShape = [1, 41, 29], outShape = [37, 41, 29];
        int na = 37 * 29, nb = 41 * 29, n = 37 * 41 * 29;
        var (dims, sa, sb) = Broadcast(outShape, aShape, bShape);
        foreach (var t in Parity.Floating)
            foreach (var kind in Enum.GetValues<BinaryKind>())
            {
                var a = Parity.Random(na, 1 + (int)kind, kind == BinaryKind.Pow ? 0.1 : -3, 3);
                var b = Parity.Random(nb, 100 + (int)kind, kind == BinaryKind.Pow ? -2 : -3, 3);
                for (int i = 0; i < nb; i += 7) b[i] = Math.Round(b[i]); // some equal operands for the comparisons
                for (int i = 0; i < na; i += 5) a[i] = Math.Round(a[i]);
                var ca = Parity.Cpu(a, t, aShape);
                var cb = Parity.Cpu(b, t, bShape);
                var co = Tensor.Zeros(outShape, t);
                Cpu.Binary(kind, ca.Layout, cb.Layout, co.Layout);
                var ga = p.Up(a, t);
                var gb = p.Up(b, t);
                var go = d.Allocator.Allocate(n * (long)t.ElementSize(), d.Stream);
                using (var args = new KernelArgs().Add((long)n).Add(Ptr(ga)).Add(sa).Add(Ptr(gb)).Add(sb).Add(Ptr(go)).Add(dims))
                    d.Launch("binary", ElementwiseKernels.BinaryName(kind, t), n, args);
                p.Compare($"binary {kind} {t} broadcast", p.Down(go, n, t), Parity.Values(co), t);

                if (kind is BinaryKind.Add or BinaryKind.Sub or BinaryKind.Mul or BinaryKind.Div) // the ops BinaryScalar serves on the CPU
                {
                    var cs = Tensor.Zeros(aShape, t);
                    Cpu.BinaryScalar(kind, ca.Layout, 1.75, cs.Layout);
                    using (var args = new KernelArgs().Add((long)na).Add(Ptr(ga)).Add(1.75).Add(Ptr(go)))
                        d.Launch("binary", ElementwiseKernels.BinaryScalarName(kind, t), na, args);
                    p.Compare($"binary {kind} {t} scalar", p.Down(go, na, t), Parity.Values(cs), t);
                }
                foreach (var blk in new[] { ga, gb, go }) d.Allocator.Release(blk);
            }
    }

    private static void Fused(CudaDevice d, Parity p)
    {
        const int n = 65_537;
        foreach (var t in Parity.Floating)
        {
            int es = t.ElementSize();
            foreach (var kind in Enum.GetValues<ActivationKind>())
            {
                var g = Parity.Random(n, 1);
                var y = Parity.Random(n, 2, kind == ActivationKind.Sigmoid ? 0 : -1, 1);
                var cr = Tensor.Zeros([n], t);
                Cpu.ActivationBackward(kind, Parity.Cpu(g, t).Layout, Parity.Cpu(y, t).Layout, cr.Layout);
                var (gg, gy, gr) = (p.Up(g, t), p.Up(y, t), d.Allocator.Allocate(n * (long)es, d.Stream));
                using var args = new KernelArgs().Add((long)n).Add(Ptr(gg)).Add(Ptr(gy)).Add(Ptr(gr));
                d.Launch("fused", $"{kind.ToString().ToLowerInvariant()}_backward_{ElementwiseKernels.Suffix(t)}", n, args);
                p.Compare($"{kind} backward {t}", p.Down(gr, n, t), Parity.Values(cr), t);
            }
            foreach (bool amsgrad in new[] { false, true })
            {
                var (pv, gv, mv, vv, xv) = (Parity.Random(n, 3), Parity.Random(n, 4), Parity.Random(n, 5, -0.1, 0.1), Parity.Random(n, 6, 0, 0.1), Parity.Random(n, 7, 0, 0.2));
                var cpu = new[] { pv, gv, mv, vv, xv }.Select(v => Parity.Cpu(v, t)).ToArray();
                var gpu = new[] { pv, gv, mv, vv, xv }.Select(v => p.Up(v, t)).ToArray();
                var hyper = new AdamHyper(0.9, 0.999, 1e-3 / (1 - 0.9 * 0.9), Math.Sqrt(1 - 0.999 * 0.999), 1e-8, amsgrad);
                for (int step = 0; step < 3; step++)
                {
                    Cpu.AdamStep(cpu[0].Layout, cpu[1].Layout, cpu[2].Layout, cpu[3].Layout, cpu[4].Layout, hyper);
                    using var args = new KernelArgs().Add((long)n);
                    foreach (var b in gpu) args.Add(Ptr(b));
                    args.Add(hyper.Beta1).Add(hyper.Beta2).Add(hyper.StepSize).Add(hyper.BiasCorrection2Sqrt).Add(hyper.Eps).Add(amsgrad ? 1 : 0);
                    d.Launch("fused", "adam_step_" + ElementwiseKernels.Suffix(t), n, args);
                }
                p.Compare($"adam amsgrad={amsgrad} {t} (3 steps) param", p.Down(gpu[0], n, t), Parity.Values(cpu[0]), t);
                p.Compare($"adam amsgrad={amsgrad} {t} exp_avg_sq", p.Down(gpu[3], n, t), Parity.Values(cpu[3]), t);
            }
            foreach (bool nesterov in new[] { false, true })
            {
                var (pv, gv, bv) = (Parity.Random(n, 8), Parity.Random(n, 9), new double[n]);
                var cpu = new[] { pv, gv, bv }.Select(v => Parity.Cpu(v, t)).ToArray();
                var gpu = new[] { pv, gv, bv }.Select(v => p.Up(v, t)).ToArray();
                for (int step = 0; step < 3; step++)
                {
                    var h = new SgdHyper(0.05, 0.9, 0, 1e-4, nesterov, step == 0);
                    Cpu.SgdStep(cpu[0].Layout, cpu[1].Layout, cpu[2].Layout, h);
                    using var args = new KernelArgs().Add((long)n).Add(Ptr(gpu[0])).Add(Ptr(gpu[1])).Add(Ptr(gpu[2]))
                        .Add(h.Lr).Add(h.Momentum).Add(h.Dampening).Add(h.WeightDecay).Add(nesterov ? 1 : 0).Add(h.FirstStep ? 1 : 0);
                    d.Launch("fused", "sgd_step_" + ElementwiseKernels.Suffix(t), n, args);
                }
                p.Compare($"sgd nesterov={nesterov} {t} (3 steps)", p.Down(gpu[0], n, t), Parity.Values(cpu[0]), t);
            }
            {
                const int rows = 513, classes = 10;
                var prob = Parity.Random(rows * classes, 10, 0, 1);
                var target = Parity.Random(rows, 11, 0, classes).Select(Math.Floor).ToArray();
                var coef = Parity.Random(rows, 12, 0, 1);
                var cp = Parity.Cpu(prob, t, rows, classes);
                Cpu.SubtractOneHotAndScale(cp.Layout, Parity.Cpu(target, DType.Int64).Layout, Parity.Cpu(coef, t).Layout);
                var gp = p.Up(prob, t);
                using var args = new KernelArgs().Add((long)rows).Add(classes).Add(Ptr(gp)).Add(Ptr(p.Up(target, DType.Int64))).Add(Ptr(p.Up(coef, t)));
                d.Launch("fused", "subtract_one_hot_and_scale_" + ElementwiseKernels.Suffix(t), (long)rows * classes, args);
                p.Compare($"cross-entropy gradient {t}", p.Down(gp, rows * classes, t), Parity.Values(cp), t);
            }
        }
    }

    private static void Reduce(CudaDevice d, Parity p)
    {
        foreach (var t in Parity.Floating)
            foreach (var (outer, size, inner) in new[] { (64, 10, 1), (3, 1000, 7), (1, 100_003, 1) })
            {
                int n = outer * size * inner;
                var x = Parity.Random(n, size, -5, 5);
                var cx = Parity.Cpu(x, t);
                var gx = p.Up(x, t);
                var cs = Tensor.Zeros([outer * inner], t);
                Cpu.Sum(cx.Layout, outer, size, inner, cs.Layout);
                var gs = d.Allocator.Allocate(outer * inner * (long)t.ElementSize(), d.Stream);
                using (var args = new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(Ptr(gx)).Add(Ptr(gs)))
                    d.Launch("reduce", "sum_dim_" + ElementwiseKernels.Suffix(t), (long)outer * inner, args);
                p.Compare($"sum [{outer},{size},{inner}] {t}", p.Down(gs, outer * inner, t), Parity.Values(cs), t, t == DType.Float32 ? 1e-4 : 1e-10);
                foreach (bool log in new[] { false, true })
                {
                    var cy = Tensor.Zeros([n], t);
                    Cpu.Softmax(cx.Layout, outer, size, inner, cy.Layout, log);
                    var gy = d.Allocator.Allocate(n * (long)t.ElementSize(), d.Stream);
                    using var args = new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add(Ptr(gx)).Add(Ptr(gy)).Add(log ? 1 : 0);
                    d.Launch("reduce", "softmax_" + ElementwiseKernels.Suffix(t), (long)outer * inner, args);
                    p.Compare($"{(log ? "log_softmax" : "softmax")} [{outer},{size},{inner}] {t}", p.Down(gy, n, t), Parity.Values(cy), t);
                }
            }
        SoftmaxInfinities(d, p);
    }

    /// <summary>Softmax rows holding ±infinity: the CPU takes an infinite maximum as 0 (so +inf gives NaN, all −inf gives NaN).</summary>
    private static void SoftmaxInfinities(CudaDevice d, Parity p)
    {
        double inf = double.PositiveInfinity;
        double[] x = [inf, 1, 2, -inf, -inf, -inf, -inf, 0, 1, 3, inf, -inf];
        foreach (var t in Parity.Floating)
            foreach (bool log in new[] { false, true })
            {
                var cy = Tensor.Zeros([12], t);
                Cpu.Softmax(Parity.Cpu(x, t).Layout, 4, 3, 1, cy.Layout, log);
                var (gx, gy) = (p.Up(x, t), d.Allocator.Allocate(12 * 8, d.Stream));
                using var args = new KernelArgs().Add(4L).Add(3L).Add(1L).Add(Ptr(gx)).Add(Ptr(gy)).Add(log ? 1 : 0);
                d.Launch("reduce", "softmax_" + ElementwiseKernels.Suffix(t), 4, args);
                p.Compare($"{(log ? "log_softmax" : "softmax")} with infinities {t}", p.Down(gy, 12, t), Parity.Values(cy), t, 0);
            }
    }

    private static void Gemm(CudaDevice d, Parity p)
    {
        foreach (var t in Parity.Floating)
            foreach (var (m, k, n) in new[] { (37, 53, 29), (256, 256, 256), (64, 784, 256) })
            {
                var a = Parity.Random(m * k, 1);
                var b = Parity.Random(k * n, 2);
                var c = Parity.Cpu(a, t, m, k).MatMul(Parity.Cpu(b, t, k, n));
                var (ga, gb) = (p.Up(a, t), p.Up(b, t));
                var gc = d.Allocator.Allocate((long)m * n * t.ElementSize(), d.Stream);
                d.Gemm(t, ga.Pointer, gb.Pointer, gc.Pointer, m, k, n, accumulate: false);
                // Sums of k products in another order: relative to the result's scale.
                p.Compare($"gemm {m}x{k}x{n} {t}", p.Down(gc, m * n, t), Parity.Values(c), t, t == DType.Float32 ? 1e-4 : 1e-11);
            }
    }

    private static void Allocator(CudaDevice d, Parity p)
    {
        long[] step = [64 * 784 * 4, 784 * 256 * 4, 256 * 4, 64 * 256 * 4, 256 * 10 * 4, 64 * 10 * 4];
        int afterFirst = 0;
        for (int s = 0; s < 5; s++)
        {
            var blocks = step.Select(b => d.Allocator.Allocate(b, d.Stream)).ToList();
            foreach (var b in blocks) d.Allocator.Release(b);
            if (s == 0) afterFirst = d.Allocator.DriverAllocations;
        }
        if (d.Allocator.DriverAllocations != afterFirst) p.Fail("allocator reuse", $"{d.Allocator.DriverAllocations - afterFirst} driver allocations after the first step");
        else p.Compare("allocator reuse (driver allocations after step 1)", [0], [0], DType.Float64);
        try
        {
            d.Allocator.Allocate(1L << 50, d.Stream, "device check");
            p.Fail("out of memory", "a 1 PiB allocation succeeded");
        }
        catch (CudaOutOfMemoryException e)
        {
            p.Ok($"out of memory: {e.Message}");
        }
        d.Allocator.EmptyCache();
        if (d.Allocator.ReservedBytes != 0) p.Fail("empty_cache", $"{d.Allocator.ReservedBytes} bytes still reserved");
    }
}
