using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Backends;
using Backprop.Kernels.Gemm;

namespace Backprop.Kernels;

/// <summary>
/// The three passes of a stride-1 convolution over a range of images with <see cref="ImplicitConvKernel"/> (no column
/// matrix): forward, input gradient (the forward kernel on the padded output gradient with flipped weights) and weight
/// gradient. Operands are row-major arrays: x [N, Cin, H, W], w [Cout, Cin/groups·kh·kw], y and g [N, Cout, OutH·OutW].
/// Each part of a parallel pass brings its own scratch arrays, whose sizes the <c>*Size</c> members give.
/// </summary>
internal static unsafe class ImplicitConvPasses
{
    /// <summary>
    /// The vector path these passes run on the calling thread: the GEMM's (so tests forcing Vector256 cover this too);
    /// null when only scalar code could run. Resolved once per call and handed to the parts, whose worker threads do
    /// not see a test's per-thread forcing.
    /// </summary>
    public static GemmPath? ResolvePath(in WindowGeometry g, int outChannels = 0)
    {
        if (!ImplicitConvKernel.Fits(g)) return null;
        // Buffers and offsets are indexed with int: leave images whose padded copy would not fit to im2col + GEMM.
        long padded = (long)g.Channels * ImplicitConvKernel.PaddedHeight(g) * ImplicitConvKernel.PaddedWidth(g);
        long transposed = (long)Math.Max(g.Channels, outChannels) * (g.Height + g.DilationH * (g.KernelH - 1)) * (g.Width + g.DilationW * (g.KernelW - 1));
        if (Math.Max(padded, transposed) > int.MaxValue / 4) return null;
        var path = GemmKernel.ForcedPath == GemmPath.Auto ? GemmKernel.BestPath : GemmKernel.ForcedPath;
        if (path == GemmPath.Vector512 && !Avx512F.IsSupported) path = GemmPath.Vector256;
        return path == GemmPath.Vector256 && !Fma.IsSupported || path == GemmPath.Scalar ? null : path;
    }

    /// <summary>
    /// Column-matrix rows (the GEMM's k) below which the forward kernel (also the input gradient's) loses to im2col +
    /// GEMM: with k = 9 (a first layer) each tile's scattered store costs more than its few multiply-adds (measured
    /// with <c>cnn_phases_cpu</c>: conv1 forward 1.7 ms as im2col + GEMM against 3.5 ms here). The weight gradient sums
    /// over positions instead, so it has no such floor.
    /// </summary>
    public const int MinForwardRows = 32;

    /// <summary>True when the forward pass of <paramref name="g"/> runs the few-rows kernel (fewer than <see cref="MinForwardRows"/> rows, rows at least a vector wide).</summary>
    public static bool FewRows(GemmPath path, in WindowGeometry g, int groups, int elementSize) =>
        g.Rows / groups < MinForwardRows && g.OutW >= (path == GemmPath.Vector512 ? 64 : 32) / elementSize;

    /// <summary>Columns of one register tile on <paramref name="path"/> for element type T.</summary>
    public static int TileWidth<T>(GemmPath path) where T : unmanaged => 2 * (path == GemmPath.Vector512 ? 64 : 32) / Unsafe.SizeOf<T>();

    /// <summary>The geometry of the input gradient as a forward convolution over the output gradient (channels: one group's outputs).</summary>
    public static WindowGeometry Transposed(in WindowGeometry g, int channels) =>
        new(channels, g.OutH, g.OutW, g.KernelH, g.KernelW, 1, 1,
            g.DilationH * (g.KernelH - 1) - g.PadTop, g.DilationW * (g.KernelW - 1) - g.PadLeft, g.DilationH, g.DilationW, g.Height, g.Width);

    /// <summary>Elements of <see cref="PackForward{T}"/>'s output.</summary>
    public static int PackedForwardSize(GemmPath path, in WindowGeometry g, int groups, int cout) =>
        groups * Strips(path, cout / groups) * (g.Rows / groups) * ImplicitConvKernel.TileRows(path);

    /// <summary>Packs the weights for <see cref="Forward{T}"/>: each group's [perGroup, rows] block in tile-row strips.</summary>
    public static void PackForward<T>(GemmPath path, T[] w, in WindowGeometry g, int groups, int cout, Span<T> packed) where T : unmanaged, INumber<T>
    {
        int perGroup = cout / groups, rows = g.Rows / groups, block = Strips(path, perGroup) * rows * ImplicitConvKernel.TileRows(path);
        for (int gi = 0; gi < groups; gi++)
            ImplicitConvKernel.PackRows<T>(w.AsSpan(gi * perGroup * rows, perGroup * rows), perGroup, rows, ImplicitConvKernel.TileRows(path), packed.Slice(gi * block, block));
    }

    /// <summary>Elements of <see cref="PackInputGrad{T}"/>'s output.</summary>
    public static int PackedInputGradSize(GemmPath path, in WindowGeometry g, int groups, int cout) =>
        groups * Strips(path, g.Channels / groups) * (cout / groups) * g.KernelH * g.KernelW * ImplicitConvKernel.TileRows(path);

    /// <summary>
    /// Packs the weights for <see cref="InputGrad{T}"/>: per group, W'[ci, (co, i, j)] = W[co, ci, kh−1−i, kw−1−j] — the
    /// kernel flipped and its channel axes swapped — in tile-row strips (as <see cref="ImplicitConvKernel.PackRows{T}"/>).
    /// </summary>
    public static void PackInputGrad<T>(GemmPath path, T[] w, in WindowGeometry g, int groups, int cout, Span<T> packed) where T : unmanaged, INumber<T>
    {
        int mr = ImplicitConvKernel.TileRows(path), perGroup = cout / groups, cin = g.Channels / groups, kk = g.KernelH * g.KernelW;
        int rows = cin * kk, flippedRows = perGroup * kk, strips = Strips(path, cin), block = strips * flippedRows * mr;
        for (int gi = 0; gi < groups; gi++)
            for (int s = 0; s < strips; s++)
                for (int r = 0; r < flippedRows; r++)
                {
                    int co = r / kk, t = r - co * kk;
                    for (int i = 0; i < mr; i++)
                    {
                        int ci = s * mr + i;
                        packed[gi * block + (s * flippedRows + r) * mr + i] = ci < cin ? w[(gi * perGroup + co) * rows + ci * kk + (kk - 1 - t)] : T.Zero;
                    }
                }
    }

    /// <summary>Elements of the forward pass's scratch (one group's padded image).</summary>
    public static int ForwardScratchSize<T>(GemmPath path, in WindowGeometry g, int groups) where T : unmanaged =>
        ImplicitConvKernel.PaddedSize(g, g.Channels / groups, TileWidth<T>(path));

    /// <summary>
    /// y[n] = W·x[n] (+ bias) for images [first, end); <paramref name="padded"/> must be zero when first used;
    /// <paramref name="packedW"/> is <see cref="PackForward{T}"/>'s output of <paramref name="w"/> (unused, and may be null, when <see cref="FewRows"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(GemmPath path, T[] x, T[] w, T[]? packedW, T[]? bias, T[] y, Span<T> padded, in WindowGeometry g, int groups, int cout, int first, int end)
        where T : unmanaged, INumber<T>
    {
        int cin = g.Channels / groups, perGroup = cout / groups, rows = cin * g.KernelH * g.KernelW;
        bool few = FewRows(path, g, groups, Unsafe.SizeOf<T>());
        int block = few ? perGroup * rows : Strips(path, perGroup) * rows * ImplicitConvKernel.TileRows(path), plane = g.Height * g.Width, positions = g.Positions;
        var offsetArray = System.Buffers.ArrayPool<int>.Shared.Rent(rows);
        ImplicitConvKernel.Offsets(g, cin, offsetArray);
        fixed (int* offsets = offsetArray)
        fixed (T* px = x, pw = few ? w : packedW, pb = bias, py = y, pp = padded)
            for (int n = first; n < end; n++)
                for (int gi = 0; gi < groups; gi++)
                {
                    ImplicitConvKernel.PaddedImage<T>(new ReadOnlySpan<T>(px + ((long)n * g.Channels + gi * cin) * plane, cin * plane), g, cin, padded);
                    T* groupBias = pb == null ? null : pb + gi * perGroup, groupY = py + ((long)n * cout + gi * perGroup) * positions;
                    if (few) RunFewRows(path, pw + (long)gi * block, perGroup, rows, offsets, pp, g, groupBias, groupY);
                    else RunForward(path, pw + (long)gi * block, perGroup, rows, offsets, pp, g, groupBias, groupY);
                }
        System.Buffers.ArrayPool<int>.Shared.Return(offsetArray);
    }

    /// <summary>Elements of the input-gradient pass's scratch (one group's padded output gradient).</summary>
    public static int InputGradScratchSize<T>(GemmPath path, in WindowGeometry g, int groups, int cout) where T : unmanaged =>
        ImplicitConvKernel.PaddedSize(Transposed(g, cout / groups), cout / groups, TileWidth<T>(path));

    /// <summary>
    /// dx[n] = the input gradient of images [first, end) (overwritten); <paramref name="padded"/> must be zero when first
    /// used. Image n's output gradient starts at n·<paramref name="gradImageStride"/> of <paramref name="grad"/> (default
    /// Cout·positions: the whole batch's gradient; 0 when <paramref name="grad"/> holds just the one image).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGrad<T>(GemmPath path, T[] grad, T[] packedFlipped, T[] dx, Span<T> padded, in WindowGeometry g, int groups, int cout, int first, int end,
        int gradImageStride = -1) where T : unmanaged, INumber<T>
    {
        long imageStride = gradImageStride < 0 ? (long)cout * g.Positions : gradImageStride;
        int cin = g.Channels / groups, perGroup = cout / groups, flippedRows = perGroup * g.KernelH * g.KernelW;
        int block = Strips(path, cin) * flippedRows * ImplicitConvKernel.TileRows(path), positions = g.Positions, plane = g.Height * g.Width;
        var t = Transposed(g, perGroup);
        var offsetArray = System.Buffers.ArrayPool<int>.Shared.Rent(flippedRows);
        ImplicitConvKernel.Offsets(t, perGroup, offsetArray);
        fixed (int* offsets = offsetArray)
        fixed (T* pg = grad, pw = packedFlipped, pdx = dx, pp = padded)
            for (int n = first; n < end; n++)
                for (int gi = 0; gi < groups; gi++)
                {
                    ImplicitConvKernel.PaddedImage<T>(new ReadOnlySpan<T>(pg + n * imageStride + (long)gi * perGroup * positions, perGroup * positions), t, perGroup, padded);
                    RunForward(path, pw + (long)gi * block, cin, flippedRows, offsets, pp, t, null, pdx + ((long)n * g.Channels + gi * cin) * plane);
                }
        System.Buffers.ArrayPool<int>.Shared.Return(offsetArray);
    }

    /// <summary>Scratch sizes of the weight-gradient pass: a padded image, the packed gᵀ, and the transposed accumulator with a bias row (per group).</summary>
    public static (int Padded, int PackedGrad, int Accumulator) WeightGradScratchSizes<T>(GemmPath path, in WindowGeometry g, int groups, int cout) where T : unmanaged
    {
        int nr = TileWidth<T>(path), cin = g.Channels / groups, perGroup = cout / groups, rows = cin * g.KernelH * g.KernelW;
        return (ImplicitConvKernel.PaddedSize(g, cin, nr), (perGroup + nr - 1) / nr * nr * g.Positions,
            groups * AccumulatorRows(path, rows) * ((perGroup + nr - 1) / nr * nr));
    }

    /// <summary>Rows of one group's accumulator: the register tiles' rows, then one for the bias gradient.</summary>
    private static int AccumulatorRows(GemmPath path, int rows) => Strips(path, rows) * ImplicitConvKernel.TileRows(path) + 1;

    /// <summary>
    /// dw[dwOffset..] += the weight gradient of images [first, end), and db[dbOffset..] += the bias gradient when
    /// <paramref name="db"/> is given (summed from the packed gᵀ while it is in cache). <paramref name="padded"/> and
    /// <paramref name="accumulator"/> must be zero when first used; <paramref name="packedGrad"/> is overwritten.
    /// <paramref name="gradImageStride"/> is <see cref="InputGrad{T}"/>'s. Without <paramref name="flush"/> the sums stay
    /// in the accumulator (later calls add to them) until <see cref="FlushWeightGrad{T}"/> adds them to dw and db.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<T>(GemmPath path, T[] x, T[] grad, T[] dw, int dwOffset, T[]? db, int dbOffset, Span<T> padded, Span<T> packedGrad, Span<T> accumulator,
        in WindowGeometry g, int groups, int cout, int first, int end, int gradImageStride = -1, bool flush = true) where T : unmanaged, INumber<T>
    {
        int nr = TileWidth<T>(path), cin = g.Channels / groups, perGroup = cout / groups, rows = cin * g.KernelH * g.KernelW;
        int ld = (perGroup + nr - 1) / nr * nr, biasRow = AccumulatorRows(path, rows) - 1, accBlock = (biasRow + 1) * ld;
        int plane = g.Height * g.Width, positions = g.Positions;
        long imageStride = gradImageStride < 0 ? (long)cout * positions : gradImageStride;
        var offsetArray = System.Buffers.ArrayPool<int>.Shared.Rent(rows);
        ImplicitConvKernel.Offsets(g, cin, offsetArray);
        fixed (int* offsets = offsetArray)
        fixed (T* px = x, pg = grad, pp = padded, pk = packedGrad, pa = accumulator)
        {
            for (int n = first; n < end; n++)
                for (int gi = 0; gi < groups; gi++)
                {
                    ImplicitConvKernel.PaddedImage<T>(new ReadOnlySpan<T>(px + ((long)n * g.Channels + gi * cin) * plane, cin * plane), g, cin, padded);
                    ImplicitConvKernel.PackTransposed(pg + n * imageStride + (long)gi * perGroup * positions, perGroup, positions, nr, pk);
                    RunWeightGrad(path, pp, offsets, rows, pk, perGroup, g, pa + (long)gi * accBlock, ld);
                    if (db is not null) RunPositionSums(path, pk, positions, ld / nr, pa + (long)gi * accBlock + (long)biasRow * ld);
                }
        }
        System.Buffers.ArrayPool<int>.Shared.Return(offsetArray);
        if (flush) FlushWeightGrad(path, dw, dwOffset, db, dbOffset, accumulator, g, groups, cout);
    }

    /// <summary>Adds <see cref="WeightGrad{T}"/>'s accumulated sums (transposed, with the bias row) to dw and, when given, db.</summary>
    public static void FlushWeightGrad<T>(GemmPath path, T[] dw, int dwOffset, T[]? db, int dbOffset, ReadOnlySpan<T> accumulator, in WindowGeometry g, int groups, int cout)
        where T : unmanaged, INumber<T>
    {
        int nr = TileWidth<T>(path), perGroup = cout / groups, rows = g.Channels / groups * g.KernelH * g.KernelW;
        int ld = (perGroup + nr - 1) / nr * nr, biasRow = AccumulatorRows(path, rows) - 1, accBlock = (biasRow + 1) * ld;
        if (db is not null)
            for (int gi = 0; gi < groups; gi++)
                for (int co = 0; co < perGroup; co++)
                    db[dbOffset + gi * perGroup + co] += accumulator[gi * accBlock + biasRow * ld + co];
        for (int gi = 0; gi < groups; gi++)
            for (int co = 0; co < perGroup; co++)
                for (int p = 0; p < rows; p++)
                    dw[dwOffset + (gi * perGroup + co) * rows + p] += accumulator[gi * accBlock + p * ld + co];
    }

    private static int Strips(GemmPath path, int count) => (count + ImplicitConvKernel.TileRows(path) - 1) / ImplicitConvKernel.TileRows(path);

    private static void RunForward<T>(GemmPath path, T* packedA, int cout, int rows, int* offsets, T* padded, in WindowGeometry g, T* bias, T* y) where T : unmanaged, INumber<T>
    {
        bool wide = path == GemmPath.Vector512;
        if (typeof(T) == typeof(float))
        {
            if (wide) ImplicitConvKernel.Forward<EightRows, V512F, Vector512<float>, float>((float*)packedA, cout, rows, offsets, (float*)padded, g, (float*)bias, (float*)y);
            else ImplicitConvKernel.Forward<SixRows, V256F, Vector256<float>, float>((float*)packedA, cout, rows, offsets, (float*)padded, g, (float*)bias, (float*)y);
        }
        else if (wide) ImplicitConvKernel.Forward<EightRows, V512D, Vector512<double>, double>((double*)packedA, cout, rows, offsets, (double*)padded, g, (double*)bias, (double*)y);
        else ImplicitConvKernel.Forward<SixRows, V256D, Vector256<double>, double>((double*)packedA, cout, rows, offsets, (double*)padded, g, (double*)bias, (double*)y);
    }

    private static void RunFewRows<T>(GemmPath path, T* w, int cout, int rows, int* offsets, T* padded, in WindowGeometry g, T* bias, T* y) where T : unmanaged, INumber<T>
    {
        bool wide = path == GemmPath.Vector512;
        if (typeof(T) == typeof(float))
        {
            if (wide) ImplicitConvKernel.ForwardFewRows<V512F, Vector512<float>, float>((float*)w, cout, rows, offsets, (float*)padded, g, (float*)bias, (float*)y);
            else ImplicitConvKernel.ForwardFewRows<V256F, Vector256<float>, float>((float*)w, cout, rows, offsets, (float*)padded, g, (float*)bias, (float*)y);
        }
        else if (wide) ImplicitConvKernel.ForwardFewRows<V512D, Vector512<double>, double>((double*)w, cout, rows, offsets, (double*)padded, g, (double*)bias, (double*)y);
        else ImplicitConvKernel.ForwardFewRows<V256D, Vector256<double>, double>((double*)w, cout, rows, offsets, (double*)padded, g, (double*)bias, (double*)y);
    }

    private static void RunPositionSums<T>(GemmPath path, T* packed, int positions, int strips, T* sums) where T : unmanaged, INumber<T>
    {
        bool wide = path == GemmPath.Vector512;
        if (typeof(T) == typeof(float))
        {
            if (wide) ImplicitConvKernel.AddPositionSums<V512F, Vector512<float>, float>((float*)packed, positions, strips, (float*)sums);
            else ImplicitConvKernel.AddPositionSums<V256F, Vector256<float>, float>((float*)packed, positions, strips, (float*)sums);
        }
        else if (wide) ImplicitConvKernel.AddPositionSums<V512D, Vector512<double>, double>((double*)packed, positions, strips, (double*)sums);
        else ImplicitConvKernel.AddPositionSums<V256D, Vector256<double>, double>((double*)packed, positions, strips, (double*)sums);
    }

    private static void RunWeightGrad<T>(GemmPath path, T* padded, int* offsets, int rows, T* packedGrad, int cout, in WindowGeometry g, T* acc, int ld) where T : unmanaged, INumber<T>
    {
        bool wide = path == GemmPath.Vector512;
        if (typeof(T) == typeof(float))
        {
            if (wide) ImplicitConvKernel.WeightGrad<EightRows, V512F, Vector512<float>, float>((float*)padded, offsets, rows, (float*)packedGrad, cout, g, (float*)acc, ld);
            else ImplicitConvKernel.WeightGrad<SixRows, V256F, Vector256<float>, float>((float*)padded, offsets, rows, (float*)packedGrad, cout, g, (float*)acc, ld);
        }
        else if (wide) ImplicitConvKernel.WeightGrad<EightRows, V512D, Vector512<double>, double>((double*)padded, offsets, rows, (double*)packedGrad, cout, g, (double*)acc, ld);
        else ImplicitConvKernel.WeightGrad<SixRows, V256D, Vector256<double>, double>((double*)padded, offsets, rows, (double*)packedGrad, cout, g, (double*)acc, ld);
    }
}
