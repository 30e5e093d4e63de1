using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Backends.Cpu;

/// <summary>The sliding-window primitives: im2col/col2im, the convolution as im2col + GEMM per image, max pooling.</summary>
internal sealed partial class CpuBackend
{
    public void Im2Col(in TensorView images, in WindowGeometry g, double padValue, in TensorView columns)
    {
        TensorView x = images, y = columns;
        var geometry = g;
        int inSize = g.ImageSize, outSize = g.Rows * g.Positions;
        PerImage(images.Shape[0], outSize, i =>
        {
            if (x.DType == DType.Float32)
                ConvKernels.Im2Col(Span<float>(x).Slice(i * inSize, inSize), geometry, Span<float>(y).Slice(i * outSize, outSize), (float)padValue);
            else
                ConvKernels.Im2Col(Span<double>(x).Slice(i * inSize, inSize), geometry, Span<double>(y).Slice(i * outSize, outSize), padValue);
        });
    }

    public void Col2Im(in TensorView columns, in WindowGeometry g, in TensorView images)
    {
        TensorView c = columns, y = images;
        var geometry = g;
        int inSize = g.Rows * g.Positions, outSize = g.ImageSize;
        PerImage(columns.Shape[0], inSize, i =>
        {
            if (c.DType == DType.Float32)
                ConvKernels.Col2Im(Span<float>(c).Slice(i * inSize, inSize), geometry, Span<float>(y).Slice(i * outSize, outSize));
            else
                ConvKernels.Col2Im(Span<double>(c).Slice(i * inSize, inSize), geometry, Span<double>(y).Slice(i * outSize, outSize));
        });
    }

    public void Conv2d(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView output)
    {
        TensorView x = Whole(input), w = Whole(weight), y = Whole(output);
        TensorView? b = bias is { } bv ? Whole(bv) : null;
        var geometry = g;
        if (ImplicitForward(g, groups, weight.Shape[0], input.DType, out var path))
        {
            ImplicitConv2d(path, x, w, b, geometry, groups, y);
            return;
        }
        int n = input.Shape[0], cout = weight.Shape[0];
        long macsPerImage = (long)cout * (g.Rows / groups) * g.Positions;
        RunPerImage(n, macsPerImage, g, x.DType, (scratch, offset, first, end, _) =>
        {
            if (x.DType == DType.Float32)
                ConvGemmKernels.Forward(Array<float>(x), Array<float>(w), b is { } bf ? Array<float>(bf) : null, Array<float>(y), (float[])scratch.Data, offset, geometry, groups, cout, first, end);
            else
                ConvGemmKernels.Forward(Array<double>(x), Array<double>(w), b is { } bd ? Array<double>(bd) : null, Array<double>(y), (double[])scratch.Data, offset, geometry, groups, cout, first, end);
        });
    }

    public void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups,
        TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad) =>
        Conv2dBackward(grad, input, weight, g, groups, inputGrad, weightGrad, biasGrad, null);

    /// <summary>True when the convolution's forward runs the implicit pass (on <paramref name="path"/>).</summary>
    private static bool ImplicitForward(in WindowGeometry g, int groups, int cout, DType dtype, out GemmPath path)
    {
        path = default;
        if (ImplicitConvPasses.ResolvePath(g, cout) is not { } p
            || g.Rows / groups < ImplicitConvPasses.MinForwardRows && !ImplicitConvPasses.FewRows(p, g, groups, dtype.ElementSize())) return false;
        path = p;
        return true;
    }

    /// <summary>True when the convolution's backward runs the implicit passes (what a pooled gradient can feed image by image).</summary>
    private static bool ImplicitBackward(in WindowGeometry g, int groups, int cout, bool inputGrad, out GemmPath path)
    {
        path = default;
        if (ImplicitConvPasses.ResolvePath(g, cout) is not { } p || inputGrad && cout / groups * g.KernelH * g.KernelW < ImplicitConvPasses.MinForwardRows) return false;
        path = p;
        return true;
    }

    /// <summary><see cref="Conv2dBackward(in TensorView, in TensorView, in TensorView, in WindowGeometry, int, TensorView?, TensorView?, TensorView?)"/>, with the output gradient made image by image from <paramref name="pooled"/> when given (implicit passes only).</summary>
    private void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups,
        TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad, PooledGrad? pooled)
    {
        TensorView gd = pooled is null ? Whole(grad) : grad, x = Whole(input), w = Whole(weight);
        var geometry = g;
        var dtype = x.DType;
        int n = input.Shape[0], cout = weight.Shape[0], wSize = weight.Numel;
        TensorView? dx = inputGrad is { } dxv ? Whole(dxv) : null;
        int parts = PartsFor(n, (long)cout * (g.Rows / groups) * g.Positions * ((inputGrad is null ? 0 : 1) + (weightGrad is null ? 0 : 1)));
        // One weight and bias accumulator per part, summed after the pass (no locks, same result on every run).
        Storage? dwParts = weightGrad is null ? null : Storage.Allocate(Allocators.Cpu, dtype, parts * wSize);
        Storage? dbParts = biasGrad is null ? null : Storage.Allocate(Allocators.Cpu, dtype, parts * cout);
        if (ImplicitBackward(g, groups, cout, inputGrad is not null, out var path))
            ImplicitConv2dBackward(path, gd, x, w, geometry, groups, parts, dx, dwParts, dbParts, pooled); // overwrites dx
        else
        {
            if (pooled is not null) throw new InvalidOperationException("internal: a pooled gradient feeds only the implicit convolution passes.");
            if (dx is { } zero) Fill(zero, 0); // col2im adds into it
            RunPerImage(n, 0, g, dtype, (scratch, offset, first, end, part) =>
            {
                if (dtype == DType.Float32) Pass<float>(scratch, offset, first, end, part);
                else Pass<double>(scratch, offset, first, end, part);
            }, parts);
        }

        void Pass<T>(Storage scratch, int offset, int first, int end, int part) where T : unmanaged, INumber<T>
        {
            var columns = (T[])scratch.Data;
            if (dx is { } d) ConvGemmKernels.InputGrad(Array<T>(gd), Array<T>(w), Array<T>(d), columns, offset, geometry, groups, cout, first, end);
            if (dwParts is not null) ConvGemmKernels.WeightGrad(Array<T>(x), Array<T>(gd), (T[])dwParts.Data, part * wSize, columns, offset, geometry, groups, cout, first, end);
            if (dbParts is not null) ConvGemmKernels.BiasGrad(Array<T>(gd), (T[])dbParts.Data, part * cout, cout, geometry.Positions, first, end);
        }

        if (dwParts is not null) Sum(new TensorView(dwParts, [parts, wSize], [wSize, 1], 0, dtype), 1, parts, wSize, weightGrad!.Value);
        if (dbParts is not null) Sum(new TensorView(dbParts, [parts, cout], [cout, 1], 0, dtype), 1, parts, cout, biasGrad!.Value);
    }

    public void MaxPool2d(in TensorView input, in WindowGeometry g, in TensorView values, TensorView? indices, bool relu = false)
    {
        TensorView x = input, y = values;
        var geometry = g;
        int planes = input.Shape[0] * input.Shape[1];
        if (indices is null && MaxPool2x2Kernels.Fits(g))
        {
            PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
            {
                if (x.DType == DType.Float32) MaxPool2x2Kernels.Forward(Span<float>(x), geometry, Span<float>(y), first, end, relu);
                else MaxPool2x2Kernels.Forward(Span<double>(x), geometry, Span<double>(y), first, end, relu);
            });
            return;
        }
        if (relu) throw new ArgumentException("internal: MaxPool2d with a fused ReLU needs the 2×2 stride-2 window and no indices.");
        TensorView ix = indices ?? Scratch(DType.Int64, values.Shape);
        PerRange(planes, (long)planes * g.Positions * g.KernelH * g.KernelW, (first, end) =>
        {
            if (x.DType == DType.Float32) PoolKernels.MaxForward(Span<float>(x), geometry, Span<float>(y), Span<long>(ix), first, end);
            else PoolKernels.MaxForward(Span<double>(x), geometry, Span<double>(y), Span<long>(ix), first, end);
        });
    }

    public void MaxPool2dRecomputedBackward(in TensorView grad, in TensorView input, in TensorView output, in WindowGeometry g, in TensorView inputGrad, bool relu = false)
    {
        TensorView gd = grad, x = input, y = output, dx = inputGrad;
        var geometry = g;
        int planes = inputGrad.Shape[0] * inputGrad.Shape[1];
        if (MaxPool2x2Kernels.Fits(g))
        {
            PerRange(planes, (long)planes * g.Positions * 4, (first, end) =>
            {
                if (dx.DType == DType.Float32) MaxPool2x2Kernels.Backward(Span<float>(x), Span<float>(y), Span<float>(gd), geometry, Span<float>(dx), first, end, relu);
                else MaxPool2x2Kernels.Backward(Span<double>(x), Span<double>(y), Span<double>(gd), geometry, Span<double>(dx), first, end, relu);
            });
            return;
        }
        if (relu) throw new ArgumentException("internal: the fused ReLU max-pool backward needs the 2×2 stride-2 window.");
        // Any other geometry: the winners' indices again, then the indexed backward.
        var indices = Scratch(DType.Int64, output.Shape);
        MaxPool2d(input, g, Scratch(output.DType, output.Shape), indices);
        Fill(inputGrad, 0);
        MaxPool2dBackward(grad, indices, g, inputGrad);
    }

    /// <summary>A contiguous CPU scratch buffer of <paramref name="shape"/>, recycled by the current scope.</summary>
    private static TensorView Scratch(DType dtype, int[] shape) =>
        new(Storage.Allocate(Allocators.Cpu, dtype, ShapeUtil.Numel(shape), uninitialized: true), shape, ShapeUtil.ContiguousStrides(shape), 0, dtype);

    public void MaxPool2dBackward(in TensorView grad, in TensorView indices, in WindowGeometry g, in TensorView inputGrad)
    {
        TensorView gd = grad, ix = indices, dx = inputGrad;
        int planes = inputGrad.Shape[0] * inputGrad.Shape[1], plane = g.Height * g.Width, positions = g.Positions;
        PerRange(planes, (long)planes * positions, (first, end) =>
        {
            if (dx.DType == DType.Float32) PoolKernels.MaxBackward(Span<float>(gd), Span<long>(ix), Span<float>(dx), plane, positions, first, end);
            else PoolKernels.MaxBackward(Span<double>(gd), Span<long>(ix), Span<double>(dx), plane, positions, first, end);
        });
    }

    /// <summary>The view itself after checking it is dense from offset 0 (the conv kernels index whole arrays by image).</summary>
    private static TensorView Whole(in TensorView v) =>
        v.Offset == 0 && IsContiguous(v) ? v : throw new InvalidOperationException("internal: expected a dense tensor at offset 0");

    private static T[] Array<T>(in TensorView v) where T : unmanaged => (T[])v.Storage.Data;

    /// <summary>Parts to split <paramref name="count"/> images into for <paramref name="work"/> multiply-adds in all.</summary>
    private static int PartsFor(int count, long work) => Math.Max(1, Math.Min(count, Threading.ForWork(work, 1 << 18)));

    /// <summary>
    /// Runs <paramref name="body"/>(scratch, offset, first, end, part) over image ranges on up to <paramref name="parts"/> threads
    /// (chosen from the work when 0); each part gets its own column-matrix slice of one scratch buffer allocated here,
    /// on the calling thread, so a <see cref="TensorScope"/> recycles it.
    /// </summary>
    private static void RunPerImage(int count, long macsPerImage, WindowGeometry g, DType dtype, Action<Storage, int, int, int, int> body, int parts = 0)
    {
        if (parts == 0) parts = PartsFor(count, count * macsPerImage);
        int size = ConvGemmKernels.IsPointwise(g) ? 1 : g.Rows * g.Positions;
        var scratch = Storage.Allocate(Allocators.Cpu, dtype, parts * size, uninitialized: true);
        ForParts(parts, count, (p, first, end) => body(scratch, p * size, first, end, p));
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

    /// <summary>Runs <paramref name="body"/> for each of <paramref name="count"/> images, split across threads when the work pays for it.</summary>
    private static void PerImage(int count, long elementsPerImage, Action<int> body)
    {
        int threads = Math.Min(count, Threading.ForWork(count * elementsPerImage, 1 << 16));
        if (threads <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        WorkerPool.Run(threads, part =>
        {
            int start = (int)((long)count * part / threads), end = (int)((long)count * (part + 1) / threads);
            for (int i = start; i < end; i++) body(i);
        });
    }
}
