using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>The fused layer-normalisation primitives (<see cref="LayerNormKernels"/>).</summary>
internal sealed partial class CpuBackend
{
    public void LayerNormForward(in TensorView input, in TensorView weight, in TensorView bias, double eps, int n, in TensorView output,
        in TensorView mean, in TensorView rstd)
    {
        if (input.DType == DType.Float32)
            LayerNormKernels.Forward<float>(Span<float>(input), Optional<float>(weight), Optional<float>(bias), eps, Span<float>(output), Span<float>(mean), Span<float>(rstd), n);
        else
            LayerNormKernels.Forward<double>(Span<double>(input), Optional<double>(weight), Optional<double>(bias), eps, Span<double>(output), Span<double>(mean), Span<double>(rstd), n);
    }

    public void LayerNormBackward(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n,
        in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias)
    {
        if (input.DType == DType.Float32) LayerNormBackward<float>(gradOutput, input, mean, rstd, weight, n, gradInput, gradWeight, gradBias);
        else LayerNormBackward<double>(gradOutput, input, mean, rstd, weight, n, gradInput, gradWeight, gradBias);
    }

    private static void LayerNormBackward<T>(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n,
        in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dw = Optional<T>(gradWeight);
        var db = Optional<T>(gradBias);
        dw.Clear(); db.Clear();
        LayerNormKernels.Backward<T>(Span<T>(gradOutput), Span<T>(input), Span<T>(mean), Span<T>(rstd), Optional<T>(weight), Span<T>(gradInput), dw, db, n, new T[2 * n]);
    }

    /// <summary>An optional operand's elements, or an empty span when it is absent (<c>default</c>).</summary>
    private static Span<T> Optional<T>(in TensorView v) where T : unmanaged => v.Storage is null ? [] : Span<T>(v);
}
