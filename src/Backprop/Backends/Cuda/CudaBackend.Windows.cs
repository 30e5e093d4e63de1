namespace Backprop.Backends.Cuda;

// Sliding windows (CudaKernels: window.cu, and the convolution as im2col + cuBLAS). All operands dense from their offset.
internal sealed partial class CudaBackend
{
    public void Im2Col(in TensorView images, in WindowGeometry g, double padValue, in TensorView columns)
    {
        RequireFloating(images.DType, "Im2Col");
        CudaKernels.Im2Col(Cuda, images.DType, Pointer(images), images.Shape[0], g, padValue, Pointer(columns));
    }

    public void Col2Im(in TensorView columns, in WindowGeometry g, in TensorView images)
    {
        RequireFloating(columns.DType, "Col2Im");
        CudaKernels.Col2Im(Cuda, columns.DType, Pointer(columns), columns.Shape[0], g, Pointer(images));
    }

    public void Conv2d(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView output)
    {
        RequireFloating(input.DType, "Conv2d");
        Cuda.MakeCurrent();
        CudaKernels.Conv2d(Cuda, input.DType, Pointer(input), Pointer(weight), bias is { } b ? Pointer(b) : 0, input.Shape[0], weight.Shape[0], g, groups,
            Pointer(output));
    }

    public void Conv2dBackward(in TensorView grad, in TensorView input, in TensorView weight, in WindowGeometry g, int groups,
        TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad)
    {
        RequireFloating(input.DType, "Conv2dBackward");
        Cuda.MakeCurrent();
        CudaKernels.Conv2dBackward(Cuda, input.DType, Pointer(grad), Pointer(input), Pointer(weight), input.Shape[0], weight.Shape[0], g, groups,
            inputGrad is { } dx ? Pointer(dx) : 0, weightGrad is { } dw ? Pointer(dw) : 0, biasGrad is { } db ? Pointer(db) : 0);
    }

    public void MaxPool2d(in TensorView input, in WindowGeometry g, in TensorView values, TensorView? indices, bool relu = false)
    {
        RequireFloating(input.DType, "MaxPool2d");
        CudaKernels.MaxPool2d(Cuda, input.DType, Pointer(input), input.Shape[0] * input.Shape[1], g, Pointer(values),
            indices is { } ix ? Pointer(ix) : 0, relu);
    }

    public void MaxPool2dBackward(in TensorView grad, in TensorView indices, in WindowGeometry g, in TensorView inputGrad)
    {
        RequireFloating(inputGrad.DType, "MaxPool2dBackward");
        CudaKernels.MaxPool2dBackward(Cuda, inputGrad.DType, Pointer(grad), Pointer(indices), inputGrad.Shape[0] * inputGrad.Shape[1], g, Pointer(inputGrad));
    }

    public void MaxPool2dRecomputedBackward(in TensorView grad, in TensorView input, in TensorView output, in WindowGeometry g, in TensorView inputGrad,
        bool relu = false)
    {
        RequireFloating(inputGrad.DType, "MaxPool2dRecomputedBackward");
        CudaKernels.MaxPool2dRecomputedBackward(Cuda, inputGrad.DType, Pointer(grad), Pointer(input), inputGrad.Shape[0] * inputGrad.Shape[1], g,
            Pointer(inputGrad), relu);
    }
}
