namespace Backprop.Backends.Cuda;

// Layer normalisation, GELU's backward and the recurrent cells' pointwise halves (CudaKernels: norm.cu, recurrent.cu).
internal sealed partial class CudaBackend
{
    public void LayerNormForward(in TensorView input, in TensorView weight, in TensorView bias, double eps, int n, in TensorView output,
        in TensorView mean, in TensorView rstd)
    {
        RequireFloating(input.DType, "LayerNormForward");
        CudaKernels.LayerNormForward(Cuda, input.DType, Pointer(input), Optional(weight), Optional(bias), eps, mean.Numel, n, Pointer(output),
            Pointer(mean), Pointer(rstd));
    }

    public void LayerNormBackward(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n,
        in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias)
    {
        RequireFloating(input.DType, "LayerNormBackward");
        CudaKernels.LayerNormBackward(Cuda, input.DType, Pointer(gradOutput), Pointer(input), Pointer(mean), Pointer(rstd), Optional(weight),
            mean.Numel, n, Pointer(gradInput), Optional(gradWeight), Optional(gradBias));
    }

    public void GeluBackward(bool tanhApproximation, in TensorView grad, in TensorView input, in TensorView result)
    {
        RequireFloating(input.DType, "GeluBackward");
        CudaKernels.GeluBackward(Cuda, input.DType, tanhApproximation, Pointer(grad), Pointer(input), Pointer(result), input.Numel);
    }

    public void LstmCellForward(in TensorView gates, in TensorView cPrev, in TensorView h, in TensorView c, in TensorView tanhC)
    {
        RequireFloating(gates.DType, "LstmCellForward");
        CudaKernels.LstmCellForward(Cuda, gates.DType, h.Shape[0], h.Shape[1], Pointer(gates), Pointer(cPrev), Pointer(h), Pointer(c), Pointer(tanhC));
    }

    public void LstmCellBackward(in TensorView gates, in TensorView tanhC, in TensorView cPrev, in TensorView dh, in TensorView dc,
        in TensorView dcPrev, in TensorView dGates)
    {
        RequireFloating(gates.DType, "LstmCellBackward");
        CudaKernels.LstmCellBackward(Cuda, gates.DType, dh.Shape[0], dh.Shape[1], Pointer(gates), Pointer(tanhC), Pointer(cPrev), Pointer(dh),
            Pointer(dc), Pointer(dcPrev), Pointer(dGates));
    }

    public void GruCellForward(in TensorView x, in TensorView hp, in TensorView hPrev, in TensorView h, in TensorView gates)
    {
        RequireFloating(x.DType, "GruCellForward");
        CudaKernels.GruCellForward(Cuda, x.DType, h.Shape[0], h.Shape[1], Pointer(x), Pointer(hp), Pointer(hPrev), Pointer(h), Pointer(gates));
    }

    public void GruCellBackward(in TensorView gates, in TensorView hp, in TensorView hPrev, in TensorView dh, in TensorView dhPrev,
        in TensorView dX, in TensorView dHp)
    {
        RequireFloating(gates.DType, "GruCellBackward");
        CudaKernels.GruCellBackward(Cuda, gates.DType, dh.Shape[0], dh.Shape[1], Pointer(gates), Pointer(hp), Pointer(hPrev), Pointer(dh),
            Pointer(dhPrev), Pointer(dX), Pointer(dHp));
    }
}
