using System.Runtime.CompilerServices;
using Backprop.Kernels.Gemm;

using Backprop.Backends;

namespace Backprop.Kernels;

/// <summary>
/// A 2-D convolution over a range of images as im2col + GEMM, one image at a time so the column matrix stays in
/// cache: the forward pass, the input gradient (GEMM + col2im) and the weight gradient (im2col + GEMM, accumulated).
/// Operands are row-major arrays with offsets: x [N, Cin, H, W], w [Cout, Cin/groups·kh·kw], y and g [N, Cout, L].
/// </summary>
internal static class ConvGemmKernels
{
    /// <summary>y[n] = W·im2col(x[n]) (+ bias) for images [first, end); <paramref name="columns"/> holds one image's column matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(T[] x, T[] w, T[]? bias, T[] y, T[] columns, int columnsOffset, in WindowGeometry g, int groups, int cout, int first, int end)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows / groups, perGroup = cout / groups, positions = g.Positions;
        for (int n = first; n < end; n++)
        {
            var (cols, colsOffset) = Columns(x, n, columns, columnsOffset, g);
            int yImage = n * cout * positions;
            if (bias is not null)
                for (int c = 0; c < cout; c++) y.AsSpan(yImage + c * positions, positions).Fill(bias[c]);
            for (int gi = 0; gi < groups; gi++)
                GemmKernel.Multiply(w, gi * perGroup * rows, rows, 1, cols, colsOffset + gi * rows * positions, positions, 1,
                    y, yImage + gi * perGroup * positions, positions, perGroup, rows, positions, accumulate: bias is not null);
        }
    }

    /// <summary>dx[n] = col2im(Wᵀ·g[n]) for images [first, end); <paramref name="dx"/> must be zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGrad<T>(T[] grad, T[] w, T[] dx, T[] columns, int columnsOffset, in WindowGeometry g, int groups, int cout, int first, int end)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows / groups, perGroup = cout / groups, positions = g.Positions, image = g.ImageSize;
        for (int n = first; n < end; n++)
        {
            int gImage = n * cout * positions;
            for (int gi = 0; gi < groups; gi++)
                // A = W_gᵀ read through strides: A(r, c) = w[(gi·perGroup + c)·rows + r].
                GemmKernel.Multiply(w, gi * perGroup * rows, 1, rows, grad, gImage + gi * perGroup * positions, positions, 1,
                    columns, columnsOffset + gi * rows * positions, positions, rows, perGroup, positions);
            if (ConvKernels.RowShift(g)) ConvKernels.Col2ImRowShift<T>(columns.AsSpan(columnsOffset, g.Rows * positions), g, dx.AsSpan(n * image, image));
            else ConvKernels.Col2Im<T>(columns.AsSpan(columnsOffset, g.Rows * positions), g, dx.AsSpan(n * image, image));
        }
    }

    /// <summary>dW += g[n]·im2col(x[n])ᵀ for images [first, end), into <paramref name="dw"/> at <paramref name="dwOffset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<T>(T[] x, T[] grad, T[] dw, int dwOffset, T[] columns, int columnsOffset, in WindowGeometry g, int groups, int cout, int first, int end)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows / groups, perGroup = cout / groups, positions = g.Positions;
        if (rows < 16 && perGroup >= 2 * rows)
        {
            WeightGradTransposed(x, grad, dw, dwOffset, columns, columnsOffset, g, groups, cout, first, end);
            return;
        }
        for (int n = first; n < end; n++)
        {
            var (cols, colsOffset) = Columns(x, n, columns, columnsOffset, g);
            int gImage = n * cout * positions;
            for (int gi = 0; gi < groups; gi++)
                // B = colsᵀ read through strides: B(l, r) = cols[r·positions + l].
                GemmKernel.Multiply(grad, gImage + gi * perGroup * positions, positions, 1, cols, colsOffset + gi * rows * positions, 1, positions,
                    dw, dwOffset + gi * perGroup * rows, rows, perGroup, positions, rows, accumulate: true);
        }
    }

    /// <summary>
    /// <see cref="WeightGrad{T}"/> for few column-matrix rows (a first layer: 1·3·3 = 9) and more output channels: dWᵀ
    /// = cols·gᵀ puts the channels across the micro-kernel's wide side instead of 9 of its 16–32 columns. It accumulates
    /// over the images in a [groups, rows, perGroup] buffer, in the same order, and adds it transposed into
    /// <paramref name="dw"/> at the end — the same sums as the direct form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradTransposed<T>(T[] x, T[] grad, T[] dw, int dwOffset, T[] columns, int columnsOffset, in WindowGeometry g, int groups, int cout, int first, int end)
        where T : unmanaged, INumber<T>
    {
        int rows = g.Rows / groups, perGroup = cout / groups, positions = g.Positions;
        var transposed = System.Buffers.ArrayPool<T>.Shared.Rent(groups * rows * perGroup); // no garbage per backward
        Copy(toTransposed: true); // start from dw's current values, so the result is dw + Σ images, as above
        for (int n = first; n < end; n++)
        {
            var (cols, colsOffset) = Columns(x, n, columns, columnsOffset, g);
            int gImage = n * cout * positions;
            for (int gi = 0; gi < groups; gi++)
                // A = cols (rows × positions); B = gᵀ read through strides: B(l, c) = grad[(gi·perGroup + c)·positions + l].
                GemmKernel.Multiply(cols, colsOffset + gi * rows * positions, positions, 1, grad, gImage + gi * perGroup * positions, 1, positions,
                    transposed, gi * rows * perGroup, perGroup, rows, positions, perGroup, accumulate: true);
        }
        Copy(toTransposed: false);
        System.Buffers.ArrayPool<T>.Shared.Return(transposed);

        void Copy(bool toTransposed) // dw [groups, perGroup, rows] ↔ transposed [groups, rows, perGroup]
        {
            for (int gi = 0; gi < groups; gi++)
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < perGroup; c++)
                    {
                        int t = (gi * rows + r) * perGroup + c, d = dwOffset + (gi * perGroup + c) * rows + r;
                        if (toTransposed) transposed[t] = dw[d];
                        else dw[d] = transposed[t];
                    }
        }
    }

    /// <summary>db[c] += Σ over images [first, end) and positions of g[n, c, ·].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BiasGrad<T>(T[] grad, T[] db, int dbOffset, int cout, int positions, int first, int end) where T : unmanaged, INumber<T>
    {
        for (int n = first; n < end; n++)
            for (int c = 0; c < cout; c++)
                db[dbOffset + c] += System.Numerics.Tensors.TensorPrimitives.Sum<T>(grad.AsSpan((n * cout + c) * positions, positions));
    }

    /// <summary>The column matrix of image n: the image itself for a 1×1 kernel with stride 1 and no padding, else im2col into the scratch buffer.</summary>
    private static (T[] Array, int Offset) Columns<T>(T[] x, int n, T[] columns, int columnsOffset, in WindowGeometry g) where T : unmanaged
    {
        if (IsPointwise(g)) return (x, n * g.ImageSize);
        ConvKernels.Im2Col<T>(x.AsSpan(n * g.ImageSize, g.ImageSize), g, columns.AsSpan(columnsOffset, g.Rows * g.Positions), default);
        return (columns, columnsOffset);
    }

    /// <summary>True when the column matrix equals the image (1×1 kernel, stride 1, no padding).</summary>
    public static bool IsPointwise(in WindowGeometry g) =>
        g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.OutH == g.Height && g.OutW == g.Width;
}
