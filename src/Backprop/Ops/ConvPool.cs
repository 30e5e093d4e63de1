using Backprop.Backends;

namespace Backprop;

/// <summary>A convolution, ReLU and 2×2 max-pool as one node, whose backward never builds the full-size output gradient.</summary>
public partial class Tensor
{
    /// <summary>
    /// ReLU(max-pool(conv2d(input, weight) + bias)) — equal bit for bit to the three ops in PyTorch's order, with the same
    /// gradients — as one node (<c>ConvolutionReluMaxPool2DBackward</c>) when the pool is the 2×2 stride-2 window: the
    /// convolution's output stays internal (saved for backward), and the backward goes straight from the pooled gradient
    /// to the convolution's gradients (<see cref="IBackend.Conv2dReluMaxPoolBackward"/>; the CPU makes each image's output
    /// gradient in cache). Other pools record the convolution and the pool-and-ReLU separately.
    /// </summary>
    internal static Tensor Conv2dReluMaxPoolOp(Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups, WindowGeometry pool)
    {
        if (!pool.Tiles2x2) return MaxPool2dReluOp(Conv2dOp(input, weight, bias, g, groups), pool);
        var (x, w, b, y, backend) = ConvOperands(input, weight, bias, g);
        var pooled = Uninitialized([y.shape[0], y.shape[1], pool.OutH, pool.OutW], y.DType, input);
        backend.Conv2dReluMaxPool(x.Layout, w.Layout, b?.Layout, g, groups, y.Layout, pool, pooled.Layout);
        int pooledVersion = pooled.Version;
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Node.Record(pooled, "ConvolutionReluMaxPool2DBackward", inputs, grad =>
        {
            if (pooled.Version != pooledVersion) // the output was changed in place since: the maxima again from the saved y
            {
                pooled = Uninitialized(pooled.shape, y.DType, y);
                Backend.Of(y).MaxPool2d(y.Layout, pool, pooled.Layout, null, relu: true);
            }
            if (Autograd.IsGradEnabled) // differentiable: the pool's and the convolution's composed rules, one after the other
                return ComposedConvGrad(ComposedPoolGrad(grad, y, pooled, pool, relu: true), input, weight, bias, g, groups);
            var (gd, xd, wd, dx, dw, db) = ConvGradBuffers(grad, input, weight, bias);
            Backend.Of("ConvolutionReluMaxPool2DBackward", gd, xd, wd).Conv2dReluMaxPoolBackward(gd.Layout, y.Layout, pooled.Layout, pool, xd.Layout, wd.Layout, g, groups,
                dx?.Layout, dw?.Layout, db?.Layout);
            return [dx, dw, .. bias is null ? System.Array.Empty<Tensor?>() : [db]];
        }, input, weight);
    }
}
