using Backprop.NN;

namespace Backprop.IO;

/// <summary>
/// One layer at a time into ONNX opset-17 nodes, following <c>torch.onnx.export</c>'s translations: Linear → Gemm
/// (MatMul + Add above rank 2), GELU as its erf (or tanh) formula (GELU is an operator only from opset 20), Softplus
/// with β through scaling, Dropout and Identity → Identity (inference), Flatten → Flatten or Reshape.
/// </summary>
internal static class OnnxLayers
{
    /// <summary>The layer types <see cref="Emit"/> translates, for error messages.</summary>
    public const string Supported = "Linear, Conv1d, Conv2d, MaxPool1d/2d, AvgPool1d/2d (without divisor override), AdaptiveAvgPool2d (to 1×1 or dividing sizes), " +
        "Embedding (first layer; Int64 input), BatchNorm1d/2d (eval, with running statistics), LayerNorm, Relu, Sigmoid, Tanh, LeakyRelu, Elu, Gelu, Softplus, Softmax, LogSoftmax, Flatten, Unflatten, Dropout, Identity (and Sequential of them)";

    /// <summary>Emits <paramref name="layer"/> applied to value <paramref name="x"/> of shape <paramref name="inShape"/>; returns the output value.</summary>
    public static string Emit(OnnxGraph g, string path, Module layer, string x, int[] inShape)
    {
        int rank = inShape.Length;
        switch (layer)
        {
            case Linear l when rank == 2:
                return g.Node("Gemm", Inputs(g.Initializer(path + ".weight", l.Weight), l.Bias is { } b0 ? g.Initializer(path + ".bias", b0) : null, x),
                    OnnxGraph.Int("transB", 1));
            case Linear l:
                {
                    var y = g.Node("MatMul", [x, g.Initializer(path + ".weight_t", l.Weight.Transpose(0, 1).Contiguous())]);
                    return l.Bias is { } b ? g.Node("Add", [y, g.Initializer(path + ".bias", b)]) : y;
                }
            case Relu: return g.Node("Relu", [x]);
            case Sigmoid: return g.Node("Sigmoid", [x]);
            case Tanh: return g.Node("Tanh", [x]);
            case LeakyRelu lr: return g.Node("LeakyRelu", [x], OnnxGraph.Float("alpha", lr.NegativeSlope));
            case Elu e: return g.Node("Elu", [x], OnnxGraph.Float("alpha", e.Alpha));
            case Gelu ge: return Gelu(g, x, ge.Approximate);
            case Softplus sp when sp.Beta == 1: return g.Node("Softplus", [x]);
            case Softplus sp:
                return g.Node("Div", [g.Node("Softplus", [g.Node("Mul", [x, g.Scalar(sp.Beta)])]), g.Scalar(sp.Beta)]);
            case Softmax s: return g.Node("Softmax", [x], OnnxGraph.Int("axis", s.Dim));
            case LogSoftmax s: return g.Node("LogSoftmax", [x], OnnxGraph.Int("axis", s.Dim));
            case Dropout or Identity: return g.Node("Identity", [x]);
            case Flatten f: return Flatten(g, x, inShape, f);
            case Unflatten u:
                {
                    int d = u.Dim < 0 ? u.Dim + rank : u.Dim;
                    var shape = new List<long>();
                    for (int i = 0; i < rank; i++)
                        if (i == d) shape.AddRange(u.Sizes.Select(v => (long)v));
                        else shape.Add(i == 0 ? 0 : inShape[i]); // 0: copy the (dynamic) batch dim
                    return g.Node("Reshape", [x, g.Ints([.. shape])]);
                }
            case Conv2d c:
                {
                    var (top, left, bottom, right) = ConvPads(c.Padding, c.KernelSize, c.Dilation);
                    return g.Node("Conv", Inputs(g.Initializer(path + ".weight", c.Weight), c.Bias is { } cb ? g.Initializer(path + ".bias", cb) : null, x),
                        OnnxGraph.Ints("kernel_shape", c.KernelSize.H, c.KernelSize.W), OnnxGraph.Ints("strides", c.Stride.H, c.Stride.W),
                        OnnxGraph.Ints("pads", top, left, bottom, right), OnnxGraph.Ints("dilations", c.Dilation.H, c.Dilation.W), OnnxGraph.Int("group", c.Groups));
                }
            case Conv1d c:
                {
                    int span = c.Dilation * (c.KernelSize - 1) + 1, before = c.Padding.IsSame ? (span - 1) / 2 : c.Padding.Value;
                    int after = c.Padding.IsSame ? span - 1 - before : c.Padding.Value;
                    return g.Node("Conv", Inputs(g.Initializer(path + ".weight", c.Weight), c.Bias is { } cb ? g.Initializer(path + ".bias", cb) : null, x),
                        OnnxGraph.Ints("kernel_shape", c.KernelSize), OnnxGraph.Ints("strides", c.Stride), OnnxGraph.Ints("pads", before, after),
                        OnnxGraph.Ints("dilations", c.Dilation), OnnxGraph.Int("group", c.Groups));
                }
            case BatchNormBase bn when bn.RunningMean is { } mean && bn.RunningVar is { } variance && (bn is BatchNorm2d || rank == 2):
                {
                    // Inference form (ONNX BatchNormalization, training_mode 0): (x − running_mean)/√(running_var + eps)·γ + β.
                    var scale = bn.Weight is { } w ? (Tensor)w : Tensor.Ones([bn.NumFeatures], bn.RunningMean.DType);
                    var shift = bn.Bias is { } b1 ? (Tensor)b1 : Tensor.Zeros([bn.NumFeatures], bn.RunningMean.DType);
                    return g.Node("BatchNormalization", [x, g.Initializer(path + ".weight", scale), g.Initializer(path + ".bias", shift),
                        g.Initializer(path + ".running_mean", mean), g.Initializer(path + ".running_var", variance)], OnnxGraph.Float("epsilon", bn.Eps));
                }
            case Embedding e: // rows of the weight picked by Int64 indices (padding_idx only matters for training)
                return g.Node("Gather", [g.Initializer(path + ".weight", e.Weight), x], OnnxGraph.Int("axis", 0));
            case LayerNorm ln:
                {
                    // ONNX LayerNormalization (opset 17) normalises the trailing dims from `axis` on, like nn.LayerNorm.
                    int dims = ln.NormalizedShape.Length;
                    var shape = ln.NormalizedShape.ToArray();
                    var scale = ln.Weight is { } w ? (Tensor)w : Tensor.Ones(shape, g.DType);
                    var inputs = new List<string> { x, g.Initializer(path + ".weight", scale) };
                    if (ln.Bias is { } lb) inputs.Add(g.Initializer(path + ".bias", lb));
                    return g.Node("LayerNormalization", [.. inputs], OnnxGraph.Int("axis", -dims), OnnxGraph.Float("epsilon", ln.Eps));
                }
            case MaxPool2d m:
                return g.Node("MaxPool", [x], OnnxGraph.Ints("kernel_shape", m.KernelSize.H, m.KernelSize.W), OnnxGraph.Ints("strides", m.Stride.H, m.Stride.W),
                    OnnxGraph.Ints("pads", m.Padding.H, m.Padding.W, m.Padding.H, m.Padding.W), OnnxGraph.Ints("dilations", m.Dilation.H, m.Dilation.W),
                    OnnxGraph.Int("ceil_mode", m.CeilMode ? 1 : 0));
            case MaxPool1d m:
                return g.Node("MaxPool", [x], OnnxGraph.Ints("kernel_shape", m.KernelSize), OnnxGraph.Ints("strides", m.Stride),
                    OnnxGraph.Ints("pads", m.Padding, m.Padding), OnnxGraph.Ints("dilations", m.Dilation), OnnxGraph.Int("ceil_mode", m.CeilMode ? 1 : 0));
            case AvgPool2d a when a.DivisorOverride is null:
                return g.Node("AveragePool", [x], OnnxGraph.Ints("kernel_shape", a.KernelSize.H, a.KernelSize.W), OnnxGraph.Ints("strides", a.Stride.H, a.Stride.W),
                    OnnxGraph.Ints("pads", a.Padding.H, a.Padding.W, a.Padding.H, a.Padding.W), OnnxGraph.Int("ceil_mode", a.CeilMode ? 1 : 0),
                    OnnxGraph.Int("count_include_pad", a.CountIncludePad ? 1 : 0));
            case AvgPool1d a:
                return g.Node("AveragePool", [x], OnnxGraph.Ints("kernel_shape", a.KernelSize), OnnxGraph.Ints("strides", a.Stride),
                    OnnxGraph.Ints("pads", a.Padding, a.Padding), OnnxGraph.Int("ceil_mode", a.CeilMode ? 1 : 0), OnnxGraph.Int("count_include_pad", a.CountIncludePad ? 1 : 0));
            case AdaptiveAvgPool2d a when a.OutputSize == new Size2(1, 1):
                return g.Node("GlobalAveragePool", [x]);
            case AdaptiveAvgPool2d a when rank == 4 && inShape[2] % a.OutputSize.H == 0 && inShape[3] % a.OutputSize.W == 0:
                {
                    int kh = inShape[2] / a.OutputSize.H, kw = inShape[3] / a.OutputSize.W;
                    return g.Node("AveragePool", [x], OnnxGraph.Ints("kernel_shape", kh, kw), OnnxGraph.Ints("strides", kh, kw));
                }
            default:
                throw new NotSupportedException($"Onnx.Export: layer '{path}' ({layer.GetType().Name}) has no ONNX translation. Supported: {Supported}.");
        }
    }

    private static string[] Inputs(string weight, string? bias, string x) => bias is null ? [x, weight] : [x, weight, bias];

    /// <summary>Explicit (top, left, bottom, right) padding of a Conv2d, "same" resolved as PyTorch does (the odd extra after).</summary>
    private static (int Top, int Left, int Bottom, int Right) ConvPads(Padding2 padding, Size2 kernel, Size2 dilation)
    {
        if (!padding.IsSame) return (padding.H, padding.W, padding.H, padding.W);
        int spanH = dilation.H * (kernel.H - 1) + 1, spanW = dilation.W * (kernel.W - 1) + 1;
        return ((spanH - 1) / 2, (spanW - 1) / 2, spanH - 1 - (spanH - 1) / 2, spanW - 1 - (spanW - 1) / 2);
    }

    /// <summary>0.5·x·(1 + erf(x/√2)), or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — torch.onnx's decomposition.</summary>
    private static string Gelu(OnnxGraph g, string x, string approximate)
    {
        string inner;
        if (approximate == "tanh")
        {
            var cube = g.Node("Mul", [g.Node("Mul", [x, x]), x]);
            var sum = g.Node("Add", [x, g.Node("Mul", [cube, g.Scalar(0.044715)])]);
            inner = g.Node("Tanh", [g.Node("Mul", [sum, g.Scalar(Math.Sqrt(2 / Math.PI))])]);
        }
        else inner = g.Node("Erf", [g.Node("Div", [x, g.Scalar(Math.Sqrt(2))])]);
        return g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [inner, g.Scalar(1)])]), g.Scalar(0.5)]);
    }

    /// <summary>ONNX Flatten when it flattens dims 1.. into one (its only form); a Reshape with the batch dim copied otherwise.</summary>
    private static string Flatten(OnnxGraph g, string x, int[] inShape, Flatten f)
    {
        int rank = inShape.Length;
        int start = f.StartDim < 0 ? f.StartDim + rank : f.StartDim, end = f.EndDim < 0 ? f.EndDim + rank : f.EndDim;
        if (start == 1 && end == rank - 1) return g.Node("Flatten", [x], OnnxGraph.Int("axis", 1));
        var shape = new List<long>();
        for (int i = 0; i < start; i++) shape.Add(i == 0 ? 0 : inShape[i]); // 0: copy the (dynamic) batch dim
        shape.Add(start == 0 ? -1 : inShape[start..(end + 1)].Aggregate(1L, (a, d) => a * d));
        for (int i = end + 1; i < rank; i++) shape.Add(inShape[i]);
        return g.Node("Reshape", [x, g.Ints([.. shape])]);
    }
}
