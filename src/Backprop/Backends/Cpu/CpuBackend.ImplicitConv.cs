using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Backends.Cpu;

/// <summary>
/// Stride-1 convolutions without a column matrix (<see cref="ImplicitConvPasses"/>): the forward pass and both
/// gradients read the zero-padded image directly. <see cref="Conv2d"/> and <c>Conv2dBackward</c> come here
/// whenever <see cref="ImplicitConvPasses.ResolvePath"/> allows; other geometries keep im2col + GEMM.
/// </summary>
internal sealed partial class CpuBackend
{
    /// <summary>
    /// The forward pass; with <paramref name="pool"/> each image's output is then max-pooled (2×2, ReLU'd) into
    /// <paramref name="pooled"/> right after it is computed, while it is in cache.
    /// </summary>
    private static void ImplicitConv2d(GemmPath path, TensorView x, TensorView w, TensorView? b, WindowGeometry g, int groups, TensorView y,
        WindowGeometry? pool = null, TensorView pooled = default)
    {
        int n = x.Shape[0], cout = w.Shape[0];
        int parts = PartsFor(n, (long)n * cout * (g.Rows / groups) * g.Positions);
        if (x.DType == DType.Float32) Run<float>();
        else Run<double>();

        void Run<T>() where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
        {
            T[]? packed = null; // the few-rows kernel reads W as it is
            if (!ImplicitConvPasses.FewRows(path, g, groups, Unsafe.SizeOf<T>()))
            {
                packed = (T[])Storage.Allocate(Allocators.Cpu, x.DType, ImplicitConvPasses.PackedForwardSize(path, g, groups, cout), uninitialized: true).Data;
                ImplicitConvPasses.PackForward(path, Array<T>(w), g, groups, cout, packed);
            }
            int size = ImplicitConvPasses.ForwardScratchSize<T>(path, g, groups);
            var scratch = (T[])Storage.Allocate(Allocators.Cpu, x.DType, parts * size).Data; // zero: the padding borders
            T[] xs = Array<T>(x), ys = Array<T>(y);
            T[]? bs = b is { } bv ? Array<T>(bv) : null;
            if (pool is not { } pg)
            {
                ForParts(parts, n, (part, first, end) =>
                    ImplicitConvPasses.Forward(path, xs, Array<T>(w), packed, bs, ys, scratch.AsSpan(part * size, size), g, groups, cout, first, end));
                return;
            }
            T[] ps = Array<T>(pooled);
            int plane = cout * g.Positions, pooledPlane = cout * pg.Positions;
            ForParts(parts, n, (part, first, end) =>
            {
                for (int i = first; i < end; i++)
                {
                    ImplicitConvPasses.Forward(path, xs, Array<T>(w), packed, bs, ys, scratch.AsSpan(part * size, size), g, groups, cout, i, i + 1);
                    MaxPool2x2Kernels.Forward<T>(ys.AsSpan(i * plane, plane), pg, ps.AsSpan(i * pooledPlane, pooledPlane), 0, cout, relu: true);
                }
            });
        }
    }

    /// <summary>
    /// The backward pass; per-part weight and bias gradients go to <paramref name="dwParts"/> and <paramref name="dbParts"/>
    /// (zeroed, [parts, size]). With <paramref name="pooled"/> the output gradient is not given whole (<paramref name="gd"/>
    /// is unused): each image's is made in a per-part scratch from the ReLU'd 2×2 max-pool's gradient just before its
    /// passes read it (cache-hot), the same numbers in the same order as the pool's backward followed by this pass.
    /// </summary>
    private static void ImplicitConv2dBackward(GemmPath path, TensorView gd, TensorView x, TensorView w, WindowGeometry g, int groups, int parts,
        TensorView? dx, Storage? dwParts, Storage? dbParts, PooledGrad? pooled = null)
    {
        int n = x.Shape[0], cout = w.Shape[0], wSize = w.Numel;
        if (x.DType == DType.Float32) Run<float>();
        else Run<double>();

        void Run<T>() where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
        {
            T[]? packed = null;
            if (dx is not null)
            {
                packed = (T[])Storage.Allocate(Allocators.Cpu, x.DType, ImplicitConvPasses.PackedInputGradSize(path, g, groups, cout), uninitialized: true).Data;
                ImplicitConvPasses.PackInputGrad(path, Array<T>(w), g, groups, cout, packed);
            }
            int padG = dx is null ? 0 : ImplicitConvPasses.InputGradScratchSize<T>(path, g, groups, cout);
            var (padX, packedG, acc) = dwParts is null ? default : ImplicitConvPasses.WeightGradScratchSizes<T>(path, g, groups, cout);
            int size = padG + padX + packedG + acc;
            var scratch = (T[])Storage.Allocate(Allocators.Cpu, x.DType, parts * size).Data; // zero: padding borders, accumulators
            T[] grads = pooled is null ? Array<T>(gd) : [], xs = Array<T>(x); // a pooled gradient is read through PooledGrad instead
            T[]? dxs = dx is { } d ? Array<T>(d) : null, dws = dwParts is null ? null : (T[])dwParts.Data, dbs = dbParts is null ? null : (T[])dbParts.Data;
            if (pooled is { } pg)
            {
                var ones = new T[parts][]; // one image's output gradient per part, every element written per image
                for (int i = 0; i < parts; i++) ones[i] = (T[])Storage.Allocate(Allocators.Cpu, x.DType, cout * g.Positions, uninitialized: true).Data;
                ForParts(parts, n, (part, first, end) => PooledPart<T>(path, pg, xs, packed, dxs, dws, dbs, ones[part], scratch.AsSpan(part * size, size), padG, padX, packedG, acc,
                    g, groups, cout, part, first, end));
                return;
            }
            ForParts(parts, n, (part, first, end) =>
            {
                var mine = scratch.AsSpan(part * size, size);
                if (dxs is not null) ImplicitConvPasses.InputGrad(path, grads, packed!, dxs, mine[..padG], g, groups, cout, first, end);
                if (dws is not null) // the bias gradient too, from the packed copy of g
                    ImplicitConvPasses.WeightGrad(path, xs, grads, dws, part * wSize, dbs, part * cout, mine.Slice(padG, padX), mine.Slice(padG + padX, packedG),
                        mine.Slice(padG + padX + packedG, acc), g, groups, cout, first, end);
                else if (dbs is not null) ConvGemmKernels.BiasGrad(grads, dbs, part * cout, cout, g.Positions, first, end);
            });
        }
    }

    /// <summary>
    /// One part of the backward from a pooled gradient: image by image, the pool's backward into a scratch of one image's
    /// output gradient, then the input- and weight-gradient passes over that image (the weight gradient's sums stay in
    /// the part's accumulator until the part ends, so they add up in the same order as over the whole range).
    /// </summary>
    private static void PooledPart<T>(GemmPath path, PooledGrad pg, T[] xs, T[]? packed, T[]? dxs, T[]? dws, T[]? dbs, T[] one, Span<T> mine, int padG, int padX, int packedG,
        int acc, WindowGeometry g, int groups, int cout, int part, int first, int end) where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        int plane = g.Positions, pooledPlane = pg.Pool.Positions, wSize = cout * (g.Rows / groups);
        ReadOnlySpan<T> y = Span<T>(pg.ConvOutput), p = Span<T>(pg.Pooled), gp = Span<T>(pg.Grad);
        for (int n = first; n < end; n++)
        {
            MaxPool2x2Kernels.Backward(y.Slice(n * cout * plane, cout * plane), p.Slice(n * cout * pooledPlane, cout * pooledPlane),
                gp.Slice(n * cout * pooledPlane, cout * pooledPlane), pg.Pool, one, 0, cout, relu: true);
            if (dxs is not null) ImplicitConvPasses.InputGrad(path, one, packed!, dxs, mine[..padG], g, groups, cout, n, n + 1, gradImageStride: 0);
            if (dws is not null)
                ImplicitConvPasses.WeightGrad(path, xs, one, dws, part * wSize, dbs, part * cout, mine.Slice(padG, padX), mine.Slice(padG + padX, packedG),
                    mine.Slice(padG + padX + packedG, acc), g, groups, cout, n, n + 1, gradImageStride: 0, flush: false);
            else if (dbs is not null) ConvGemmKernels.BiasGrad(one, dbs, part * cout, cout, plane, 0, 1);
        }
        if (dws is not null) ImplicitConvPasses.FlushWeightGrad(path, dws, part * wSize, dbs, part * cout, mine.Slice(padG + padX + packedG, acc), g, groups, cout);
    }

    /// <summary>Runs <paramref name="body"/>(part, first, end) over <paramref name="parts"/> even ranges of [0, <paramref name="count"/>).</summary>
    private static void ForParts(int parts, int count, Action<int, int, int> body)
    {
        if (parts == 1) body(0, 0, count);
        else WorkerPool.Run(parts, p => body(p, (int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}

/// <summary>The ReLU'd 2×2 max-pool whose backward feeds a convolution's (see <c>CpuBackend.Conv2dReluMaxPoolBackward</c>).</summary>
internal readonly record struct PooledGrad(TensorView Grad, TensorView ConvOutput, TensorView Pooled, WindowGeometry Pool);
