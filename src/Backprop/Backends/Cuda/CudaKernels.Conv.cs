namespace Backprop.Backends.Cuda;

/// <summary>
/// The convolution on the GPU as im2col + cuBLAS (the CPU's im2col path): per chunk of images the column matrices are
/// built once, then one strided-batched GEMM per group multiplies them by the weights. Row-major products are issued as
/// cuBLAS's column-major transposes (no copies). Backward: the input gradient as Wᵀ·dY per image (batched) folded by
/// col2im; the weight gradient as one GEMM per group and chunk over all its images; the bias gradient by its own kernel.
/// </summary>
internal static partial class CudaKernels
{
    /// <summary>The most bytes of column matrices one chunk of images may hold (tests lower it to run many chunks).</summary>
    internal static long ColumnBudget { get; set; } = 256L << 20;

    /// <summary>Images per chunk so that their column matrices stay within <see cref="ColumnBudget"/>.</summary>
    private static int ImagesPerChunk(int images, in WindowGeometry g, DType t) =>
        (int)Math.Clamp(ColumnBudget / Math.Max(1L, (long)g.Rows * g.Positions * t.ElementSize()), 1, Math.Max(images, 1));

    /// <summary>y [N, Cout, OutH, OutW] = conv2d(x [N, C, H, W], w [Cout, C/groups, kh, kw]) (+ bias [Cout] when not 0).</summary>
    public static void Conv2d(CudaDevice d, DType t, ulong x, ulong w, ulong bias, int images, int cout, in WindowGeometry g, int groups, ulong y)
    {
        int es = t.ElementSize(), rowsG = g.Rows / groups, coutG = cout / groups, p = g.Positions, chunk = ImagesPerChunk(images, g, t);
        var columns = d.Allocator.Allocate((long)chunk * g.Rows * p * es, d.Stream, "Conv2d columns");
        try
        {
            for (int first = 0; first < images; first += chunk)
            {
                int count = Math.Min(chunk, images - first);
                Im2Col(d, t, x + (ulong)((long)first * g.ImageSize * es), count, g, 0, columns.Pointer);
                for (int gi = 0; gi < groups; gi++)
                    // Row-major Y_g [coutG, P] = W_g [coutG, rowsG] · col_g [rowsG, P], i.e. column-major Yᵀ = colᵀ · Wᵀ.
                    d.Blas.Gemm(t, false, false, p, coutG, rowsG, 1,
                        columns.Pointer + (ulong)((long)gi * rowsG * p * es), p, (long)g.Rows * p,
                        w + (ulong)((long)gi * coutG * rowsG * es), rowsG, 0, 0,
                        y + (ulong)(((long)first * cout + gi * coutG) * p * es), p, (long)cout * p, count);
            }
        }
        finally { d.Allocator.Release(columns); }
        if (bias != 0)
        {
            long n = (long)images * cout * p;
            Run(d, "window", "conv_add_bias_" + S(t), n, new KernelArgs().Add(n).Add(y).Add(bias).Add((long)cout).Add((long)p));
        }
    }

    /// <summary>
    /// The convolution's gradients into <paramref name="dx"/>, <paramref name="dw"/> and <paramref name="db"/> (each when not 0,
    /// each overwritten). The weight gradient is one GEMM per group and chunk of images: the chunk's column matrices laid
    /// out [C·kh·kw, images·P] and its output gradient transposed to [Cout, images·P], so dW_g = dYᵀ_g · colᵀ_gᵀ sums over
    /// every image and position at once.
    /// </summary>
    public static void Conv2dBackward(CudaDevice d, DType t, ulong dy, ulong x, ulong w, int images, int cout, in WindowGeometry g, int groups,
        ulong dx, ulong dw, ulong db)
    {
        int es = t.ElementSize(), rowsG = g.Rows / groups, coutG = cout / groups, p = g.Positions, chunk = ImagesPerChunk(images, g, t);
        if (db != 0)
            Run(d, "window", "conv_bias_grad_" + S(t), cout, new KernelArgs().Add((long)cout).Add((long)images).Add((long)p).Add(dy).Add(db));
        if (dx == 0 && dw == 0) return;
        if (dx != 0) Run(d, "reduce", "fill_" + S(t), (long)images * g.ImageSize, new KernelArgs().Add((long)images * g.ImageSize).Add(dx).Add(0.0));
        if (dw != 0 && images == 0) Run(d, "reduce", "fill_" + S(t), (long)cout * rowsG, new KernelArgs().Add((long)cout * rowsG).Add(dw).Add(0.0));
        var columns = d.Allocator.Allocate((long)chunk * g.Rows * p * es, d.Stream, "Conv2dBackward columns");
        var dyT = dw == 0 ? null : d.Allocator.Allocate((long)chunk * cout * p * es, d.Stream, "Conv2dBackward output gradient");
        try
        {
            for (int first = 0; first < images; first += chunk)
            {
                int count = Math.Min(chunk, images - first);
                ulong dyChunk = dy + (ulong)((long)first * cout * p * es);
                if (dyT is not null)
                {
                    long k = (long)count * p, n = g.Rows * k;
                    Run(d, "window", "im2col_t_" + S(t), n, new KernelArgs().Add(n).Add(x + (ulong)((long)first * g.ImageSize * es))
                        .Add(new KernelWindow(g)).Add((long)count).Add(columns.Pointer));
                    TransposeImagesAndChannels(d, t, dyChunk, count, cout, p, dyT.Pointer);
                    for (int gi = 0; gi < groups; gi++)
                        // dW_g [coutG, rowsG] (+)= dYᵀ_g [coutG, K] · colᵀ_g [rowsG, K]ᵀ: column-major dWᵀ = colᵀ_g · dYᵀ_gᵀ.
                        d.Blas.Gemm(t, true, false, rowsG, coutG, checked((int)k), 1,
                            columns.Pointer + (ulong)(gi * rowsG * k * es), (int)k, 0,
                            dyT.Pointer + (ulong)(gi * coutG * k * es), (int)k, 0,
                            first == 0 ? 0 : 1, dw + (ulong)((long)gi * coutG * rowsG * es), rowsG, 0, 1);
                }
                if (dx != 0)
                {
                    for (int gi = 0; gi < groups; gi++)
                        // col_g [rowsG, P] = W_gᵀ [rowsG, coutG] · dY_g [coutG, P]: column-major colᵀ = dY_gᵀ · W_g.
                        d.Blas.Gemm(t, false, true, p, rowsG, coutG, 1,
                            dyChunk + (ulong)((long)gi * coutG * p * es), p, (long)cout * p,
                            w + (ulong)((long)gi * coutG * rowsG * es), rowsG, 0, 0,
                            columns.Pointer + (ulong)((long)gi * rowsG * p * es), p, (long)g.Rows * p, count);
                    Col2Im(d, t, columns.Pointer, count, g, dx + (ulong)((long)first * g.ImageSize * es));
                }
            }
        }
        finally
        {
            d.Allocator.Release(columns);
            if (dyT is not null) d.Allocator.Release(dyT);
        }
    }

    /// <summary>[count, cout, P] → [cout, count, P] through the strided copy kernel.</summary>
    private static unsafe void TransposeImagesAndChannels(CudaDevice d, DType t, ulong source, int count, int cout, int p, ulong destination)
    {
        var (shape, strides) = LaunchGeometry.Coalesce([cout, count, p], [p, cout * p, 1], [count * p, p, 1]);
        var dims = new KernelDims { NDim = shape.Length };
        KernelStrides from = default, to = default;
        for (int k = 0; k < shape.Length; k++) { dims.Size[k] = shape[k]; from.Stride[k] = strides[0][k]; to.Stride[k] = strides[1][k]; }
        long n = (long)count * cout * p;
        Run(d, "reduce", "copy_strided_" + S(t), n, new KernelArgs().Add(n).Add(source).Add(from).Add(destination).Add(to).Add(dims));
    }
}
