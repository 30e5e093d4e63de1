namespace Backprop.Backends.Cuda;

/// <summary>A convolution's backward from a ReLU'd max-pool's gradient, composed: the pool's backward, then the convolution's.</summary>
internal sealed partial class CudaBackend
{
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
