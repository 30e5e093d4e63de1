using Backprop.Backends;

namespace Backprop;

/// <summary>Layer normalisation as one node (the fused path of <c>NN.Functional.LayerNorm</c>).</summary>
public partial class Tensor
{
    /// <summary>
    /// (x − mean)/√(biased var + eps)·weight + bias over the last <paramref name="n"/> elements of each row, in one backend
    /// pass that saves each row's mean and rstd; its first-order backward is one pass too (ATen's <c>native_layer_norm</c>).
    /// With a graph of the backward requested it differentiates <paramref name="composed"/>, the same map from tensor ops.
    /// </summary>
    internal static Tensor LayerNormFused(Tensor input, int n, Tensor? weight, Tensor? bias, double eps, Func<Tensor> composed)
    {
        var dtype = input.DType;
        var x = input.Dense();
        var w = weight?.Dense();
        var b = bias?.Dense();
        int rows = x.Numel / Math.Max(1, n);
        var y = Uninitialized(x.shape, dtype, x);
        var mean = Uninitialized([rows], dtype, x);
        var rstd = Uninitialized([rows], dtype, x);
        var backend = Backend.Of("LayerNorm", x, w ?? x, b ?? x);
        backend.LayerNormForward(x.Layout, w?.Layout ?? default, b?.Layout ?? default, eps, n, y.Layout, mean.Layout, rstd.Layout);
        var inputList = new List<Tensor> { input };
        if (weight is not null) inputList.Add(weight);
        if (bias is not null) inputList.Add(bias);
        Tensor[] inputs = [.. inputList];
        return Node.Record(y, "NativeLayerNormBackward", inputs, g =>
        {
            if (Autograd.IsGradEnabled) return Recompute.Grads(inputs, g, composed);
            var gd = g.Dense();
            var dx = Uninitialized(x.shape, dtype, x);
            var dw = weight is { RequiresGrad: true } ? Uninitialized([n], dtype, x) : null;
            var db = bias is { RequiresGrad: true } ? Uninitialized([n], dtype, x) : null;
            backend.LayerNormBackward(gd.Layout, x.Layout, mean.Layout, rstd.Layout, w?.Layout ?? default, n, dx.Layout,
                dw?.Layout ?? default, db?.Layout ?? default);
            Tensor?[] grads = [input.RequiresGrad ? dx.Reshape(input.shape) : null];
            if (weight is not null) grads = [.. grads, dw?.Reshape(weight.shape)];
            if (bias is not null) grads = [.. grads, db?.Reshape(bias.shape)];
            return grads;
        }, weight is null ? [input] : [input, weight]);
    }
}
