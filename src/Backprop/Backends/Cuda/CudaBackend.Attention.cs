namespace Backprop.Backends.Cuda;

// Fused attention (CudaKernels.Attention: attention.cu). Operand rows are contiguous; slice offsets are computed as the
// CPU backend does (AttentionOperand.Of) and uploaded with each call.
internal sealed partial class CudaBackend
{
    private static CudaKernels.AttentionRows Rows(in TensorView v)
    {
        var operand = Backprop.Kernels.AttentionOperand.Of(v);
        return new(((CudaBuffer)v.Storage.Buffer).Pointer, operand.Bases, operand.RowStride);
    }

    /// <summary>The mask's storage address and per-slice offsets (element offsets into it), or none.</summary>
    private static CudaKernels.AttentionMask Mask(in AttentionMaskView m, DType dtype) =>
        m.Storage is null ? new(0, null, 0, 0) : new(Pointer(m.Storage, 0, dtype), m.BatchOffsets, m.RowStride, m.ColStride);

    public void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp)
    {
        RequireFloating(query.DType, "AttentionForward");
        CudaKernels.AttentionForward(Cuda, query.DType, Rows(query), Rows(key), Rows(value), Mask(mask, query.DType), dims, Rows(output), Pointer(logSumExp));
    }

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims,
        in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue)
    {
        RequireFloating(query.DType, "AttentionBackward");
        CudaKernels.AttentionBackward(Cuda, query.DType, Rows(query), Rows(key), Rows(value), Mask(mask, query.DType), dims, Rows(output),
            Pointer(logSumExp), Rows(gradOutput), Rows(gradQuery), Rows(gradKey), Rows(gradValue));
    }
}
