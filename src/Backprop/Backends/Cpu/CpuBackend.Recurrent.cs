using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>The fused recurrent-cell primitives (<see cref="RecurrentKernels"/>, <see cref="GruKernels"/>).</summary>
internal sealed partial class CpuBackend
{
    public void LstmCellForward(in TensorView gates, in TensorView cPrev, in TensorView h, in TensorView c, in TensorView tanhC)
    {
        int batch = h.Shape[0], hidden = h.Shape[1];
        if (gates.DType == DType.Float32)
            RecurrentKernels.LstmForward(Span<float>(gates), Span<float>(cPrev), Span<float>(h), Span<float>(c), Span<float>(tanhC), batch, hidden);
        else
            RecurrentKernels.LstmForward(Span<double>(gates), Span<double>(cPrev), Span<double>(h), Span<double>(c), Span<double>(tanhC), batch, hidden);
    }

    public void LstmCellBackward(in TensorView gates, in TensorView tanhC, in TensorView cPrev, in TensorView dh, in TensorView dc,
        in TensorView dcPrev, in TensorView dGates)
    {
        int batch = dh.Shape[0], hidden = dh.Shape[1];
        if (gates.DType == DType.Float32)
            RecurrentKernels.LstmBackward<float>(Span<float>(gates), Span<float>(tanhC), Span<float>(cPrev), Span<float>(dh), Span<float>(dc),
                Span<float>(dcPrev), Span<float>(dGates), batch, hidden);
        else
            RecurrentKernels.LstmBackward<double>(Span<double>(gates), Span<double>(tanhC), Span<double>(cPrev), Span<double>(dh), Span<double>(dc),
                Span<double>(dcPrev), Span<double>(dGates), batch, hidden);
    }

    public void GruCellForward(in TensorView x, in TensorView hp, in TensorView hPrev, in TensorView h, in TensorView gates)
    {
        int batch = h.Shape[0], hidden = h.Shape[1];
        if (x.DType == DType.Float32)
            GruKernels.Forward<float>(Span<float>(x), Span<float>(hp), Span<float>(hPrev), Span<float>(h), Span<float>(gates), batch, hidden);
        else
            GruKernels.Forward<double>(Span<double>(x), Span<double>(hp), Span<double>(hPrev), Span<double>(h), Span<double>(gates), batch, hidden);
    }

    public void GruCellBackward(in TensorView gates, in TensorView hp, in TensorView hPrev, in TensorView dh, in TensorView dhPrev,
        in TensorView dX, in TensorView dHp)
    {
        int batch = dh.Shape[0], hidden = dh.Shape[1];
        if (gates.DType == DType.Float32)
            GruKernels.Backward<float>(Span<float>(gates), Span<float>(hp), Span<float>(hPrev), Span<float>(dh), Span<float>(dhPrev), Span<float>(dX), Span<float>(dHp), batch, hidden);
        else
            GruKernels.Backward<double>(Span<double>(gates), Span<double>(hp), Span<double>(hPrev), Span<double>(dh), Span<double>(dhPrev), Span<double>(dX), Span<double>(dHp), batch, hidden);
    }
}
