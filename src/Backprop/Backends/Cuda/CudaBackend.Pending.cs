namespace Backprop.Backends.Cuda;

// The primitives whose CUDA kernels are not written yet: fused attention. Each throws naming itself, so an op that
// reaches one on a CUDA tensor fails clearly instead of computing wrongly; a primitive moves out of this file when its
// kernel lands.
internal sealed partial class CudaBackend
{
    /// <summary>The error of a primitive not implemented on CUDA yet.</summary>
    private static NotSupportedException Pending(string primitive) =>
        new($"{primitive} is not on CUDA yet: its kernel is not written (docs/ARCHITECTURE.md, \"The CUDA backend\"). " +
            "Run this op on Device.Cpu (tensor.To(Device.Cpu)).");

    public void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp) => throw Pending(nameof(AttentionForward));

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue) => throw Pending(nameof(AttentionBackward));
}
