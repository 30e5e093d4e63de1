using Backprop.Kernels;

namespace Backprop.Backends.Cpu;

/// <summary>
/// A convolution followed by a ReLU'd 2×2 max-pool: forward image by image (each image's output pooled while in cache),
/// backward without the full-size output gradient.
/// </summary>
internal sealed partial class CpuBackend
{
    public void Conv2dReluMaxPool(in TensorView input, in TensorView weight, TensorView? bias, in WindowGeometry g, int groups, in TensorView convOutput,
        in WindowGeometry pool, in TensorView pooled)
    {
        if (MaxPool2x2Kernels.Fits(pool) && ImplicitForward(g, groups, weight.Shape[0], input.DType, out var path))
        {
            ImplicitConv2d(path, Whole(input), Whole(weight), bias is { } b ? Whole(b) : null, g, groups, Whole(convOutput), pool, Whole(pooled));
            return;
        }
        Conv2d(input, weight, bias, g, groups, convOutput);
        MaxPool2d(convOutput, pool, pooled, null, relu: true);
    }

    public void Conv2dReluMaxPoolBackward(in TensorView gradPooled, in TensorView convOutput, in TensorView pooled, in WindowGeometry pool,
        in TensorView input, in TensorView weight, in WindowGeometry g, int groups, TensorView? inputGrad, TensorView? weightGrad, TensorView? biasGrad)
    {
        if (MaxPool2x2Kernels.Fits(pool) && ImplicitBackward(g, groups, weight.Shape[0], inputGrad is not null, out _))
        {
            // Each image's output gradient is made in a per-part scratch right before the convolution's passes read it.
            Conv2dBackward(default, input, weight, g, groups, inputGrad, weightGrad, biasGrad, new PooledGrad(gradPooled, convOutput, pooled, pool));
            return;
        }
        var dense = Scratch(convOutput.DType, convOutput.Shape);
        MaxPool2dRecomputedBackward(gradPooled, convOutput, pooled, pool, dense, relu: true);
        Conv2dBackward(dense, input, weight, g, groups, inputGrad, weightGrad, biasGrad);
    }
}
