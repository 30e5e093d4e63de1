using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>
/// The CPU backend: managed arrays, the kernels under <c>Backends/Cpu/Kernels/</c> and the worker threads. It alone
/// switches on dtype and takes raw spans; each primitive dispatches once and runs a whole op.
/// </summary>
internal sealed partial class CpuBackend : IBackend
{
    /// <summary>The one instance (the CPU is one device).</summary>
    public static CpuBackend Instance { get; } = new();

    private CpuBackend() { }

    /// <summary>
    /// Elements per thread below which an optimizer step stays on one thread. The update is memory-bound and runs once per
    /// parameter, so a split pays a hand-off per parameter for little: with 2¹⁵ the Fashion-MNIST MLP's 200K-element
    /// weight was split and its b64 step was 15–25 % slower on 2 threads than on 1; with 2²⁰ it stays whole and 2 threads
    /// match 1 (five interleaved rounds, docs/PERFORMANCE.md).
    /// </summary>
    internal const int ParallelGrain = 1 << 20;

    public Device Device => Device.Cpu;

    /// <summary>The view's elements as a span; the view must be contiguous (the callers make it so).</summary>
    internal static Span<T> Span<T>(in TensorView v) where T : unmanaged => ((T[])v.Storage.Data).AsSpan(v.Offset, v.Numel);

    public void AdamStep(in TensorView param, in TensorView grad, in TensorView expAvg, in TensorView expAvgSq, in TensorView maxExpAvgSq, in AdamHyper h)
    {
        // Split across threads when large; every element's arithmetic is the same, so results do not depend on the split.
        // Small parameters run inline without a closure (WorkerPool.For would run them as one range anyway).
        if (param.Numel < 2 * ParallelGrain) { AdamRange(param, grad, expAvg, expAvgSq, maxExpAvgSq, h, 0, param.Numel); return; }
        TensorView p = param, g = grad, m = expAvg, v = expAvgSq, vmax = maxExpAvgSq;
        var hyper = h;
        WorkerPool.For(p.Numel, ParallelGrain, (i, n) => AdamRange(p, g, m, v, vmax, hyper, i, n));
    }

    private static void AdamRange(in TensorView p, in TensorView g, in TensorView m, in TensorView v, in TensorView vmax, in AdamHyper h, int i, int n)
    {
        if (p.DType == DType.Float32)
            FusedKernels.Adam(Span<float>(p).Slice(i, n), Span<float>(g).Slice(i, n), Span<float>(m).Slice(i, n), Span<float>(v).Slice(i, n),
                Span<float>(vmax).Slice(i, n), h.Beta1, h.Beta2, h.StepSize, h.BiasCorrection2Sqrt, h.Eps, h.Amsgrad);
        else
            FusedKernels.Adam(Span<double>(p).Slice(i, n), Span<double>(g).Slice(i, n), Span<double>(m).Slice(i, n), Span<double>(v).Slice(i, n),
                Span<double>(vmax).Slice(i, n), h.Beta1, h.Beta2, h.StepSize, h.BiasCorrection2Sqrt, h.Eps, h.Amsgrad);
    }

    public void SgdStep(in TensorView param, in TensorView grad, in TensorView buffer, in SgdHyper h)
    {
        if (param.Numel < 2 * ParallelGrain) { SgdRange(param, grad, buffer, h, 0, param.Numel); return; }
        TensorView p = param, g = grad, b = buffer;
        var hyper = h;
        WorkerPool.For(p.Numel, ParallelGrain, (i, n) => SgdRange(p, g, b, hyper, i, n));
    }

    private static void SgdRange(in TensorView p, in TensorView g, in TensorView b, in SgdHyper h, int i, int n)
    {
        if (p.DType == DType.Float32)
            FusedKernels.Sgd(Span<float>(p).Slice(i, n), Span<float>(g).Slice(i, n), Span<float>(b).Slice(i, n),
                h.Lr, h.Momentum, h.Dampening, h.WeightDecay, h.Nesterov, h.FirstStep);
        else
            FusedKernels.Sgd(Span<double>(p).Slice(i, n), Span<double>(g).Slice(i, n), Span<double>(b).Slice(i, n),
                h.Lr, h.Momentum, h.Dampening, h.WeightDecay, h.Nesterov, h.FirstStep);
    }

    public void ActivationBackward(ActivationKind kind, in TensorView grad, in TensorView output, in TensorView result)
    {
        if (output.Numel >= 2 * LargeElementGrain)
        {
            TensorView g = grad, y = output, d = result;
            ForElements(output.Numel, LargeElementGrain, (start, length) =>
            {
                if (y.DType == DType.Float32) ActivationBackward(kind, Span<float>(g).Slice(start, length), Span<float>(y).Slice(start, length), Span<float>(d).Slice(start, length));
                else ActivationBackward(kind, Span<double>(g).Slice(start, length), Span<double>(y).Slice(start, length), Span<double>(d).Slice(start, length));
            });
            return;
        }
        if (output.DType == DType.Float32) ActivationBackward(kind, Span<float>(grad), Span<float>(output), Span<float>(result));
        else ActivationBackward(kind, Span<double>(grad), Span<double>(output), Span<double>(result));
    }

    private static void ActivationBackward<T>(ActivationKind kind, ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case ActivationKind.Relu: FusedKernels.ReluGrad(g, y, d); break;
            case ActivationKind.Sigmoid: FusedKernels.SigmoidGrad(g, y, d); break;
            default: FusedKernels.TanhGrad(g, y, d); break;
        }
    }

    public void GeluBackward(bool tanhApproximation, in TensorView grad, in TensorView input, in TensorView result)
    {
        TensorView g = grad, x = input, d = result;
        ForElements(input.Numel, (start, length) =>
        {
            if (x.DType == DType.Float32)
                GeluKernels.Backward<float>(Span<float>(g).Slice(start, length), Span<float>(x).Slice(start, length), Span<float>(d).Slice(start, length), tanhApproximation);
            else
                GeluKernels.Backward<double>(Span<double>(g).Slice(start, length), Span<double>(x).Slice(start, length), Span<double>(d).Slice(start, length), tanhApproximation);
        });
    }

    public void Softmax(in TensorView input, int outer, int size, int inner, in TensorView output, bool log)
    {
        if (input.DType == DType.Float32) ReductionKernels.Softmax(Span<float>(input), outer, size, inner, Span<float>(output), log);
        else ReductionKernels.Softmax(Span<double>(input), outer, size, inner, Span<double>(output), log);
    }

    public void SubtractOneHotAndScale(in TensorView probabilities, in TensorView target, in TensorView coef)
    {
        int classes = probabilities.Shape[1];
        if (probabilities.DType == DType.Float32) FusedKernels.SubtractOneHotAndScale(Span<float>(probabilities), classes, Span<long>(target), Span<float>(coef));
        else FusedKernels.SubtractOneHotAndScale(Span<double>(probabilities), classes, Span<long>(target), Span<double>(coef));
    }

    public void CopyStrided(in TensorView source, in TensorView destination)
    {
        switch (destination.Storage.Data)
        {
            case float[] f: CopyKernels.Copy((float[])source.Storage.Data, source.Offset, source.Strides, f, destination.Offset, destination.Strides, destination.Shape); break;
            case double[] d: CopyKernels.Copy((double[])source.Storage.Data, source.Offset, source.Strides, d, destination.Offset, destination.Strides, destination.Shape); break;
            case long[] l: CopyKernels.Copy((long[])source.Storage.Data, source.Offset, source.Strides, l, destination.Offset, destination.Strides, destination.Shape); break;
        }
    }

    public void Convert(in TensorView source, in TensorView destination)
    {
        switch (source.DType, destination.DType)
        {
            case (DType.Float32, DType.Float64): CopyKernels.Convert<float, double>(Span<float>(source), Span<double>(destination)); break;
            case (DType.Float64, DType.Float32): CopyKernels.Convert<double, float>(Span<double>(source), Span<float>(destination)); break;
            case (DType.Int64, DType.Float32): CopyKernels.Convert<long, float>(Span<long>(source), Span<float>(destination)); break;
            case (DType.Int64, DType.Float64): CopyKernels.Convert<long, double>(Span<long>(source), Span<double>(destination)); break;
            case (DType.Float32, DType.Int64): CopyKernels.Convert<float, long>(Span<float>(source), Span<long>(destination)); break;
            case (DType.Float64, DType.Int64): CopyKernels.Convert<double, long>(Span<double>(source), Span<long>(destination)); break;
            default: throw new InvalidOperationException($"internal: Convert from {source.DType} to {destination.DType}");
        }
    }
}
