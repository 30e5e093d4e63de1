using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>Multiply-adds per thread below which attention stays on one thread.</summary>
    private const long AttentionGrain = 1 << 16;

    public void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp)
    {
        TensorView q = query, k = key, v = value, o = output, lse = logSumExp;
        AttentionMaskView m = mask;
        AttentionDims d = dims;
        ForSlices(d, (b0, b1) =>
        {
            if (q.DType == DType.Float32)
                AttentionKernels.Forward(Span<float>(q), Span<float>(k), Span<float>(v), MaskSpan<float>(m), d, Span<float>(o), Span<float>(lse), new float[d.S], b0, b1);
            else
                AttentionKernels.Forward(Span<double>(q), Span<double>(k), Span<double>(v), MaskSpan<double>(m), d, Span<double>(o), Span<double>(lse), new double[d.S], b0, b1);
        });
    }

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue)
    {
        TensorView q = query, k = key, v = value, o = output, lse = logSumExp, go = gradOutput, gq = gradQuery, gk = gradKey, gv = gradValue;
        AttentionMaskView m = mask;
        AttentionDims d = dims;
        ForSlices(d, (b0, b1) =>
        {
            if (q.DType == DType.Float32)
                AttentionKernels.Backward(Span<float>(q), Span<float>(k), Span<float>(v), MaskSpan<float>(m), d, Span<float>(o), Span<float>(lse),
                    Span<float>(go), Span<float>(gq), Span<float>(gk), Span<float>(gv), b0, b1);
            else
                AttentionKernels.Backward(Span<double>(q), Span<double>(k), Span<double>(v), MaskSpan<double>(m), d, Span<double>(o), Span<double>(lse),
                    Span<double>(go), Span<double>(gq), Span<double>(gk), Span<double>(gv), b0, b1);
        });
    }

    /// <summary>Splits the B slices (batch × heads) into contiguous ranges, one per thread, when the work is large enough.</summary>
    private static void ForSlices(AttentionDims d, Action<int, int> body)
    {
        long work = (long)d.B * d.L * d.S * (d.E + d.Ev);
        int parts = Math.Min(d.B, Threading.ForWork(work, AttentionGrain));
        if (parts <= 1) { body(0, d.B); return; }
        WorkerPool.Run(parts, part => body((int)((long)d.B * part / parts), (int)((long)d.B * (part + 1) / parts)));
    }

    private static AttentionMaskSpan<T> MaskSpan<T>(in AttentionMaskView m) where T : unmanaged, IFloatingPointIeee754<T> =>
        m.Storage is null ? default : new AttentionMaskSpan<T>((T[])m.Storage.Data, m.BatchOffsets, m.RowStride, m.ColStride);
}
