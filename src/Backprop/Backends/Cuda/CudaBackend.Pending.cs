namespace Backprop.Backends.Cuda;

// The primitives whose CUDA kernels are not written yet. Each throws naming itself, so an op that reaches one on a CUDA
// tensor fails clearly instead of computing wrongly; a primitive moves out of this file when its kernel lands.
internal sealed partial class CudaBackend
{
    /// <summary>The error of a primitive not implemented on CUDA yet.</summary>
    private static NotSupportedException Pending(string primitive) =>
        new($"{primitive} is not on CUDA yet: its kernel is not written (docs/ARCHITECTURE.md, \"The CUDA backend\"). " +
            "Run this op on Device.Cpu (tensor.To(Device.Cpu)).");

    public void LayerNormForward(in TensorView input, in TensorView weight, in TensorView bias, double eps, int n, in TensorView output, in TensorView mean, in TensorView rstd) => throw Pending(nameof(LayerNormForward));

    public void LayerNormBackward(in TensorView gradOutput, in TensorView input, in TensorView mean, in TensorView rstd, in TensorView weight, int n, in TensorView gradInput, in TensorView gradWeight, in TensorView gradBias) => throw Pending(nameof(LayerNormBackward));

    public void GeluBackward(bool tanhApproximation, in TensorView grad, in TensorView input, in TensorView result) => throw Pending(nameof(GeluBackward));

    public void Convert(in TensorView source, in TensorView destination) => throw Pending(nameof(Convert));

    public void FillRows(in TensorView row, in TensorView matrix) => throw Pending(nameof(FillRows));

    public void SumAll(in TensorView input, in TensorView output) => throw Pending(nameof(SumAll));

    public void MaxMin(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool max) => throw Pending(nameof(MaxMin));

    public void DivideInPlace(in TensorView tensor, int divisor) => throw Pending(nameof(DivideInPlace));

    public void Where(in TensorView mask, in TensorView a, in TensorView b, in TensorView output) => throw Pending(nameof(Where));

    public void IndexSelect(in TensorView input, int outer, int size, int inner, in TensorView index, in TensorView output) => throw Pending(nameof(IndexSelect));

    public void IndexAdd(in TensorView target, int outer, int size, int inner, in TensorView index, in TensorView source) => throw Pending(nameof(IndexAdd));

    public void Scatter(ScatterKind kind, in TensorView self, in TensorView other, in TensorView index, int dim) => throw Pending(nameof(Scatter));

    public void Im2Col(in TensorView images, in WindowGeometry g, double padValue, in TensorView columns) => throw Pending(nameof(Im2Col));

    public void Col2Im(in TensorView columns, in WindowGeometry g, in TensorView images) => throw Pending(nameof(Col2Im));

    public void Conv2d(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView output) => throw Pending(nameof(Conv2d));

    public void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad) => throw Pending(nameof(Conv2dBackward));

    public void MaxPool2d(in TensorView input, in WindowGeometry g, in TensorView values, TensorView? indices, bool relu = false) => throw Pending(nameof(MaxPool2d));

    public void MaxPool2dBackward(in TensorView grad, in TensorView indices, in WindowGeometry g, in TensorView inputGrad) => throw Pending(nameof(MaxPool2dBackward));

    public void MaxPool2dRecomputedBackward(in TensorView grad, in TensorView input, in TensorView output, in WindowGeometry g, in TensorView inputGrad, bool relu = false) => throw Pending(nameof(MaxPool2dRecomputedBackward));

    public void CumSum(in TensorView input, int outer, int size, int inner, in TensorView output) => throw Pending(nameof(CumSum));

    public void Prod(in TensorView input, int outer, int size, int inner, in TensorView output) => throw Pending(nameof(Prod));

    public void Sort(in TensorView input, int outer, int size, int inner, in TensorView values, in TensorView indices, bool descending) => throw Pending(nameof(Sort));

    public void LstmCellForward(in TensorView gates, in TensorView cPrev, in TensorView h, in TensorView c, in TensorView tanhC) => throw Pending(nameof(LstmCellForward));

    public void LstmCellBackward(in TensorView gates, in TensorView tanhC, in TensorView cPrev, in TensorView dh, in TensorView dc, in TensorView dcPrev, in TensorView dGates) => throw Pending(nameof(LstmCellBackward));

    public void GruCellForward(in TensorView x, in TensorView hp, in TensorView hPrev, in TensorView h, in TensorView gates) => throw Pending(nameof(GruCellForward));

    public void GruCellBackward(in TensorView gates, in TensorView hp, in TensorView hPrev, in TensorView dh, in TensorView dhPrev, in TensorView dX, in TensorView dHp) => throw Pending(nameof(GruCellBackward));

    public void AttentionForward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp) => throw Pending(nameof(AttentionForward));

    public void AttentionBackward(in TensorView query, in TensorView key, in TensorView value, in AttentionMaskView mask, in AttentionDims dims, in TensorView output, in TensorView logSumExp, in TensorView gradOutput, in TensorView gradQuery, in TensorView gradKey, in TensorView gradValue) => throw Pending(nameof(AttentionBackward));
}
