namespace Backprop.Backends.Cuda;

/// <summary>A convolution followed by a ReLU'd max-pool, composed: forward the convolution then the pool, backward the pool's then the convolution's.</summary>
internal sealed partial class CudaBackend
{
    public void Conv2dReluMaxPool(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView convOutput,
        in WindowGeometry pool, in TensorView pooled)
    {
        Conv2d(input, weight, bias, g, groups, convOutput);
        MaxPool2d(convOutput, pool, pooled, null, relu: true);
    }

    public void Conv2dReluMaxPoolBackward(in TensorView gradPooled, in TensorView convOutput, in TensorView pooled, in WindowGeometry pool,
        in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad)
    {
        var storage = allocator.Allocate(convOutput.DType, convOutput.Numel, uninitialized: true, pooled: false);
        try
        {
            var dense = new TensorView(storage, convOutput.Shape, ShapeUtil.ContiguousStrides(convOutput.Shape), 0, convOutput.DType);
            MaxPool2dRecomputedBackward(gradPooled, convOutput, pooled, pool, dense, relu: true);
            Conv2dBackward(dense, input, weight, g, groups, inputGrad, weightGrad, biasGrad);
        }
        finally { storage.Release(); }
    }
}
