using System.Runtime.CompilerServices;
using Backprop.Kernels;
using Backprop.Kernels.Gemm;

namespace Backprop.Backends.Cpu;

/// <summary>
/// Stride-1 convolutions without a column matrix (<see cref="ImplicitConvPasses"/>): the forward pass and both
/// gradients read the zero-padded image directly. <see cref="Conv2d"/> and <see cref="Conv2dBackward"/> come here
/// whenever <see cref="ImplicitConvPasses.ResolvePath"/> allows; other geometries keep im2col + GEMM.
/// </summary>
internal sealed partial class CpuBackend
{
    private static void ImplicitConv2d(GemmPath path, TensorView x, TensorView w, TensorView? b, WindowGeometry g, int groups, TensorView y)
    {
        int n = x.Shape[0], cout = w.Shape[0];
        int parts = PartsFor(n, (long)n * cout * (g.Rows / groups) * g.Positions);
        if (x.DType == DType.Float32) Run<float>();
        else Run<double>();

        void Run<T>() where T : unmanaged, INumber<T>
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
            ForParts(parts, n, (part, first, end) =>
                ImplicitConvPasses.Forward(path, xs, Array<T>(w), packed, bs, ys, scratch.AsSpan(part * size, size), g, groups, cout, first, end));
        }
    }

    /// <summary>The backward pass; per-part weight and bias gradients go to <paramref name="dwParts"/> and <paramref name="dbParts"/> (zeroed, [parts, size]).</summary>
    private static void ImplicitConv2dBackward(GemmPath path, TensorView gd, TensorView x, TensorView w, WindowGeometry g, int groups, int parts,
        TensorView? dx, Storage? dwParts, Storage? dbParts)
    {
        int n = x.Shape[0], cout = w.Shape[0], wSize = w.Numel;
        if (x.DType == DType.Float32) Run<float>();
        else Run<double>();

        void Run<T>() where T : unmanaged, INumber<T>
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
            T[] grads = Array<T>(gd), xs = Array<T>(x);
            T[]? dxs = dx is { } d ? Array<T>(d) : null, dws = dwParts is null ? null : (T[])dwParts.Data, dbs = dbParts is null ? null : (T[])dbParts.Data;
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

    /// <summary>Runs <paramref name="body"/>(part, first, end) over <paramref name="parts"/> even ranges of [0, <paramref name="count"/>).</summary>
    private static void ForParts(int parts, int count, Action<int, int, int> body)
    {
        if (parts == 1) body(0, 0, count);
        else WorkerPool.Run(parts, p => body(p, (int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}
