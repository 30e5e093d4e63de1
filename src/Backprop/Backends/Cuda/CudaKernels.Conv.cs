namespace Backprop.Backends.Cuda;

/// <summary>
/// The convolution on the GPU as im2col + cuBLAS (the CPU's im2col path): per chunk of images the column matrices are
/// built once, then one strided-batched GEMM per group multiplies them by the weights. Row-major products are issued as
/// cuBLAS's column-major transposes (no copies). Backward: the input gradient as Wᵀ·dY per image (batched) folded by
/// col2im; the weight gradient as dY·colᵀ accumulated image by image; the bias gradient by its own kernel.
/// </summary>
internal static partial class CudaKernels
{
    /// <summary>The most bytes of column matrices one chunk of images may hold.</summary>
    internal const long ColumnBudget = 256L << 20;

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

    /// <summary>The convolution's gradients into <paramref name="dx"/>, <paramref name="dw"/> and <paramref name="db"/> (each when not 0, each overwritten).</summary>
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
        try
        {
            for (int first = 0; first < images; first += chunk)
            {
                int count = Math.Min(chunk, images - first);
                ulong dyChunk = dy + (ulong)((long)first * cout * p * es);
                if (dw != 0)
                {
                    Im2Col(d, t, x + (ulong)((long)first * g.ImageSize * es), count, g, 0, columns.Pointer);
                    for (int i = 0; i < count; i++)
                        for (int gi = 0; gi < groups; gi++)
                            // dW_g [coutG, rowsG] (+)= dY_g [coutG, P] · col_gᵀ [P, rowsG]: column-major dWᵀ = col_g · dY_gᵀ.
                            d.Blas.Gemm(t, true, false, rowsG, coutG, p, 1,
                                columns.Pointer + (ulong)(((long)i * g.Rows + gi * rowsG) * p * es), p, 0,
                                dyChunk + (ulong)(((long)i * cout + gi * coutG) * p * es), p, 0,
                                first + i == 0 ? 0 : 1, dw + (ulong)((long)gi * coutG * rowsG * es), rowsG, 0, 1);
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
        finally { d.Allocator.Release(columns); }
    }
}
