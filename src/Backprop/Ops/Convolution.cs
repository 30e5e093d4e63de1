using Backprop.Backends;

namespace Backprop;

/// <summary>
/// 2-D convolution and max pooling as single ops, each one backend primitive (<see cref="IBackend.Conv2d"/>,
/// <see cref="IBackend.MaxPool2d"/>; the CPU runs im2col + GEMM per image and a direct max scan). Their first-order
/// backward is one primitive too; with <c>createGraph</c> the same rule runs as composed, differentiable
/// tensor ops (unfold/fold, matmul, scatter-add), so higher-order gradients work.
/// </summary>
public partial class Tensor
{
    /// <summary>
    /// y = conv2d(x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]) + b over the window geometry <paramref name="g"/>
    /// (<c>torch.convolution</c>, node <c>ConvolutionBackward</c>). Shapes are checked by the caller (Functional.Conv2d).
    /// </summary>
    internal static Tensor Conv2dOp(Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        var (x, w, b, y, backend) = ConvOperands(input, weight, bias, g);
        backend.Conv2d(x.Layout, w.Layout, b?.Layout, g, groups, y.Layout);
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Node.Record(y, "ConvolutionBackward", inputs, grad => Autograd.IsGradEnabled
            ? ComposedConvGrad(grad, input, weight, bias, g, groups)
            : FusedConvGrad(grad, input, weight, bias, g, groups), input, weight);
    }

    /// <summary>
    /// A convolution's checked forward operands: the input, weight and bias dense from offset 0 (one floating dtype, else a
    /// clear error), the uninitialized output [N, Cout, OutH, OutW], and the backend they share.
    /// </summary>
    private static (Tensor X, Tensor W, Tensor? B, Tensor Y, IBackend Backend) ConvOperands(Tensor input, Tensor weight, Tensor? bias, WindowGeometry g)
    {
        var dtype = input.DType;
        if (!dtype.IsFloatingPoint()) throw NotFloat("Conv2d", dtype);
        if (weight.DType != dtype || (bias is not null && bias.DType != dtype))
            throw new ArgumentException($"Conv2d: input type ({dtype}) and weight type ({weight.DType}{(bias is null ? "" : $", bias {bias.DType}")}) should be the same; convert with .To(...).");
        var x = input.Dense0();
        var w = weight.Dense0();
        var b = bias?.Dense0();
        var y = Uninitialized([input.shape[0], weight.shape[0], g.OutH, g.OutW], dtype, input);
        return (x, w, b, y, b is null ? Backend.Of("Conv2d", x, w) : Backend.Of("Conv2d", x, w, b));
    }

    /// <summary>The convolution's gradients in one parallel pass over the images (no graph is built).</summary>
    private static Tensor?[] FusedConvGrad(Tensor grad, Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        var (gd, x, w, dx, dw, db) = ConvGradBuffers(grad, input, weight, bias);
        Backend.Of("ConvolutionBackward", gd, x, w).Conv2dBackward(gd.Layout, x.Layout, w.Layout, g, groups, dx?.Layout, dw?.Layout, db?.Layout);
        return [dx, dw, .. bias is null ? System.Array.Empty<Tensor?>() : [db]];
    }

    /// <summary>
    /// A convolution's first-order backward operands, dense from offset 0 (the output's gradient in the input's dtype, the
    /// input, the weight), and its uninitialized gradient outputs, each only where its tensor needs a gradient.
    /// </summary>
    private static (Tensor Grad, Tensor X, Tensor W, Tensor? Dx, Tensor? Dw, Tensor? Db) ConvGradBuffers(Tensor grad, Tensor input, Tensor weight, Tensor? bias)
    {
        var dtype = input.DType;
        return ((grad.DType == dtype ? grad : grad.To(dtype)).Dense0(), input.Dense0(), weight.Dense0(),
            input.RequiresGrad ? Uninitialized(input.shape, dtype, input) : null,
            weight.RequiresGrad ? Uninitialized(weight.shape, dtype, weight) : null,
            bias is { RequiresGrad: true } ? Uninitialized(bias.shape, dtype, bias) : null);
    }

    /// <summary>The same gradients as differentiable tensor ops (for <c>createGraph</c>).</summary>
    private static Tensor?[] ComposedConvGrad(Tensor grad, Tensor input, Tensor weight, Tensor? bias, WindowGeometry g, int groups)
    {
        int n = input.shape[0], cout = weight.shape[0], perGroup = cout / groups, rows = g.Rows / groups;
        var gg = grad.Reshape([n, groups, perGroup, g.Positions]);
        Tensor? dx = null, dw = null;
        if (input.RequiresGrad)
        {
            var wT = weight.Reshape([groups, perGroup, rows]).Transpose(-1, -2); // [G, rows, perGroup]
            dx = FoldWindows(wT.MatMul(gg).Reshape([n, g.Rows, g.Positions]), g);
        }
        if (weight.RequiresGrad)
        {
            var columns = UnfoldWindows(input, g).Reshape([n, groups, rows, g.Positions]);
            dw = gg.MatMul(columns.Transpose(-1, -2)).Sum(0).Reshape(weight.shape);
        }
        return [dx, dw, .. bias is null ? System.Array.Empty<Tensor?>() : [grad.Sum([0, 2, 3])]];
    }

    /// <summary>
    /// Max over each window of [N, C, H, W] (<c>torch.max_pool2d</c>, node <c>MaxPool2DWithIndicesBackward</c>); the
    /// gradient goes to the first maximum of each window.
    /// </summary>
    internal static Tensor MaxPool2dOp(Tensor input, WindowGeometry g)
    {
        var dtype = input.DType;
        int n = input.shape[0], c = input.shape[1], planes = n * c, plane = g.Height * g.Width;
        var x = input.Dense();
        var y = Uninitialized([n, c, g.OutH, g.OutW], dtype, input);
        if (g.Tiles2x2) return MaxPool2x2(input, x, y, g);
        var indices = Uninitialized([n, c, g.OutH, g.OutW], DType.Int64, input);
        Backend.Of(x).MaxPool2d(x.Layout, g, y.Layout, indices.Layout);
        int[] s = input.shape;
        return Node.Record(y, "MaxPool2DWithIndicesBackward", [input], grad =>
        {
            if (Autograd.IsGradEnabled) // differentiable: scatter-add's backward is a gather
                return [Full([planes, plane], 0, dtype, grad).ScatterAdd(1, indices.View([planes, g.Positions]), grad.Reshape([planes, g.Positions])).View(s)];
            var gd = (grad.DType == dtype ? grad : grad.To(dtype)).Dense();
            var dx = Empty(s, dtype, gd);
            Backend.Of("MaxPool2DWithIndicesBackward", gd, indices).MaxPool2dBackward(gd.Layout, indices.Layout, g, dx.Layout);
            return [dx];
        }, indices);
    }

    /// <summary>
    /// ReLU(max-pool(input)) as one op (node <c>MaxPool2DReluBackward</c>), which is also max-pool(ReLU(input)) bit for
    /// bit (max commutes with ReLU): <see cref="NN.Sequential"/> runs a ReLU followed by a max-pool this way. The 2×2
    /// stride-2 window fuses both into one pass each way; other windows pool, then apply the ReLU.
    /// </summary>
    internal static Tensor MaxPool2dReluOp(Tensor input, WindowGeometry g)
    {
        if (!g.Tiles2x2) return MaxPool2dOp(input, g).Relu();
        var x = input.Dense();
        return MaxPool2x2(input, x, Uninitialized([input.shape[0], input.shape[1], g.OutH, g.OutW], input.DType, input), g, relu: true);
    }

    /// <summary>
    /// The 2×2, stride-2 max-pool without indices (ReLU'd with <paramref name="relu"/>): the backward recomputes each
    /// window's winner from the saved input and output (same rule, same numbers as the general path).
    /// </summary>
    private static Tensor MaxPool2x2(Tensor input, Tensor x, Tensor y, WindowGeometry g, bool relu = false)
    {
        var dtype = input.DType;
        Backend.Of(x).MaxPool2d(x.Layout, g, y.Layout, null, relu);
        int[] s = input.shape;
        int yVersion = y.Version;
        string name = relu ? "MaxPool2DReluBackward" : "MaxPool2DWithIndicesBackward";
        return Node.Record(y, name, [input], grad =>
        {
            if (y.Version != yVersion) // the output was changed in place since: recompute the maxima from the (checked) input
            {
                y = Uninitialized(y.shape, dtype, x);
                Backend.Of(x).MaxPool2d(x.Layout, g, y.Layout, null, relu);
            }
            if (Autograd.IsGradEnabled) return [ComposedPoolGrad(grad, x, y, g, relu)];
            var gd = (grad.DType == dtype ? grad : grad.To(dtype)).Dense();
            var dx = Uninitialized(s, dtype, gd);
            Backend.Of(name, gd, x, y).MaxPool2dRecomputedBackward(gd.Layout, x.Layout, y.Layout, g, dx.Layout, relu);
            return [dx];
        }, x);
    }

    /// <summary>
    /// The 2×2 pool's input gradient as differentiable ops (for <c>createGraph</c>): the winners as indices, and scatter-add
    /// (whose backward is a gather); with <paramref name="relu"/> no gradient passes where the output <paramref name="y"/> is
    /// not positive (ReLU's backward).
    /// </summary>
    private static Tensor ComposedPoolGrad(Tensor grad, Tensor x, Tensor y, WindowGeometry g, bool relu)
    {
        var dtype = x.DType;
        int[] s = x.shape;
        int planes = s[0] * s[1], plane = g.Height * g.Width;
        var indices = Uninitialized(y.shape, DType.Int64, x);
        var values = Uninitialized(y.shape, dtype, x);
        Backend.Of(x).MaxPool2d(x.Layout, g, values.Layout, indices.Layout);
        var passed = relu ? grad * (y > 0) : grad;
        return Full([planes, plane], 0, dtype, grad).ScatterAdd(1, indices.View([planes, g.Positions]), passed.Reshape([planes, g.Positions])).View(s);
    }

    /// <summary>This tensor if it is contiguous from offset 0 of its storage, else a copy that is (the primitive's contract).</summary>
    private Tensor Dense0() => IsContiguous && Offset == 0 ? this : CopyData();
}
