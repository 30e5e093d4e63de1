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
        var (ql, kl, vl, ol) = (Operand(query), Operand(key), Operand(value), Operand(output));
        AttentionMaskView m = mask;
        AttentionDims d = dims;
        ForSlices(d, (b0, b1) =>
        {
            if (q.DType == DType.Float32)
                AttentionKernels.Forward(Data<float>(q), ql, Data<float>(k), kl, Data<float>(v), vl, MaskSpan<float>(m), d, Data<float>(o), ol, Span<float>(lse), b0, b1);
            else
                AttentionKernels.Forward(Data<double>(q), ql, Data<double>(k), kl, Data<double>(v), vl, MaskSpan<double>(m), d, Data<double>(o), ol, Span<double>(lse), b0, b1);
        });
    }

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue)
    {
        TensorView q = query, k = key, v = value, o = output, lse = logSumExp, go = gradOutput, gq = gradQuery, gk = gradKey, gv = gradValue;
        var (ql, kl, vl, ol) = (Operand(query), Operand(key), Operand(value), Operand(output));
        var (gol, gql, gkl, gvl) = (Operand(gradOutput), Operand(gradQuery), Operand(gradKey), Operand(gradValue));
        AttentionMaskView m = mask;
        AttentionDims d = dims;
        ForSlices(d, (b0, b1) =>
        {
            if (q.DType == DType.Float32)
                AttentionKernels.Backward(Data<float>(q), ql, Data<float>(k), kl, Data<float>(v), vl, MaskSpan<float>(m), d, Data<float>(o), ol, Span<float>(lse),
                    Data<float>(go), gol, Data<float>(gq), gql, Data<float>(gk), gkl, Data<float>(gv), gvl, b0, b1);
            else
                AttentionKernels.Backward(Data<double>(q), ql, Data<double>(k), kl, Data<double>(v), vl, MaskSpan<double>(m), d, Data<double>(o), ol, Span<double>(lse),
                    Data<double>(go), gol, Data<double>(gq), gql, Data<double>(gk), gkl, Data<double>(gv), gvl, b0, b1);
        });
    }

    private static T[] Data<T>(in TensorView v) => (T[])v.Storage.Data;

    private static AttentionOperand Operand(in TensorView view) => AttentionOperand.Of(view);

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
