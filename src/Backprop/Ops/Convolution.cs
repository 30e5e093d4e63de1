using Backprop.Kernels;

namespace Backprop;

/// <summary>
/// 2-D convolution and max pooling as single ops with their own kernels (im2col + GEMM per image, a direct max scan).
/// Their first-order backward runs as fused kernels; with <c>createGraph</c> the same rule runs as composed, differentiable
/// tensor ops (unfold/fold, matmul, scatter-add), so higher-order gradients work.
/// </summary>
public partial class Tensor
{
    /// <summary>
    /// y = conv2d(x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]) + b over the window geometry <paramref name="g"/>
    /// (<c>torch.convolution</c>, node <c>ConvolutionBackward</c>). Shapes are checked by the caller (Functional.Conv2d).
    /// </summary>
    internal static Tensor Conv2dOp(Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        var dtype = input.DType;
        if (!dtype.IsFloatingPoint()) throw NotFloat("Conv2d", dtype);
        if (weight.DType != dtype || (bias is not null && bias.DType != dtype))
            throw new ArgumentException($"Conv2d: input type ({dtype}) and weight type ({weight.DType}{(bias is null ? "" : $", bias {bias.DType}")}) should be the same; convert with .To(...).");
        int n = input.shape[0], cout = weight.shape[0];
        var x = input.Dense0();
        var w = weight.Dense0();
        var b = bias?.Dense0();
        var y = Uninitialized([n, cout, g.OutH, g.OutW], dtype);
        long macsPerImage = (long)cout * (g.Rows / groups) * g.Positions;
        RunPerImage(n, macsPerImage, g, dtype, (scratch, offset, first, end, _) =>
        {
            if (dtype == DType.Float32)
                ConvGemmKernels.Forward(x.Contiguous0<float>(), w.Contiguous0<float>(), b?.Contiguous0<float>(), y.Array<float>(), scratch.Array<float>(), offset, g, groups, cout, first, end);
            else
                ConvGemmKernels.Forward(x.Contiguous0<double>(), w.Contiguous0<double>(), b?.Contiguous0<double>(), y.Array<double>(), scratch.Array<double>(), offset, g, groups, cout, first, end);
        });
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Node.Record(y, "ConvolutionBackward", inputs, grad => Autograd.IsGradEnabled
            ? ComposedConvGrad(grad, input, weight, bias, g, groups)
            : FusedConvGrad(grad, input, weight, bias, g, groups), input, weight);
    }

    /// <summary>The convolution's gradients in one parallel pass over the images (no graph is built).</summary>
    private static Tensor?[] FusedConvGrad(Tensor grad, Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        var dtype = input.DType;
        int n = input.shape[0], cout = weight.shape[0], wSize = weight.Numel;
        var gd = (grad.DType == dtype ? grad : grad.To(dtype)).Dense0();
        var x = input.Dense0();
        var w = weight.Dense0();
        bool needInput = input.RequiresGrad, needWeight = weight.RequiresGrad, needBias = bias is { RequiresGrad: true };
        var dx = needInput ? Empty(input.shape, dtype) : null;
        int parts = PartsFor(n, (long)cout * (g.Rows / groups) * g.Positions * ((needInput ? 1 : 0) + (needWeight ? 1 : 0)));
        // One weight and bias accumulator per part, summed after the pass (no locks, same result on every run).
        var dwParts = needWeight ? Empty([parts, wSize], dtype) : null;
        var dbParts = needBias ? Empty([parts, cout], dtype) : null;
        RunPerImage(n, 0, g, dtype, (scratch, offset, first, end, part) =>
        {
            if (dtype == DType.Float32) Pass<float>(scratch, offset, first, end, part);
            else Pass<double>(scratch, offset, first, end, part);
        }, parts);

        void Pass<T>(Tensor scratch, int offset, int first, int end, int part) where T : unmanaged, INumber<T>
        {
            if (dx is not null) ConvGemmKernels.InputGrad(gd.Contiguous0<T>(), w.Contiguous0<T>(), dx.Array<T>(), scratch.Array<T>(), offset, g, groups, cout, first, end);
            if (dwParts is not null) ConvGemmKernels.WeightGrad(x.Contiguous0<T>(), gd.Contiguous0<T>(), dwParts.Array<T>(), part * wSize, scratch.Array<T>(), offset, g, groups, cout, first, end);
            if (dbParts is not null) ConvGemmKernels.BiasGrad(gd.Contiguous0<T>(), dbParts.Array<T>(), part * cout, cout, g.Positions, first, end);
        }

        return
        [
            dx,
            dwParts?.Sum(0).Reshape(weight.shape),
            .. bias is null ? System.Array.Empty<Tensor?>() : [dbParts?.Sum(0)],
        ];
    }

    /// <summary>The same gradients as differentiable tensor ops (for <c>createGraph</c>).</summary>
    private static Tensor?[] ComposedConvGrad(Tensor grad, Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        int n = input.shape[0], cout = weight.shape[0], perGroup = cout / groups, rows = g.Rows / groups;
        var gg = grad.Reshape([n, groups, perGroup, g.Positions]);
        Tensor? dx = null, dw = null;
        if (input.RequiresGrad)
        {
            var wT = weight.Reshape([groups, perGroup, rows]).Transpose(-1, -2); // [G, rows, perGroup]
            dx = FoldWindows(wT.MatMul(gg).Reshape([n, g.Rows, g.Positions]), g);
        }
        if (weight.RequiresGrad)
        {
            var columns = UnfoldWindows(input, g).Reshape([n, groups, rows, g.Positions]);
            dw = gg.MatMul(columns.Transpose(-1, -2)).Sum(0).Reshape(weight.shape);
        }
        return [dx, dw, .. bias is null ? System.Array.Empty<Tensor?>() : [grad.Sum([0, 2, 3])]];
    }

    /// <summary>
    /// Max over each window of [N, C, H, W] (<c>torch.max_pool2d</c>, node <c>MaxPool2DWithIndicesBackward</c>); the
    /// gradient goes to the first maximum of each window.
    /// </summary>
    internal static Tensor MaxPool2dOp(Tensor input, WindowGeometry g)
    {
        var dtype = input.DType;
        int n = input.shape[0], c = input.shape[1], planes = n * c, plane = g.Height * g.Width;
        var x = input.Dense();
        var y = Uninitialized([n, c, g.OutH, g.OutW], dtype);
        if (MaxPool2x2Kernels.Fits(g)) return MaxPool2x2(input, x, y, g);
        var indices = Uninitialized([n, c, g.OutH, g.OutW], DType.Int64);
        PerRange(planes, (long)planes * g.Positions * g.KernelH * g.KernelW, (first, end) =>
        {
            if (dtype == DType.Float32) PoolKernels.MaxForward(x.Span<float>(), g, y.Span<float>(), indices.Span<long>(), first, end);
            else PoolKernels.MaxForward(x.Span<double>(), g, y.Span<double>(), indices.Span<long>(), first, end);
        });
        int[] s = input.shape;
        return Node.Record(y, "MaxPool2DWithIndicesBackward", [input], grad =>
        {
            if (Autograd.IsGradEnabled) // differentiable: scatter-add's backward is a gather
                return [Zeros([planes, plane], dtype).ScatterAdd(1, indices.View([planes, g.Positions]), grad.Reshape([planes, g.Positions])).View(s)];
            var gd = (grad.DType == dtype ? grad : grad.To(dtype)).Dense();
            var dx = Empty(s, dtype);
            PerRange(planes, (long)planes * g.Positions, (first, end) =>
            {
                if (dtype == DType.Float32) PoolKernels.MaxBackward(gd.Span<float>(), indices.Span<long>(), dx.Span<float>(), plane, g.Positions, first, end);
                else PoolKernels.MaxBackward(gd.Span<double>(), indices.Span<long>(), dx.Span<double>(), plane, g.Positions, first, end);
            });
            return [dx];
        }, indices);
    }

    /// <summary>
    /// The 2×2, stride-2 max-pool without indices: the backward recomputes each window's winner from the saved input and
    /// output (same rule, same numbers as the general path).
    /// </summary>
    private static Tensor MaxPool2x2(Tensor input, Tensor x, Tensor y, WindowGeometry g)
    {
        var dtype = input.DType;
        int planes = input.shape[0] * input.shape[1], plane = g.Height * g.Width;
        PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
        {
            if (dtype == DType.Float32) MaxPool2x2Kernels.Forward(x.Span<float>(), g, y.Span<float>(), first, end);
            else MaxPool2x2Kernels.Forward(x.Span<double>(), g, y.Span<double>(), first, end);
        });
        int[] s = input.shape;
        int yVersion = y.Version;
        return Node.Record(y, "MaxPool2DWithIndicesBackward", [input], grad =>
        {
            if (y.Version != yVersion) // the output was changed in place since: recompute the maxima from the (checked) input
            {
                y = Uninitialized(y.shape, dtype);
                PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
                {
                    if (dtype == DType.Float32) MaxPool2x2Kernels.Forward(x.Span<float>(), g, y.Span<float>(), first, end);
                    else MaxPool2x2Kernels.Forward(x.Span<double>(), g, y.Span<double>(), first, end);
                });
            }
            if (Autograd.IsGradEnabled) // differentiable: the winners as indices, and scatter-add (whose backward is a gather)
            {
                var indices = Uninitialized(y.shape, DType.Int64);
                var values = Uninitialized(y.shape, dtype);
                PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
                {
                    if (dtype == DType.Float32) PoolKernels.MaxForward(x.Span<float>(), g, values.Span<float>(), indices.Span<long>(), first, end);
                    else PoolKernels.MaxForward(x.Span<double>(), g, values.Span<double>(), indices.Span<long>(), first, end);
                });
                return [Zeros([planes, plane], dtype).ScatterAdd(1, indices.View([planes, g.Positions]), grad.Reshape([planes, g.Positions])).View(s)];
            }
            var gd = (grad.DType == dtype ? grad : grad.To(dtype)).Dense();
            var dx = Uninitialized(s, dtype);
            PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
            {
                if (dtype == DType.Float32) MaxPool2x2Kernels.Backward(x.Span<float>(), y.Span<float>(), gd.Span<float>(), g, dx.Span<float>(), first, end);
                else MaxPool2x2Kernels.Backward(x.Span<double>(), y.Span<double>(), gd.Span<double>(), g, dx.Span<double>(), first, end);
            });
            return [dx];
        }, x);
    }

    /// <summary>This tensor if it is contiguous from offset 0 of its storage, else a copy that is.</summary>
    private Tensor Dense0() => IsContiguous && Offset == 0 ? this : CopyData();

    /// <summary>The whole backing array of a tensor from <see cref="Dense0"/> (kernels index it by image).</summary>
    private T[] Contiguous0<T>() where T : unmanaged
    {
        if (Offset != 0 || !IsContiguous) throw new InvalidOperationException("internal: expected a dense tensor at offset 0");
        return Array<T>();
    }

    /// <summary>Parts to split <paramref name="count"/> images into for <paramref name="work"/> multiply-adds in all.</summary>
    private static int PartsFor(int count, long work) => Math.Max(1, Math.Min(count, Threading.ForWork(work, 1 << 18)));

    /// <summary>
    /// Runs <paramref name="body"/>(scratch, offset, first, end, part) over image ranges on up to <paramref name="parts"/> threads
    /// (chosen from the work when 0); each part gets its own column-matrix slice of one scratch tensor allocated here,
    /// on the calling thread, so a <see cref="TensorScope"/> recycles it.
    /// </summary>
    private static void RunPerImage(int count, long macsPerImage, WindowGeometry g, DType dtype, Action<Tensor, int, int, int, int> body, int parts = 0)
    {
        if (parts == 0) parts = PartsFor(count, count * macsPerImage);
        int size = Kernels.ConvGemmKernels.IsPointwise(g) ? 1 : g.Rows * g.Positions;
        var scratch = Uninitialized([parts * size], dtype);
        if (parts == 1)
        {
            body(scratch, 0, 0, count, 0);
            return;
        }
        WorkerPool.Run(parts, p => body(scratch, p * size, (int)((long)count * p / parts), (int)((long)count * (p + 1) / parts), p));
    }

    /// <summary>Runs <paramref name="body"/>(first, end) over [0, <paramref name="count"/>) split across threads when the work pays for it.</summary>
    private static void PerRange(int count, long work, Action<int, int> body)
    {
        int parts = Math.Max(1, Math.Min(count, Threading.ForWork(work, 1 << 16)));
        if (parts == 1)
        {
            body(0, count);
            return;
        }
        WorkerPool.Run(parts, p => body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}
