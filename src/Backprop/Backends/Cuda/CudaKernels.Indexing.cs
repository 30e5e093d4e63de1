namespace Backprop.Backends.Cuda;

/// <summary>The host side of index.cu and window.cu (see <see cref="CudaKernels"/>).</summary>
internal static partial class CudaKernels
{
    /// <summary>
    /// Throws <see cref="IndexRangeException"/> (as the CPU backend does) for the first of <paramref name="count"/> indices at
    /// <paramref name="index"/> outside [0, <paramref name="size"/>): a kernel records the first bad position in a device word,
    /// and reading it back waits for the stream — the one synchronisation of an indexed primitive.
    /// </summary>
    public static unsafe void CheckIndex(CudaDevice d, ulong index, long count, long size)
    {
        if (count == 0) return;
        var word = d.Allocator.Allocate(8, d.Stream, "index check");
        try
        {
            Run(d, "reduce", "fill_i64", 1, new KernelArgs().Add(1L).Add(word.Pointer).Add((double)count));
            Run(d, "index", "index_check", count, new KernelArgs().Add(count).Add(index).Add(size).Add(word.Pointer));
            long first = d.Download<long>(word, 1)[0];
            if (first >= count) return;
            long value;
            d.Driver.CopyDeviceToHost(&value, index + (ulong)(first * 8), 8, d.Stream);
            d.Driver.SynchronizeStream(d.Stream);
            throw new IndexRangeException(value, (int)first, size);
        }
        finally { d.Allocator.Release(word); }
    }

    /// <summary>y[o, j, :] = x[o, index[j], :] for x [outer, size, inner] and <paramref name="count"/> checked indices.</summary>
    public static void IndexSelect(CudaDevice d, DType t, ulong x, int outer, int size, int inner, ulong index, int count, ulong y)
    {
        CheckIndex(d, index, count, size);
        long n = (long)outer * count * inner;
        Run(d, "index", "index_select_" + S(t), n, new KernelArgs().Add(n).Add(x).Add((long)size).Add((long)count).Add((long)inner).Add(index).Add(y));
    }

    /// <summary>target[o, index[j], :] += source[o, j, :], in the CPU's order (one thread per [outer, inner] column).</summary>
    public static void IndexAdd(CudaDevice d, DType t, ulong target, int outer, int size, int inner, ulong index, int count, ulong source)
    {
        CheckIndex(d, index, count, size);
        Run(d, "index", "index_add_" + S(t), (long)outer * inner,
            new KernelArgs().Add((long)outer).Add((long)size).Add((long)inner).Add((long)count).Add(index).Add(source).Add(target));
    }

    /// <summary>
    /// Gather (other[i] = self[i with dim := index[i]]) or Scatter(Add) (self[i with dim := index[i]] (+)= other[i]) over a
    /// contiguous index of <paramref name="indexShape"/>; self and other contiguous with their own strides.
    /// </summary>
    public static unsafe void Scatter(CudaDevice d, ScatterKind kind, DType t, ulong self, int[] selfStrides, int selfDimSize, ulong other,
        int[] otherStrides, ulong index, int[] indexShape, int dim)
    {
        long n = ShapeUtil.Numel(indexShape);
        CheckIndex(d, index, n, selfDimSize);
        if (indexShape.Length > LaunchGeometry.MaxDims)
            throw new NotSupportedException($"gather/scatter on CUDA: {indexShape.Length} dimensions, more than the {LaunchGeometry.MaxDims} the kernels take.");
        var dims = new KernelDims { NDim = indexShape.Length };
        KernelStrides ss = default, os = default;
        for (int k = 0; k < indexShape.Length; k++) { dims.Size[k] = indexShape[k]; ss.Stride[k] = selfStrides[k]; os.Stride[k] = otherStrides[k]; }
        if (kind == ScatterKind.Gather)
            Run(d, "index", "gather_" + S(t), n, new KernelArgs().Add(n).Add(self).Add(ss).Add(other).Add(os).Add(index).Add(dims).Add(dim));
        else
        {
            long lines = indexShape[dim] == 0 ? 0 : n / indexShape[dim];
            Run(d, "index", "scatter_" + S(t), lines, new KernelArgs().Add(lines).Add(self).Add(ss).Add(other).Add(os).Add(index).Add(dims)
                .Add(dim).Add(kind == ScatterKind.ScatterAdd ? 1 : 0));
        }
    }

    /// <summary>The column matrices of <paramref name="images"/> [N, C, H, W] (N × [C·kh·kw, OutH·OutW]); padding reads <paramref name="pad"/>.</summary>
    public static void Im2Col(CudaDevice d, DType t, ulong images, int count, in WindowGeometry g, double pad, ulong columns)
    {
        long n = (long)count * g.Rows * g.Positions;
        Run(d, "window", "im2col_" + S(t), n, new KernelArgs().Add(n).Add(images).Add(new KernelWindow(g)).Add(pad).Add(columns));
    }

    /// <summary>Adds each column-matrix entry back into the image element it was read from (images are added into).</summary>
    public static void Col2Im(CudaDevice d, DType t, ulong columns, int count, in WindowGeometry g, ulong images)
    {
        long n = (long)count * g.ImageSize;
        Run(d, "window", "col2im_" + S(t), n, new KernelArgs().Add(n).Add(columns).Add(new KernelWindow(g)).Add(images));
    }

    /// <summary>Max pooling of <paramref name="planes"/> [H, W] planes: values (ReLU'd with <paramref name="relu"/>), and the flat index h·W + w of each maximum when <paramref name="indices"/> is not 0.</summary>
    public static void MaxPool2d(CudaDevice d, DType t, ulong x, int planes, in WindowGeometry g, ulong values, ulong indices, bool relu = false)
    {
        long n = (long)planes * g.Positions;
        Run(d, "window", "maxpool2d_" + S(t), n,
            new KernelArgs().Add(n).Add(x).Add(new KernelWindow(g)).Add(values).Add(indices).Add(indices == 0 ? 0 : 1).Add(relu ? 1 : 0));
    }

    /// <summary>dx[plane, indices[o]] += grad[o] (dx is added into), one thread per plane.</summary>
    public static void MaxPool2dBackward(CudaDevice d, DType t, ulong grad, ulong indices, int planes, in WindowGeometry g, ulong dx) =>
        Run(d, "window", "maxpool2d_backward_" + S(t), planes, new KernelArgs().Add((long)planes).Add(grad).Add(indices).Add(new KernelWindow(g)).Add(dx));

    /// <summary>Max pooling's input gradient from the input itself (winners found again; with <paramref name="relu"/> only windows whose maximum is positive); dx is overwritten.</summary>
    public static void MaxPool2dRecomputedBackward(CudaDevice d, DType t, ulong grad, ulong x, int planes, in WindowGeometry g, ulong dx, bool relu = false) =>
        Run(d, "window", "maxpool2d_recomputed_backward_" + S(t), planes,
            new KernelArgs().Add((long)planes).Add(grad).Add(x).Add(new KernelWindow(g)).Add(dx).Add(relu ? 1 : 0));
}
